// Nothing allocates (or builds a string) while a thread holds one of the pool's slot spinlocks: a slot lock
// is on every spawn's path, so a registry snapshot that copied a component string per job under every slot
// lock stalled the whole pool (issue 15). This binary counts the allocations made while the allocating
// thread holds a slot lock, as reported by the runtime's slot-lock audit (runtime/src/slot_lock_audit.h:
// compiled into sanitizer builds): through the sanitizer's allocation hook under ASan/TSan, else by
// replacing the global operator new (hence its own binary). Skipped where the runtime keeps no count
// (normal Release builds).
//
// The workload drives every place that used to allocate under a slot lock: snapshots and wait_for (the
// registry's listing of queued and running group tasks, with component names too long for the small-string
// buffer) running concurrently with spawns from several threads; a burst of blocked tasks that makes the
// slot rings grow; and, once the pool has been idle past the monitor's trim delay, the giving back of the
// grown rings. Under TSan it is also the race test of those paths (run it with --repeat until-fail:20).
#include <tether/registry.h>
#include <tether/safe_go.h>
#include <tether/task_group.h>

#include <gtest/gtest.h>

#include "slot_lock_audit.h"
#include "test_util.h"

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <vector>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TETHER_TEST_SANITIZER_HOOKS 1
#endif
#endif
#if !defined(TETHER_TEST_SANITIZER_HOOKS) && (defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__))
#define TETHER_TEST_SANITIZER_HOOKS 1
#endif
#ifdef TETHER_TEST_SANITIZER_HOOKS
#include <sanitizer/allocator_interface.h>
#endif

namespace {

std::atomic<std::size_t> g_allocs_under_slot_lock{0};
std::atomic<std::size_t> g_allocs_total{0};

void count_alloc() noexcept {
  if (tether::detail::slot_locks_held() != 0) g_allocs_under_slot_lock.fetch_add(1, std::memory_order_relaxed);
  g_allocs_total.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

#ifdef TETHER_TEST_SANITIZER_HOOKS
// Sanitizer builds: the sanitizer runtime owns malloc and operator new (they cannot be replaced) and calls
// this hook for every allocation, through either.
namespace {
void on_malloc(const volatile void*, std::size_t) { count_alloc(); }
void on_free(const volatile void*) {}
const int g_hooks_installed = __sanitizer_install_malloc_and_free_hooks(&on_malloc, &on_free);
}  // namespace
#else
namespace {
void* counted_alloc(std::size_t n, std::size_t align) {
  count_alloc();
  if (n == 0) n = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(n);
  return std::aligned_alloc(align, (n + align - 1) / align * align);
}
}  // namespace

// Other builds with the audit (-DTETHER_SLOT_LOCK_AUDIT=ON): the replaceable allocation functions, all of
// them, so that nothing bypasses the count. (std::malloc itself is not counted: the runtime allocates
// through operator new everywhere but in job_memory.cpp, which never runs under a slot lock.)
void* operator new(std::size_t n) {
  if (void* p = counted_alloc(n, 0)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
  if (void* p = counted_alloc(n, 0)) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void* operator new(std::size_t n, std::align_val_t a) {
  if (void* p = counted_alloc(n, static_cast<std::size_t>(a))) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) {
  if (void* p = counted_alloc(n, static_cast<std::size_t>(a))) return p;
  throw std::bad_alloc();
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<std::size_t>(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, static_cast<std::size_t>(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
#endif

namespace {

using namespace std::chrono_literals;

// Longer than any small-string buffer: copying it allocates.
const std::string kBlocked = "slot-lock-audit/blocked-burst-component-with-a-long-name";
const std::string kStream = "slot-lock-audit/streaming-spawns-component-with-a-long-name";

TEST(SlotLockAudit, NothingAllocatesWhileASlotLockIsHeld) {
#ifdef TETHER_TEST_SANITIZER_HOOKS
  ASSERT_NE(g_hooks_installed, 0) << "the sanitizer did not take the allocation hooks";
#endif
  if (!tether::detail::slot_lock_audit_enabled()) {
    GTEST_SKIP() << "this runtime build keeps no slot-lock count (configure with -DTETHER_SLOT_LOCK_AUDIT=ON or a "
                    "TETHER_SANITIZE build)";
  }
  tether::registry::tracking_scope tracked;
  const std::size_t before = g_allocs_under_slot_lock.load();

  std::atomic<bool> stop{false};
  std::atomic<std::size_t> listed{0};  // group tasks the snapshots saw
  std::vector<tether::task> readers;  // dedicated threads (safe_go), outside the pool
  tether::task_group blocked(tether::background(), kBlocked);
  for (int r = 0; r < 2; ++r) {
    readers.push_back(tether::safe_go(tether::background(), "slot-lock-audit/reader", tether::policy::crash_process, [&, r] {
      while (!stop.load()) {
        if (r == 0) {
          for (const auto& t : tether::registry::snapshot()) {
            if (t.kind == tether::task_kind::group && (t.component == kBlocked || t.component == kStream)) ++listed;
          }
        } else {
          // wait_for lists the group's own queued and running tasks (the same walk, filtered) on a timeout.
          listed += blocked.wait_for(0ms).size();
        }
        std::this_thread::yield();
      }
    }));
  }

  // A burst that stays queued: every task waits for the gate, so the rings must grow past their initial
  // 256 entries (the workers and the monitor's extra workers take one task each and block in it).
  tether_test::gate open;
  constexpr int kBurst = 3000;
  for (int i = 0; i < kBurst; ++i) blocked.spawn([&open] { open.wait(); });

  // Meanwhile several threads stream short tasks into another group.
  std::atomic<int> ran{0};
  {
    tether::task_group stream(tether::background(), kStream);
    std::vector<tether::task> spawners;
    for (int s = 0; s < 3; ++s) {
      spawners.push_back(tether::safe_go(tether::background(), "slot-lock-audit/spawner", tether::policy::crash_process, [&] {
        for (int i = 0; i < 2000; ++i) stream.spawn([&ran] { ++ran; });
      }));
    }
    for (auto& t : spawners) t.join();
    open.open();
    stream.wait();
  }
  blocked.wait();
  EXPECT_EQ(ran.load(), 6000);
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_TRUE(tether::registry::wait_idle(tether_test::kSafety));
  EXPECT_GT(listed.load(), 0U) << "the snapshots never saw a queued or running group task";

  // Idle past the monitor's trim delay (1 s): it gives the grown rings back (locks each slot, frees outside).
  std::this_thread::sleep_for(1500ms);

  EXPECT_GT(g_allocs_total.load(), 0U) << "no allocation was counted at all: the counting is broken";
  EXPECT_EQ(g_allocs_under_slot_lock.load() - before, 0U)
      << "allocations made while holding a slot spinlock (of " << g_allocs_total.load() << " in all)";
  EXPECT_EQ(tether::detail::slot_locks_held(), 0U);
}

}  // namespace
