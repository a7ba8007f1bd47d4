// Internal: the state a task_group shares with the scheduler (task_group.cpp, scheduler.cpp).
//
// Owns: group_state (a task_group's shared part), its state word, and the per-thread stack of group tasks
// running on the calling thread (run_frame).
//
// Thread safety and ordering:
// - `state` is the one word every spawn, completion and waiter touches: [pending: 43 bits][closed: 1]
//   [waiters: 20], always updated with seq_cst read-modify-writes. A task's completion is one decrement
//   (complete()); after it the group may be destroyed by its owner, so complete() uses only its address.
// - `component` and `limit` are written by the constructor and never change: readable without a lock.
// - `ctx`, `cancel_ctx` and `errors` are guarded by `m`; ctx is replaced only while no task runs (reopen()).
// - `reg_prev`/`reg_next` are guarded by the live-groups shard's mutex (task_group.cpp).
// - tl_frames is thread-local: only the calling thread reads or writes it.
#pragma once

#include <tether/context.h>
#include <tether/task_group.h>

#include "groups.h"
#include "parking.h"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace tether::detail {

// The group's state word: [pending: 43 bits][closed: 1][waiters: 20].
constexpr unsigned kWaiterBits = 20;
constexpr std::uint64_t kWaiterOne = 1;
constexpr std::uint64_t kWaiterMask = (std::uint64_t{1} << kWaiterBits) - 1;
constexpr std::uint64_t kClosed = std::uint64_t{1} << kWaiterBits;  // the last batch ended in wait(): reopen on next spawn
constexpr unsigned kPendingShift = kWaiterBits + 1;
constexpr std::uint64_t kPendingOne = std::uint64_t{1} << kPendingShift;

constexpr std::size_t pending_of(std::uint64_t state) noexcept { return static_cast<std::size_t>(state >> kPendingShift); }

struct group_state {
  // Immutable and reference-counted: the registry copies the pointer under the slot locks (pool::collect)
  // and builds its strings after releasing them, when the group may be gone.
  std::shared_ptr<const std::string> component;
  std::size_t limit = 0;  // 0: none
  context ctx;  // the current batch's: a child of the parent; replaced (under m) only while no task runs (reopen())
  cancel_fn cancel_ctx;

  // See the state word above (pending, closed, waiters).
  std::atomic<std::uint64_t> state{0};
  // Running tasks of this group whose threads are parked in a limited spawn() on it (self-deadlock check).
  std::atomic<std::size_t> blocked_in_spawn{0};

  mutable std::mutex m;  // errors, and replacing ctx / cancel_ctx
  std::vector<std::exception_ptr> errors;

  // The list of live groups (registry::live_count sums their pending counts); its shard's mutex.
  group_state* reg_prev = nullptr;
  group_state* reg_next = nullptr;
};

// The group tasks running on this thread, innermost first (work-helping nests them): wait() and a blocked
// spawn() look here for tasks of their own group, and process exit for the calling thread's own tasks.
struct run_frame {
  const group_state* group;
  std::uint64_t id;
  const run_frame* outer;
};
inline constinit thread_local const run_frame* tl_frames = nullptr;

inline std::size_t frames_of(const group_state& g) noexcept {
  std::size_t n = 0;
  for (const run_frame* f = tl_frames; f != nullptr; f = f->outer) n += f->group == &g ? 1 : 0;
  return n;
}

inline bool runs_task_of(const group_state& g) noexcept {
  for (const run_frame* f = tl_frames; f != nullptr; f = f->outer) {
    if (f->group == &g) return true;
  }
  return false;
}

// Counts one task of `g` as finished. `limit` was read before: `g` may be destroyed as soon as pending
// reaches zero, so after the decrement only its address is used.
inline void complete(group_state& g, std::size_t limit) noexcept {
  const std::uint64_t old = g.state.fetch_sub(kPendingOne, std::memory_order_seq_cst);
  const std::size_t left = pending_of(old) - 1;
  if ((old & kWaiterMask) != 0 && (left == 0 || left < limit)) unpark_all(&g);
  if (left == 0) notify_idle_waiters();
}

// Thrown by a limited spawn that would wait for itself (see pool::wait_group) (task_group.cpp).
[[noreturn]] void throw_self_deadlock(const group_state& g);

}  // namespace tether::detail
