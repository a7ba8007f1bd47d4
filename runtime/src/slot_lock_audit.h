// Internal: the slot-lock audit (slot_ring.h), for tests. In audit builds (TETHER_SLOT_LOCK_AUDIT: on in
// sanitizer builds, or with -DTETHER_SLOT_LOCK_AUDIT=ON) every slot spinlock counts itself in a thread-local
// while held, so a test that replaces operator new can check that nothing allocates while the calling
// thread holds a slot's lock (test/runtime/slot_lock_audit_test.cpp). Normal builds keep no count.
#pragma once

namespace tether::detail {

// Whether this build of the runtime keeps the count.
bool slot_lock_audit_enabled() noexcept;

// Slot locks the calling thread holds now (always 0 without the audit).
unsigned slot_locks_held() noexcept;

}  // namespace tether::detail
