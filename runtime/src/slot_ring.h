// Internal: the slot ring (scheduler.h) - one slot per worker plus a few shared by all other threads.
//
// Owns: a slot's spinlock, its ring of queued jobs (a power-of-two array of {job, group}; positions only
// grow, holes are left where a helper took a job out of the middle), and the list of jobs its thread(s) are
// running (linked through job::run_prev/run_next).
//
// Thread safety and ordering:
// - Everything in a slot except `nonempty` and `pops` is guarded by `lock`. `lock` is held for a few dozen
//   instructions at a time; nothing that allocates or frees memory, builds a string, blocks or calls user
//   code runs under it: a full ring grows by allocating the new buffer with the lock released and swapping
//   it in under the lock (pool::push), an oversized empty one is given back the same way by the monitor
//   (pool::trim_rings), and the registry copies only ids, times and reference-counted component names
//   under the locks (pool::collect). Audit builds check this (slot_lock_audit.h; test/runtime/
//   slot_lock_audit_test.cpp).
// - A job moves from a ring to a running list under that slot's lock; between two slots (a steal) only with
//   both locked (the thief's held while try-locking the victim's), so the registry, which locks every slot
//   in index order, never misses a job or sees it twice.
// - `nonempty` is written under `lock` only when it changes, on its own cache line, with a seq_cst store when
//   it becomes true (pairs with the seq_cst loads of pool::sleep and pool::wait_group); thieves, sleepers
//   and the monitor poll it without the lock.
// - `pops` is written under `lock` and read (relaxed) by the monitor as a progress count.
#pragma once

#include <tether/task_group.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <thread>

namespace tether::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

#ifdef TETHER_SLOT_LOCK_AUDIT
// Audit builds (sanitizer builds, or -DTETHER_SLOT_LOCK_AUDIT=ON): the slot locks the calling thread holds,
// so a test can check that nothing allocates under one (slot_lock_audit.h). Not in normal builds: it would
// cost a thread-local update on every lock and unlock of the spawn path.
inline constinit thread_local unsigned tl_slot_locks_held = 0;
#endif

// Guards a slot for a few dozen instructions at a time. Yields after a short spin: on an oversubscribed
// machine the holder may be descheduled.
class spinlock {
 public:
  void lock() noexcept {
    for (unsigned spins = 0;;) {
      if (!locked_.exchange(true, std::memory_order_acquire)) {
        acquired();
        return;
      }
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins < 64) {
          cpu_relax();
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  bool try_lock() noexcept {
    if (locked_.load(std::memory_order_relaxed) || locked_.exchange(true, std::memory_order_acquire)) return false;
    acquired();
    return true;
  }
  void unlock() noexcept {
#ifdef TETHER_SLOT_LOCK_AUDIT
    --tl_slot_locks_held;
#endif
    locked_.store(false, std::memory_order_release);
  }

 private:
  static void acquired() noexcept {
#ifdef TETHER_SLOT_LOCK_AUDIT
    ++tl_slot_locks_held;
#endif
  }

  std::atomic<bool> locked_{false};
};

struct queued_job {
  job* j;                 // null: taken out of the middle by a helper
  const group_state* g;   // j's group, so helpers scan without touching the jobs
};

constexpr std::size_t kInitCap = 256;      // entries per slot ring to start with
constexpr std::size_t kShrinkCap = 65536;  // an empty ring bigger than this is given back (pool::trim_rings)
constexpr std::size_t kStealMax = 128;     // jobs one steal moves at most

struct alignas(64) slot {
  // Whether the ring holds a job. Written under `lock`, only when that changes, and on its own cache line:
  // thieves, sleepers and the monitor poll it without disturbing a thread that keeps pushing. Set with a
  // seq_cst store that pairs with the seq_cst loads of the sleep paths (see pool::sleep, pool::wait_group).
  std::atomic<bool> nonempty{false};

  alignas(64) spinlock lock;
  std::size_t count = 0;               // queued jobs
  std::atomic<std::uint64_t> pops{0};  // jobs taken out of this ring so far (the monitor's progress count)
  queued_job* buf = nullptr;
  std::size_t cap = 0;   // a power of two
  std::size_t head = 0;  // entries [head, tail) are buf[pos & (cap - 1)]; positions only grow
  std::size_t tail = 0;
  job* running = nullptr;  // jobs taken by this slot's thread(s) and not finished yet

  std::size_t mask() const noexcept { return cap - 1; }
  std::size_t room() const noexcept { return cap - (tail - head); }

  // The ring's buffer: allocated and freed only with the lock released (see swap_buffer).
  static queued_job* new_buffer(std::size_t n) { return new queued_job[n]; }

  // Installs `nb` (`n` entries, a power of two, at least the entries between head and tail) and returns the
  // old buffer, which the caller frees after unlocking. Under the lock; allocates nothing.
  queued_job* swap_buffer(queued_job* nb, std::size_t n) noexcept {
    for (std::size_t i = head; i != tail; ++i) nb[i - head] = buf[i & mask()];
    queued_job* old = buf;
    buf = nb;
    tail -= head;
    head = 0;
    cap = n;
    return old;
  }

  // Returns true if the ring was empty: the caller then checks for sleepers (pool::new_work). A thread that
  // went to sleep after looking at `nonempty` either saw this store or is seen by that check; while the
  // ring stays non-empty, nobody can have gone to sleep without seeing it. Needs room() != 0 (pool::push
  // grows the ring with the lock released first).
  bool push_back(job* j) noexcept {
    buf[tail++ & mask()] = queued_job{j, j->group};
    if (count++ != 0) return false;
    nonempty.store(true, std::memory_order_seq_cst);
    return true;
  }

  void took_one() noexcept {
    const std::size_t n = --count;
    pops.store(pops.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    if (n == 0) {
      nonempty.store(false, std::memory_order_relaxed);
      head = tail = 0;  // anything left between them is a hole
    }
  }

  job* pop_back() noexcept {
    while (tail != head) {
      const queued_job q = buf[--tail & mask()];
      if (q.j != nullptr) {
        took_one();
        return q.j;
      }
    }
    return nullptr;
  }

  job* pop_front() noexcept {
    while (head != tail) {
      const queued_job q = buf[head++ & mask()];
      if (q.j != nullptr) {
        took_one();
        return q.j;
      }
    }
    return nullptr;
  }

  // A queued job of `g`: the newest if `newest`, else the oldest. Leaves a hole if it is not at an end.
  job* take_group(const group_state* g, bool newest) noexcept {
    if (count == 0) return nullptr;
    std::size_t at = tail;
    if (newest) {
      for (std::size_t i = tail; i != head;) {
        --i;
        if (buf[i & mask()].j != nullptr && buf[i & mask()].g == g) {
          at = i;
          break;
        }
      }
    } else {
      for (std::size_t i = head; i != tail; ++i) {
        if (buf[i & mask()].j != nullptr && buf[i & mask()].g == g) {
          at = i;
          break;
        }
      }
    }
    if (at == tail) return nullptr;
    job* j = buf[at & mask()].j;
    buf[at & mask()].j = nullptr;
    while (tail != head && buf[(tail - 1) & mask()].j == nullptr) --tail;
    while (head != tail && buf[head & mask()].j == nullptr) ++head;
    took_one();
    return j;
  }

  void link_running(job* j, std::uint32_t self) noexcept {
    j->run_slot = self;
    j->run_prev = nullptr;
    j->run_next = running;
    if (running != nullptr) running->run_prev = j;
    running = j;
  }

  void unlink_running(job* j) noexcept {
    (j->run_prev != nullptr ? j->run_prev->run_next : running) = j->run_next;
    if (j->run_next != nullptr) j->run_next->run_prev = j->run_prev;
    j->run_prev = j->run_next = nullptr;
  }
};

}  // namespace tether::detail
