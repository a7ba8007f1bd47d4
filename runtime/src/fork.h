// Internal: fork() support. One pthread_atfork handler (registered with the exit handler, before the
// runtime's first thread starts) calls each part of the runtime in a fixed order, so a forked child starts
// with a fresh, empty runtime. See fork.cpp and docs/runtime.md, "fork()".
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <new>

namespace tether::detail {

enum class fork_phase {
  prepare,  // in the forking thread before fork(): take the locks whose state the child needs
  parent,   // in the parent after fork(): release them
  child,    // in the child (one thread): rebuild the state, starting threads lazily
};

// Registers the pthread_atfork handler (once).
void register_fork_handlers() noexcept;

// Incremented in every forked child (before any other child hook runs).
std::uint32_t fork_generation() noexcept;

// Keeps an abandoned pre-fork object reachable (leak checkers scan globals) without ever destroying it: its
// locks may be held by threads that do not exist in the child.
void keep_forever(const void* p) noexcept;

// In a forked child: abandons `*slot` (kept reachable by keep_forever, never destroyed) and installs a fresh,
// default-constructed T. Aborts if the child is out of memory (it could not run the runtime anyway).
template <class T>
void replace_in_child(T*& slot) noexcept {
  T* fresh = new (std::nothrow) T;
  if (fresh == nullptr) {
    std::fputs("tether: out of memory rebuilding the pool in a forked child\n", stderr);
    std::abort();
  }
  keep_forever(slot);
  slot = fresh;
}

// The parts of the runtime, in the order their prepare hooks run (parent and child hooks run the same order;
// the locks they take are never held while taking another's).
void timer_atfork(fork_phase phase) noexcept;
void pool_atfork(fork_phase phase) noexcept;
void registry_atfork(fork_phase phase) noexcept;
void safe_go_atfork(fork_phase phase) noexcept;
void shutdown_atfork(fork_phase phase) noexcept;

}  // namespace tether::detail
