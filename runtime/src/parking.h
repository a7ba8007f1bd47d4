// Internal: parking - where threads waiting for a task_group sleep (parking.cpp).
//
// Owns: a process-wide table of kParkBuckets buckets (mutex + condition variable), keyed by the group's
// address, and per bucket the count of threads parked there and a push epoch.
//
// Thread safety and ordering:
// - Waking needs only the key (the group's address), so a completing task or a spawn can wake the owner of
//   a group that may already be gone. The buckets are immortal (replaced, never freed, in a forked child).
// - park() evaluates its predicate under the bucket's mutex; unpark_all() takes and releases that mutex
//   before notifying, so a parker is either before its check (and sees the caller's change) or waiting.
// - park_counts is constant-initialized and trivially destructible: no initialization guard on the spawn
//   path, and usable until the very end of the process. Its fields are touched only with seq_cst
//   operations; wake_helpers() explains the pairing with a helper's announcement (pool::wait_group).
// - Nothing here allocates after the first use of the table.
#pragma once

#include "fork.h"

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>

namespace tether::detail {

struct park_bucket {
  std::mutex m;
  std::condition_variable cv;
};
constexpr std::size_t kParkBuckets = 256;

inline std::size_t bucket_index(const void* key) noexcept {
  return static_cast<std::size_t>((static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(key)) *
                                   0x9E3779B97F4A7C15ULL) >> 56);
}

park_bucket& bucket_for(const void* key);

// Per bucket, what a spawn reads after its last access to the group (wake_helpers): the threads parked (or
// about to park) in the bucket, on any group, and an epoch bumped by a spawn that sees them, so a helper
// asleep in wait() comes back for the new task. Constant-initialized and trivially destructible: no
// initialization guard on the spawn path, and usable until the very end of the process.
struct park_count {
  std::atomic<std::uint64_t> parked{0};
  std::atomic<std::uint64_t> push_epoch{0};
};
inline constinit std::array<park_count, kParkBuckets> park_counts{};

// Sleeps while `still()` (evaluated under the bucket's mutex) holds, or until `deadline`.
template <class Pred>
void park(const void* key, Pred still, std::optional<std::chrono::steady_clock::time_point> deadline) {
  park_bucket& b = bucket_for(key);
  std::unique_lock lk(b.m);
  while (still()) {
    if (!deadline) {
      b.cv.wait(lk);
    } else if (b.cv.wait_until(lk, *deadline) == std::cv_status::timeout) {
      return;
    }
  }
}

// The caller changed what `still()` reads before calling this.
void unpark_all(const void* key) noexcept;

// After a spawn queued a job of the group at `key`: threads parked in its bucket may be helpers that can run
// it. Uses only the address (the job may have run and the group may be gone already). A helper announces
// itself (seq_cst increment of `parked`) and then looks at every slot: if it skipped ours as empty, our
// seq_cst store of `nonempty` came after its look, so this load sees it; if it locked our slot before we
// did, its announcement happened before our push, so this load sees it too; otherwise it found the job.
// A waiter of another group in the same bucket costs a spurious look.
inline void wake_helpers(const void* key) noexcept {
  park_count& c = park_counts[bucket_index(key)];
  if (c.parked.load(std::memory_order_seq_cst) != 0) {
    c.push_epoch.fetch_add(1, std::memory_order_seq_cst);
    unpark_all(key);
  }
}

// fork(): prepare builds the table (a lazily built static must not be half-built in the child); the child
// forgets the parent's parked threads and gets a fresh table (the old one's mutexes may be held by threads
// that do not exist there). Aborts if the child is out of memory.
void parking_atfork(fork_phase phase) noexcept;

}  // namespace tether::detail
