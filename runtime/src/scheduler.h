// Internal: the scheduler - the shared worker pool behind task_group (scheduler.cpp) and its monitor
// (monitor.cpp). A raw thread spawn site allowed by tether's lint config.
//
// Scheduling. One process-wide pool of hardware_concurrency() workers, started on the first spawn and joined
// at exit. Work lives in "slots" (slot_ring.h): one per worker plus a few shared by every other thread
// ("external" slots; a thread is assigned one round-robin on first use). A spawn pushes onto the spawning
// thread's own slot. A worker pops its own slot newest-first (LIFO: depth-first, cache-warm) and, when that
// is empty, steals the oldest jobs of another slot (FIFO), up to half of them at once into its own slot, so a
// stream of spawns from one thread costs a thief one steal per batch rather than one per task.
//
// Wake-ups. A worker that runs out of work "searches" (spins over the slots for a few microseconds) before
// it sleeps. A push wakes a sleeping worker only if nobody is searching; the woken worker counts as searching
// until it finds work, and the last searcher to find work wakes one more sleeper if work is still queued
// (Go's scheduler does the same). So a burst of spawns costs one or two wake-ups, not one per task.
//
// Work-helping and nested groups. A thread that waits for a group - wait(), or spawn() blocked on the group's
// limit - takes and runs *that group's* queued jobs instead of blocking (wait_group): first from its own slot
// (newest first), then from any other slot (oldest first, wherever they are queued). Helping only with one's
// own group keeps the helper's stack depth bounded by the nesting depth of groups, and it is what makes
// nested groups deadlock-free: a waiter either runs its group's queued tasks itself or sleeps while they run
// on threads that make progress the same way. A spawn into a group with parked waiters wakes them
// (parking.h), so a waiter never sleeps through a task it could run.
//
// Registry visibility. Group tasks are not linked into the registry one at a time: the registry asks the
// pool (collect), which locks every slot and lists the queued and running jobs (queued and running are the
// only states a live job can be in, and moving between them happens under the slot locks, so no live task
// is ever missed).
//
// The monitor (monitor.cpp). Blocking tasks (a task sleeping on its context until a sibling fails, a slow
// I/O call) could otherwise starve the queue: with every worker blocked, the sibling that would cancel them
// never runs. So a monitor thread watches the slots while any job is queued; if no job was taken for
// kStarvation and no worker is idle, it adds a temporary worker (up to kMaxExtra), which retires after
// kExtraIdle without work. This mirrors what Go's scheduler does for goroutines blocked in syscalls. Retired
// workers are joined by the monitor; everything is joined at exit. The monitor also trims the job-memory
// depot (job_memory.h) once the pool has been idle for kTrimAfter.
//
// Thread safety and ordering:
// - Slots: see slot_ring.h. A thread holds at most its own slot plus a try-locked victim (steal), or every
//   slot in index order (collect); no other lock is taken while a slot is held.
// - searching_/sleeping_ are seq_cst counters; invariant: searching_ == workers searching + wake-ups posted
//   and not yet taken. wakes_ is guarded by sleep_m_. A sleeper registers in sleeping_ before its last look
//   at the slots, and a push that made a slot non-empty (seq_cst store) then checks sleeping_: one of them
//   sees the other.
// - workers_ and monitor_ are guarded by start_m_; extras_ (and each extra_worker::retired) by mon_m_.
// - The pool is immortal (groups may finish during static destruction) and replaced, never freed, in a
//   forked child (scheduler_atfork).
#pragma once

#include <tether/registry.h>
#include <tether/task_group.h>

#include "fork.h"
#include "group_state.h"
#include "parking.h"
#include "slot_ring.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace tether::detail {

inline constinit thread_local bool tl_pool_worker = false;
inline constinit thread_local std::int32_t tl_slot = -1;  // the calling thread's slot; assigned on first use

constexpr auto kStarvation = std::chrono::milliseconds(50);
constexpr auto kExtraIdle = std::chrono::seconds(2);
constexpr std::size_t kMaxExtra = 256;
constexpr auto kTrimAfter = std::chrono::seconds(1);

class pool {
 public:
  pool() : slots_(new slot[nslots_]) {
    for (std::size_t i = 0; i < nslots_; ++i) slots_[i].swap_buffer(slot::new_buffer(kInitCap), kInitCap);
  }

  std::size_t size() const noexcept { return size_; }
  bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }

  // Queues `j` on the calling thread's slot. Returns false once the pool has been shut down at process exit
  // (the caller then runs the job inline). Throws bad_alloc if the slot's ring cannot grow.
  bool push(job* j) {
    if (stopping_.load(std::memory_order_acquire)) return false;
    if (!started_.load(std::memory_order_acquire) && !start()) return false;
    slot& s = slots_[my_slot()];
    s.lock.lock();
    while (s.room() == 0) [[unlikely]] {
      const std::size_t cap = s.cap;
      s.lock.unlock();
      grow_ring(s, cap);  // allocates with the lock released; may throw bad_alloc
      s.lock.lock();
    }
    const bool was_empty = s.push_back(j);
    s.lock.unlock();
    if (was_empty) new_work();
    return true;
  }

  // Runs `j` on the calling thread (the pool is shut down), visible in the registry while it runs.
  void run_inline(job* j) noexcept;

  // Waits until `done(state)`, running `g`'s queued jobs meanwhile if `help`. Returns false on timeout.
  // `spawner_frames` (a limited spawn blocked on a full group): the number of `g`'s tasks running on this
  // thread, counted in g.blocked_in_spawn while parked. Each of them holds a slot; when such tasks hold every
  // slot, no slot can ever be freed, and the spawn that completes that cycle throws (throw_self_deadlock).
  template <class Done>
  bool wait_group(group_state& g, Done done, bool help, std::optional<std::chrono::steady_clock::time_point> deadline,
                  std::size_t spawner_frames = 0);

  // Runs one job taken from a slot by this thread, then completes it in its group.
  void execute(job* j) noexcept;

  // Appends the queued and running jobs of `only` (all tracked jobs if null), oldest spawn first. Locks
  // every slot at once (in index order): a job moves between slots only with both slots locked, so none is
  // missed or seen twice, and none can finish (so its group stays alive) while the slots are held. Under
  // the locks it only copies ids, spawn sites, times and a reference to each job's component name into a
  // buffer reserved beforehand (and retries with a bigger one if it was too small); the task_info strings
  // are built after the slots are released.
  void collect(std::vector<task_info>& out, const group_state* only);

  // Stops the pool (workers drain what is queued, then exit); joins the threads only if `join`. Never joins
  // the calling thread.
  void shutdown(bool join) noexcept;

  // Temporary workers added by the monitor and not yet joined.
  std::size_t extra_workers();

  // A queued job of `g` for the calling thread to run: its own slot's newest first, then the oldest in any
  // other slot. The job moves from a slot's ring to the same slot's running list under that slot's lock
  // alone, so this never holds two locks and may block on each.
  job* take_group(const group_state& g);

 private:
  struct extra_worker {
    std::thread thread;
    bool retired = false;  // guarded by mon_m_
  };
  enum class woke { work, stop, idle };

  std::uint32_t my_slot() noexcept {
    if (tl_slot < 0) tl_slot = static_cast<std::int32_t>(external_slot());
    return static_cast<std::uint32_t>(tl_slot);
  }
  std::uint32_t external_slot() noexcept {
    return static_cast<std::uint32_t>(size_ + ext_next_.fetch_add(1, std::memory_order_relaxed) % ext_);
  }

  // Replaces the ring of `s` (seen with capacity `seen_cap` and full) by one twice as big. Allocates before
  // and frees after taking the slot's lock; a no-op if the ring changed meanwhile.
  static void grow_ring(slot& s, std::size_t seen_cap);
  // Gives back the rings grown beyond kShrinkCap that are empty now (the monitor, once the pool is idle).
  void trim_rings() noexcept;

  bool any_queued() const noexcept;
  std::uint64_t total_pops() const noexcept;
  bool start();

  // After a slot became non-empty (seq_cst store of `nonempty`): wake a sleeping worker unless one is
  // already searching, and the monitor if it sleeps.
  void new_work() noexcept;
  // Hands a wake-up to one sleeper, which counts as searching from now on. Invariant: searching_ == workers
  // searching + wake-ups not yet taken (a wake-up is taken by the next worker that goes to sleep).
  void wake_one() noexcept;
  void post_wake() noexcept;

  job* find_work(std::uint32_t self) noexcept;
  // The oldest job of some other slot, plus up to half of the rest (at most kStealMax in all) moved to our
  // own slot. Holds our slot while try-locking the victim: never blocks on a second lock.
  job* steal(std::uint32_t self) noexcept;
  static std::uint32_t& victim_rng() noexcept;
  // A searching worker looks again for a few microseconds before it sleeps.
  job* spin(std::uint32_t self) noexcept;
  // Sleeps until woken for work (counted as searching on return), for shutdown, or (extra workers) for
  // kExtraIdle without work.
  woke sleep(bool extra);
  void worker(std::uint32_t self, bool extra);

  // monitor.cpp
  void monitor();
  bool has_retired_locked() const;

  const std::size_t size_ = std::max(1U, std::thread::hardware_concurrency());
  const std::size_t ext_ = std::max<std::size_t>(2, size_);  // slots shared by non-worker threads
  const std::size_t nslots_ = size_ + ext_;
  const std::unique_ptr<slot[]> slots_;
  std::atomic<std::size_t> ext_next_{0};
  std::atomic<std::size_t> collect_hint_{64};  // how many jobs the last collect() found (its buffer size)

  std::atomic<bool> started_{false};
  std::atomic<bool> stopping_{false};
  std::mutex start_m_;
  std::vector<std::thread> workers_;  // guarded by start_m_
  std::thread monitor_;

  std::atomic<int> searching_{0};
  std::atomic<int> sleeping_{0};
  std::mutex sleep_m_;
  std::condition_variable sleep_cv_;
  std::size_t wakes_ = 0;  // guarded by sleep_m_

  std::mutex mon_m_;
  std::condition_variable mon_cv_;
  std::atomic<bool> monitor_idle_{false};
  std::list<extra_worker> extras_;  // guarded by mon_m_; bounded by kMaxExtra, retired entries are erased
};

// The process-wide pool (immortal; replaced in a forked child).
pool& the_pool();

// fork(): prepare builds the pool object; the child gets a fresh, empty one, started again by its first
// spawn (the old one is abandoned: its locks may be held by threads that do not exist there).
void scheduler_atfork(fork_phase phase) noexcept;

template <class Done>
bool pool::wait_group(group_state& g, Done done, bool help,
                      std::optional<std::chrono::steady_clock::time_point> deadline, std::size_t spawner_frames) {
  park_count& bucket = park_counts[bucket_index(&g)];
  for (;;) {
    if (done(g.state.load(std::memory_order_seq_cst))) return true;
    if (deadline && std::chrono::steady_clock::now() >= *deadline) return false;
    if (help) {
      if (job* j = take_group(g)) {
        execute(j);
        continue;
      }
    }
    // Announce the waiter, then look once more: a spawn that queued a job of `g` before the announcement
    // is found by this look; one after it sees the waiter and unparks (wake_helpers).
    const std::uint64_t epoch = bucket.push_epoch.load(std::memory_order_seq_cst);
    bucket.parked.fetch_add(1, std::memory_order_seq_cst);  // seen by spawns (wake_helpers)
    g.state.fetch_add(kWaiterOne, std::memory_order_seq_cst);  // seen by completions (complete)
    const auto unannounce = [&] {
      g.state.fetch_sub(kWaiterOne, std::memory_order_seq_cst);
      bucket.parked.fetch_sub(1, std::memory_order_seq_cst);
    };
    job* j = help ? take_group(g) : nullptr;
    if (j == nullptr) {
      if (spawner_frames != 0 &&
          g.blocked_in_spawn.fetch_add(spawner_frames, std::memory_order_seq_cst) + spawner_frames >= g.limit) {
        // Every slot is held by a task parked here or in another blocked spawn: nothing can free one.
        g.blocked_in_spawn.fetch_sub(spawner_frames, std::memory_order_seq_cst);
        unannounce();
        throw_self_deadlock(g);
      }
      park(
          &g,
          [&] {
            return !done(g.state.load(std::memory_order_seq_cst)) &&
                   bucket.push_epoch.load(std::memory_order_seq_cst) == epoch;
          },
          deadline);
      if (spawner_frames != 0) g.blocked_in_spawn.fetch_sub(spawner_frames, std::memory_order_seq_cst);
    }
    unannounce();
    if (j != nullptr) execute(j);
  }
}

}  // namespace tether::detail
