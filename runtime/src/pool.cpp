// The shared worker pool behind task_group (a raw thread spawn site allowed by tether's lint config).
//
// Scheduling. One process-wide pool of hardware_concurrency() workers, started on the first spawn and joined
// at exit. Work lives in "slots": one per worker plus a few shared by every other thread ("external" slots;
// a thread is assigned one round-robin on first use). A slot is a spinlock-protected ring of queued jobs and
// the list of jobs its thread(s) are running. A spawn pushes onto the spawning thread's own slot. A worker
// pops its own slot newest-first (LIFO: depth-first, cache-warm) and, when that is empty, steals the oldest
// jobs of another slot (FIFO), up to half of them at once into its own slot, so a stream of spawns from one
// thread costs a thief one steal per batch rather than one per task.
//
// Wake-ups. A worker that runs out of work "searches" (spins over the slots for a few microseconds) before
// it sleeps. A push wakes a sleeping worker only if nobody is searching; the woken worker counts as searching
// until it finds work, and the last searcher to find work wakes one more sleeper if work is still queued
// (Go's scheduler does the same). So a burst of spawns costs one or two wake-ups, not one per task.
//
// Work-helping and nested groups. A thread that waits for a group - wait(), or spawn() blocked on the group's
// limit - takes and runs *that group's* queued jobs instead of blocking: first from its own slot (newest
// first), then from any other slot (oldest first, wherever they are queued). Helping only with one's own
// group keeps the helper's stack depth bounded by the nesting depth of groups, and it is what makes nested
// groups deadlock-free: a waiter either runs its group's queued tasks itself or sleeps while they run on
// threads that make progress the same way. A spawn into a group with parked waiters wakes them, so a waiter
// never sleeps through a task it could run.
//
// Per-task synchronization. A group keeps one atomic word: pending tasks (reserved, queued or running; the
// limit applies to it), a "batch closed" bit (task_group reuse) and the number of threads parked on the
// group. A task's completion is one atomic decrement; only when it drops pending to zero (or below the
// limit) with a thread parked does it wake anyone, through a process-wide table of parking buckets keyed by
// the group's address, so a completing task never touches its group after that decrement (the owner may
// destroy the group as soon as nothing is pending).
//
// Spawns from other threads. A spawn's job may run and complete (on a worker, or on the owner helping in
// wait()) as soon as it is queued, and the owner may then destroy the group while the spawning thread is
// still inside spawn(). So, like errgroup.Go, a spawn never touches the group after queueing the job: to
// find out whether threads parked on the group should come back for the new job, it looks at its parking
// bucket (immortal, keyed by the group's address), which counts the threads parked there.
//
// Memory. A job (links, registry fields and the task's body) lives in a 128-byte block when the body fits,
// recycled through per-thread caches that trade whole batches through a shared depot: a job spawned on one
// thread and finished on another costs neither thread a malloc/free. Bigger bodies use operator new.
//
// Registry visibility. Group tasks are not linked into the registry one at a time: the registry asks the
// pool, which locks every slot and lists the queued and running jobs (queued and running are the only
// states a live job can be in, and moving between them happens under the slot locks, so no live task is
// ever missed). live_count() sums the pending counts of the live groups.
//
// Blocking tasks (a task sleeping on its context until a sibling fails, a slow I/O call) could otherwise
// starve the queue: with every worker blocked, the sibling that would cancel them never runs. So a monitor
// thread watches the slots while any job is queued; if no job was taken for kStarvation and no worker is
// idle, it adds a temporary worker (up to kMaxExtra), which retires after kExtraIdle without work. This
// mirrors what Go's scheduler does for goroutines blocked in syscalls. Retired workers are joined by the
// monitor; everything is joined at exit.
#include <tether/registry.h>
#include <tether/task_group.h>

#include "context_node.h"
#include "fork.h"
#include "groups.h"
#include "shutdown.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <list>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <thread>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TETHER_POOL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(TETHER_POOL_ASAN)
#define TETHER_POOL_ASAN 1
#endif
#ifdef TETHER_POOL_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace tether {
namespace detail {

namespace {

// The group's state word: [pending: 43 bits][closed: 1][waiters: 20].
constexpr unsigned kWaiterBits = 20;
constexpr std::uint64_t kWaiterOne = 1;
constexpr std::uint64_t kWaiterMask = (std::uint64_t{1} << kWaiterBits) - 1;
constexpr std::uint64_t kClosed = std::uint64_t{1} << kWaiterBits;  // the last batch ended in wait(): reopen on next spawn
constexpr unsigned kPendingShift = kWaiterBits + 1;
constexpr std::uint64_t kPendingOne = std::uint64_t{1} << kPendingShift;

constexpr std::size_t pending_of(std::uint64_t state) noexcept { return static_cast<std::size_t>(state >> kPendingShift); }

}  // namespace

struct group_state {
  std::string component;
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

namespace {

// The group tasks running on this thread, innermost first (work-helping nests them): wait() and a blocked
// spawn() look here for tasks of their own group, and process exit for the calling thread's own tasks.
struct run_frame {
  const group_state* group;
  std::uint64_t id;
  const run_frame* outer;
};
thread_local const run_frame* tl_frames = nullptr;

std::size_t frames_of(const group_state& g) noexcept {
  std::size_t n = 0;
  for (const run_frame* f = tl_frames; f != nullptr; f = f->outer) n += f->group == &g ? 1 : 0;
  return n;
}

bool runs_task_of(const group_state& g) noexcept {
  for (const run_frame* f = tl_frames; f != nullptr; f = f->outer) {
    if (f->group == &g) return true;
  }
  return false;
}
thread_local bool tl_pool_worker = false;
thread_local std::int32_t tl_slot = -1;  // the calling thread's slot; assigned on first use

constexpr auto kStarvation = std::chrono::milliseconds(50);
constexpr auto kExtraIdle = std::chrono::seconds(2);
constexpr std::size_t kMaxExtra = 256;

// ---------------------------------------------------------------------------------------------------------
// Small pieces

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Guards a slot for a few dozen instructions at a time. Yields after a short spin: on an oversubscribed
// machine the holder may be descheduled.
class spinlock {
 public:
  void lock() noexcept {
    for (unsigned spins = 0;;) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
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
    return !locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

// Spawn time of a group task. The precise clock costs ~40 ns per read on some VMs (kvm-clock), as much as
// the rest of a spawn; the coarse monotonic clock costs a few ns, has a resolution of a few ms and is never
// later than the precise one (it is the same clock, read at the last tick), so ages are never understated.
std::chrono::steady_clock::time_point spawn_time() noexcept {
#if defined(__linux__) && defined(CLOCK_MONOTONIC_COARSE)
  static const bool usable = [] {
    // steady_clock is CLOCK_MONOTONIC on Linux; check that it shares the coarse clock's epoch.
    timespec ts{};
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0) return false;
    const auto coarse = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
    const auto fine = std::chrono::steady_clock::now().time_since_epoch();
    return coarse <= fine && fine - coarse < std::chrono::seconds(1);
  }();
  timespec ts{};
  if (usable && clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == 0) {
    return std::chrono::steady_clock::time_point(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
  }
#endif
  return std::chrono::steady_clock::now();
}

// ---------------------------------------------------------------------------------------------------------
// Job memory: 128-byte blocks in per-thread caches, traded in batches of kBatch through a shared depot.

constexpr std::size_t kBlock = 128;
constexpr std::size_t kBatch = 64;
constexpr std::size_t kDepotKeep = 128;  // batches (1 MiB) the depot keeps once the pool has been idle for a while
constexpr auto kTrimAfter = std::chrono::seconds(1);
enum : std::uint8_t { alloc_block = 0, alloc_new = 1, alloc_aligned = 2 };  // alloc_aligned + log2(alignment)

struct free_block {
  free_block* next;        // next block of the same batch / thread list
  free_block* next_batch;  // next batch in the depot
};

void poison(free_block* b) noexcept {
#ifdef TETHER_POOL_ASAN
  ASAN_POISON_MEMORY_REGION(reinterpret_cast<char*>(b) + sizeof(free_block), kBlock - sizeof(free_block));
#else
  (void)b;
#endif
}

void unpoison(void* p) noexcept {
#ifdef TETHER_POOL_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, kBlock);
#else
  (void)p;
#endif
}

struct depot_state {
  std::mutex m;
  free_block* batches = nullptr;
  std::size_t count = 0;
};

depot_state*& depot_ptr() {
  static auto* d = new depot_state;  // immortal: threads flush their caches until the very end
  return d;                          // (replaced in a forked child: pool_atfork)
}

depot_state& depot() { return *depot_ptr(); }

void free_list(free_block* b) noexcept {
  while (b != nullptr) {
    free_block* next = b->next;
    unpoison(b);
    std::free(b);
    b = next;
  }
}

// The depot keeps everything a burst frees (at most what the burst had in flight), so the next burst does not
// go to malloc; the monitor trims it back to kDepotKeep batches once the pool has been idle for kTrimAfter.
void depot_put(free_block* batch) noexcept {
  auto& d = depot();
  std::lock_guard lk(d.m);
  batch->next_batch = d.batches;
  d.batches = batch;
  ++d.count;
}

void depot_trim(std::size_t keep) noexcept {
  free_block* drop = nullptr;
  {
    auto& d = depot();
    std::lock_guard lk(d.m);
    while (d.count > keep) {
      free_block* b = d.batches;
      d.batches = b->next_batch;
      --d.count;
      b->next_batch = drop;
      drop = b;
    }
  }
  while (drop != nullptr) {
    free_block* next = drop->next_batch;
    free_list(drop);
    drop = next;
  }
}

free_block* depot_take() noexcept {
  auto& d = depot();
  std::lock_guard lk(d.m);
  free_block* b = d.batches;
  if (b != nullptr) {
    d.batches = b->next_batch;
    --d.count;
  }
  return b;
}

// Trivially destructible, so it stays usable for the thread's whole life; cache_flusher empties it at exit.
struct job_cache {
  free_block* head;   // fewer than kBatch blocks
  std::size_t count;  // blocks in head
  free_block* spare;  // a full batch, or null
  bool dead;          // the thread is exiting: plain malloc/free from now on
  bool armed;         // cache_flusher constructed
};
thread_local constinit job_cache tl_cache{};

struct cache_flusher {
  cache_flusher() = default;
  cache_flusher(const cache_flusher&) = delete;
  cache_flusher& operator=(const cache_flusher&) = delete;
  ~cache_flusher() {
    job_cache& c = tl_cache;
    c.dead = true;
    if (c.spare != nullptr) depot_put(c.spare);
    free_list(c.head);
    c.head = c.spare = nullptr;
    c.count = 0;
  }
};
thread_local cache_flusher tl_flusher;

void arm(job_cache& c) noexcept {
  if (!c.armed) {
    c.armed = true;
    [[maybe_unused]] volatile const void* p = &tl_flusher;  // constructs it: its destructor flushes at exit
  }
}

}  // namespace

void* job_alloc(std::size_t size, std::size_t align, std::uint8_t& kind) {
  if (size <= kBlock && align <= alignof(std::max_align_t)) {
    kind = alloc_block;
    job_cache& c = tl_cache;
    if (!c.dead) {
      if (c.head == nullptr) {
        arm(c);
        if (c.spare != nullptr) {
          c.head = std::exchange(c.spare, nullptr);
        } else {
          c.head = depot_take();
        }
        c.count = c.head != nullptr ? kBatch : 0;
      }
      if (free_block* b = c.head) {
        c.head = b->next;
        --c.count;
        // A recycled block was usually last written by another core (the one that ran its task): fetch the
        // next one now, so the next spawn does not wait for it.
        if (c.head != nullptr) __builtin_prefetch(c.head, 1);
        unpoison(b);
        return b;
      }
    }
    if (void* p = std::malloc(kBlock)) return p;
    throw std::bad_alloc();
  }
  if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
    kind = alloc_new;
    return ::operator new(size);
  }
  kind = static_cast<std::uint8_t>(alloc_aligned + std::countr_zero(align));
  return ::operator new(size, std::align_val_t(align));
}

void job_dealloc(void* p, std::uint8_t kind) noexcept {
  if (kind == alloc_block) {
    job_cache& c = tl_cache;
    if (c.dead) {
      std::free(p);
      return;
    }
    arm(c);
    auto* b = static_cast<free_block*>(p);
    b->next = c.head;
    poison(b);
    c.head = b;
    if (++c.count == kBatch) {
      if (c.spare == nullptr) {
        c.spare = c.head;
      } else {
        depot_put(c.head);
      }
      c.head = nullptr;
      c.count = 0;
    }
  } else if (kind == alloc_new) {
    ::operator delete(p);
  } else {
    ::operator delete(p, std::align_val_t(std::size_t{1} << (kind - alloc_aligned)));
  }
}

namespace {

// ---------------------------------------------------------------------------------------------------------
// Parking: threads waiting for a group sleep in a bucket keyed by the group's address. Waking needs only
// the address, so a completing task can wake the owner of a group that may already be gone.

struct park_bucket {
  std::mutex m;
  std::condition_variable cv;
};
constexpr std::size_t kParkBuckets = 256;

inline std::size_t bucket_index(const void* key) noexcept {
  return static_cast<std::size_t>((static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(key)) *
                                   0x9E3779B97F4A7C15ULL) >> 56);
}

std::array<park_bucket, kParkBuckets>*& park_buckets() {
  static auto* buckets = new std::array<park_bucket, kParkBuckets>;  // immortal (replaced in a forked child)
  return buckets;
}

park_bucket& bucket_for(const void* key) {
  return (*park_buckets())[bucket_index(key)];
}

// Per bucket, what a spawn reads after its last access to the group (wake_helpers): the threads parked (or
// about to park) in the bucket, on any group, and an epoch bumped by a spawn that sees them, so a helper
// asleep in wait() comes back for the new task. Constant-initialized and trivially destructible: no
// initialization guard on the spawn path, and usable until the very end of the process.
struct park_count {
  std::atomic<std::uint64_t> parked{0};
  std::atomic<std::uint64_t> push_epoch{0};
};
constinit std::array<park_count, kParkBuckets> park_counts{};

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
void unpark_all(const void* key) noexcept {
  park_bucket& b = bucket_for(key);
  { std::lock_guard lk(b.m); }  // a parker is either before its check (and sees the change) or waiting
  b.cv.notify_all();
}

// Counts one task of `g` as finished. `limit` was read before: `g` may be destroyed as soon as pending
// reaches zero, so after the decrement only its address is used.
void complete(group_state& g, std::size_t limit) noexcept {
  const std::uint64_t old = g.state.fetch_sub(kPendingOne, std::memory_order_seq_cst);
  const std::size_t left = pending_of(old) - 1;
  if ((old & kWaiterMask) != 0 && (left == 0 || left < limit)) unpark_all(&g);
  if (left == 0) notify_idle_waiters();
}

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

[[noreturn]] void throw_self_deadlock(const group_state& g) {
  throw std::logic_error("tether::task_group::spawn: every slot of group '" + g.component + "' (limit " +
                         std::to_string(g.limit) +
                         ") is held by one of its own tasks blocked in spawn() on it: this spawn would wait for "
                         "itself forever (self-deadlock). Use try_spawn(), a larger limit, or spawn from outside "
                         "the group");
}

// ---------------------------------------------------------------------------------------------------------
// Slots

struct queued_job {
  job* j;                 // null: taken out of the middle by a helper
  const group_state* g;   // j's group, so helpers scan without touching the jobs
};

constexpr std::size_t kInitCap = 256;      // entries per slot ring to start with
constexpr std::size_t kShrinkCap = 65536;  // an emptied ring bigger than this is given back
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

  void grow() {
    const std::size_t n = std::max(kInitCap, cap * 2);
    auto* nb = new queued_job[n];
    for (std::size_t i = head; i != tail; ++i) nb[i - head] = buf[i & mask()];
    delete[] buf;
    buf = nb;
    tail -= head;
    head = 0;
    cap = n;
  }

  // Returns true if the ring was empty: the caller then checks for sleepers (pool::new_work). A thread that
  // went to sleep after looking at `nonempty` either saw this store or is seen by that check; while the
  // ring stays non-empty, nobody can have gone to sleep without seeing it.
  bool push_back(job* j) {
    if (room() == 0) grow();
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
      if (cap > kShrinkCap) {
        if (auto* nb = new (std::nothrow) queued_job[kInitCap]) {
          delete[] buf;
          buf = nb;
          cap = kInitCap;
        }
      }
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

// ---------------------------------------------------------------------------------------------------------
// The pool

class pool {
 public:
  pool() : slots_(new slot[nslots_]) {
    for (std::size_t i = 0; i < nslots_; ++i) slots_[i].grow();
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
    bool was_empty = false;
    try {
      was_empty = s.push_back(j);
    } catch (...) {
      s.lock.unlock();
      throw;
    }
    s.lock.unlock();
    if (was_empty) new_work();
    return true;
  }

  // Runs `j` on the calling thread (the pool is shut down), visible in the registry while it runs.
  void run_inline(job* j) noexcept {
    const std::uint32_t self = my_slot();
    slot& s = slots_[self];
    s.lock.lock();
    s.link_running(j, self);
    s.lock.unlock();
    execute(j);
  }

  // Waits until `done(state)`, running `g`'s queued jobs meanwhile if `help`. Returns false on timeout.
  // `spawner_frames` (a limited spawn blocked on a full group): the number of `g`'s tasks running on this
  // thread, counted in g.blocked_in_spawn while parked. Each of them holds a slot; when such tasks hold every
  // slot, no slot can ever be freed, and the spawn that completes that cycle throws (throw_self_deadlock).
  template <class Done>
  bool wait_group(group_state& g, Done done, bool help, std::optional<std::chrono::steady_clock::time_point> deadline,
                  std::size_t spawner_frames = 0) {
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

  // Runs one job taken from a slot by this thread, then completes it in its group.
  void execute(job* j) noexcept {
    group_state& g = *j->group;
    const std::size_t limit = g.limit;
    std::exception_ptr ep;
    const run_frame frame{&g, j->id, tl_frames};
    tl_frames = &frame;
    try {
      j->op(j, &g.ctx);
    } catch (...) {
      ep = std::current_exception();
    }
    tl_frames = frame.outer;
    if (ep) {
      bool first = false;
      {
        std::lock_guard lk(g.m);
        try {
          g.errors.push_back(std::move(ep));
        } catch (...) {
          // Out of memory recording the error: the cancellation below still happens.
        }
        first = g.errors.size() <= 1;
      }
      // Drop our reference before the task counts as done: after that the waiter may free the exception.
      ep = nullptr;
      if (first) g.cancel_ctx();  // outside the lock: runs stop callbacks
    }
    slot& s = slots_[j->run_slot];
    s.lock.lock();
    s.unlink_running(j);
    s.lock.unlock();
    job_dealloc(j, j->alloc);  // the body was destroyed by op()
    complete(g, limit);
  }

  // Appends the queued and running jobs of `only` (all tracked jobs if null), oldest spawn first. Locks
  // every slot at once (in index order): a job moves between slots only with both slots locked, so none is
  // missed or seen twice, and none can finish (so its group stays alive) while the slots are held.
  void collect(std::vector<task_info>& out, const group_state* only) {
    const std::size_t first = out.size();
    for (std::size_t i = 0; i < nslots_; ++i) slots_[i].lock.lock();
    try {
      const auto add = [&](const job* j) {
        if (only != nullptr ? j->group == only : j->tracked) {
          out.push_back(task_info{j->id, j->group->component, j->where, j->started, task_kind::group});
        }
      };
      for (std::size_t i = 0; i < nslots_; ++i) {
        const slot& s = slots_[i];
        for (std::size_t p = s.head; p != s.tail; ++p) {
          if (const job* j = s.buf[p & s.mask()].j) add(j);
        }
        for (const job* j = s.running; j != nullptr; j = j->run_next) add(j);
      }
    } catch (...) {
      for (std::size_t i = nslots_; i-- > 0;) slots_[i].lock.unlock();
      throw;
    }
    for (std::size_t i = nslots_; i-- > 0;) slots_[i].lock.unlock();
    std::sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(), [](const task_info& a, const task_info& b) {
      return a.started != b.started ? a.started < b.started : a.id < b.id;
    });
  }

  void shutdown(bool join) noexcept {
    stopping_.store(true, std::memory_order_seq_cst);
    { std::lock_guard lk(sleep_m_); }
    sleep_cv_.notify_all();
    std::vector<std::thread> workers;
    std::thread monitor;
    std::list<extra_worker> extras;
    {
      std::lock_guard lk(mon_m_);
      if (join) extras.swap(extras_);  // list nodes stay put: retiring extras still find theirs
    }
    mon_cv_.notify_all();
    if (join) {
      std::lock_guard lk(start_m_);
      workers.swap(workers_);
      monitor = std::move(monitor_);
    }
    // exit() called from a group task runs this on a worker, which cannot join itself: its thread object
    // is moved to the heap and never destroyed (the process is ending; the thread is still not detached).
    const auto join_or_keep = [](std::thread& t) {
      if (!t.joinable()) return;
      if (t.get_id() == std::this_thread::get_id()) {
        static std::atomic<std::thread*> kept{nullptr};  // reachable from a static: no leak for LeakSanitizer
        kept.store(new std::thread(std::move(t)));
      } else {
        t.join();
      }
    };
    for (auto& t : workers) join_or_keep(t);
    for (auto& e : extras) join_or_keep(e.thread);
    join_or_keep(monitor);
  }

  std::size_t extra_workers() {
    std::lock_guard lk(mon_m_);
    return extras_.size();
  }

  // A queued job of `g` for the calling thread to run: its own slot's newest first, then the oldest in any
  // other slot. The job moves from a slot's ring to the same slot's running list under that slot's lock
  // alone, so this never holds two locks and may block on each.
  job* take_group(const group_state& g) {
    const std::uint32_t self = my_slot();
    for (std::uint32_t k = 0; k < nslots_; ++k) {
      const std::uint32_t v = (self + k) % nslots_;
      slot& s = slots_[v];
      if (k != 0 && !s.nonempty.load(std::memory_order_seq_cst)) continue;
      s.lock.lock();
      job* j = s.take_group(&g, k == 0);
      if (j != nullptr) s.link_running(j, v);
      s.lock.unlock();
      if (j != nullptr) return j;
    }
    return nullptr;
  }

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

  bool any_queued() const noexcept {
    for (std::size_t i = 0; i < nslots_; ++i) {
      if (slots_[i].nonempty.load(std::memory_order_seq_cst)) return true;
    }
    return false;
  }

  std::uint64_t total_pops() const noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < nslots_; ++i) n += slots_[i].pops.load(std::memory_order_relaxed);
    return n;
  }

  bool start() {
    std::lock_guard lk(start_m_);
    if (started_.load(std::memory_order_relaxed)) return true;
    if (stopping_.load()) return false;
    ensure_exit_handler();
    // If the OS refuses a thread, std::system_error propagates to the spawn (which gives its slot back);
    // the threads started so far keep running and the next spawn starts the rest.
    workers_.reserve(size_);
    for (std::size_t i = workers_.size(); i < size_; ++i) {
      workers_.emplace_back([this, i] { worker(static_cast<std::uint32_t>(i), false); });
    }
    if (!monitor_.joinable()) monitor_ = std::thread([this] { monitor(); });
    started_.store(true, std::memory_order_release);
    return true;
  }

  // After a slot became non-empty (seq_cst store of `nonempty`): wake a sleeping worker unless one is
  // already searching, and the monitor if it sleeps.
  void new_work() noexcept {
    if (sleeping_.load(std::memory_order_seq_cst) > 0 && searching_.load(std::memory_order_seq_cst) == 0) {
      wake_one();
    }
    if (monitor_idle_.load(std::memory_order_seq_cst) && monitor_idle_.exchange(false)) {
      { std::lock_guard lk(mon_m_); }
      mon_cv_.notify_all();
    }
  }

  // Hands a wake-up to one sleeper, which counts as searching from now on. Invariant: searching_ == workers
  // searching + wake-ups not yet taken (a wake-up is taken by the next worker that goes to sleep).
  void wake_one() noexcept {
    int zero = 0;
    if (!searching_.compare_exchange_strong(zero, 1, std::memory_order_seq_cst)) return;  // someone searches
    post_wake();
  }
  void post_wake() noexcept {
    {
      std::lock_guard lk(sleep_m_);
      ++wakes_;
    }
    sleep_cv_.notify_one();
  }

  job* find_work(std::uint32_t self) noexcept {
    slot& me = slots_[self];
    if (me.nonempty.load(std::memory_order_relaxed)) {
      me.lock.lock();
      job* j = me.pop_back();
      if (j != nullptr) me.link_running(j, self);
      me.lock.unlock();
      if (j != nullptr) return j;
    }
    return steal(self);
  }

  // The oldest job of some other slot, plus up to half of the rest (at most kStealMax in all) moved to our
  // own slot. Holds our slot while try-locking the victim: never blocks on a second lock.
  job* steal(std::uint32_t self) noexcept {
    slot& me = slots_[self];
    std::uint32_t& rng = victim_rng();
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    const std::uint32_t start = rng % nslots_;
    for (std::uint32_t k = 0; k < nslots_; ++k) {
      const std::uint32_t v = (start + k) % nslots_;
      if (v == self) continue;
      slot& victim = slots_[v];
      if (!victim.nonempty.load(std::memory_order_relaxed)) continue;
      me.lock.lock();
      if (!victim.lock.try_lock()) {
        me.lock.unlock();
        continue;
      }
      // Copy the batch out and let the victim go (its owner may be pushing); the jobs go into our ring after.
      // Our own lock is held throughout, so the registry (which locks every slot) never sees them missing.
      std::array<job*, kStealMax> batch;
      std::size_t n = 0;
      const std::size_t want = 1 + std::min({victim.count / 2, kStealMax - 1, me.room()});
      while (n < want) {
        job* x = victim.pop_front();
        if (x == nullptr) break;
        batch[n++] = x;
      }
      victim.lock.unlock();
      job* j = n > 0 ? batch[0] : nullptr;
      bool moved = false;
      for (std::size_t i = 1; i < n; ++i) moved = me.push_back(batch[i]) || moved;  // within room(): no allocation
      if (j != nullptr) me.link_running(j, self);
      me.lock.unlock();
      if (j != nullptr) {
        if (moved) new_work();
        return j;
      }
    }
    return nullptr;
  }

  static std::uint32_t& victim_rng() noexcept {
    thread_local std::uint32_t rng = 0;
    if (rng == 0) rng = 0x9E3779B9U ^ static_cast<std::uint32_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()) | 1U);
    return rng;
  }

  // A searching worker looks again for a few microseconds before it sleeps.
  job* spin(std::uint32_t self) noexcept {
    for (unsigned round = 0; round < 24; ++round) {
      if (stopping_.load(std::memory_order_relaxed)) return nullptr;
      if (round < 16) {
        for (unsigned i = 0; i < (2U << std::min(round, 6U)); ++i) cpu_relax();
      } else {
        std::this_thread::yield();
      }
      if (any_queued()) {
        if (job* j = find_work(self)) return j;
      }
    }
    return nullptr;
  }

  // Sleeps until woken for work (counted as searching on return), for shutdown, or (extra workers) for
  // kExtraIdle without work.
  woke sleep(bool extra) {
    std::unique_lock lk(sleep_m_);
    if (wakes_ > 0) {  // a wake-up is pending: take it instead of sleeping
      --wakes_;
      return woke::work;
    }
    // Registered as sleeping before looking: a push that this look misses sees the sleeper (push_back).
    sleeping_.fetch_add(1, std::memory_order_seq_cst);
    if (any_queued()) {
      sleeping_.fetch_sub(1, std::memory_order_seq_cst);
      searching_.fetch_add(1, std::memory_order_seq_cst);
      return woke::work;
    }
    const auto ready = [this] { return wakes_ > 0 || stopping_.load(); };
    if (extra) {
      sleep_cv_.wait_for(lk, kExtraIdle, ready);
    } else {
      sleep_cv_.wait(lk, ready);
    }
    sleeping_.fetch_sub(1, std::memory_order_seq_cst);
    if (wakes_ > 0) {
      --wakes_;
      return woke::work;
    }
    if (stopping_.load()) {
      if (!any_queued()) return woke::stop;
      searching_.fetch_add(1, std::memory_order_seq_cst);  // drain what is left first
      return woke::work;
    }
    return woke::idle;
  }

  void worker(std::uint32_t self, bool extra) {
    tl_pool_worker = true;
    tl_slot = static_cast<std::int32_t>(self);
    bool searching = false;  // counted in searching_
    for (;;) {
      job* j = find_work(self);
      if (j == nullptr) {
        if (!searching) {
          searching = true;
          searching_.fetch_add(1, std::memory_order_seq_cst);
        }
        j = spin(self);
      }
      if (j != nullptr) {
        if (searching) {
          searching = false;
          // The last searcher to find work wakes another worker if more is queued (ramps up a burst).
          if (searching_.fetch_sub(1, std::memory_order_seq_cst) == 1 && sleeping_.load() > 0 && any_queued()) {
            wake_one();
          }
        }
        execute(j);
        continue;
      }
      searching = false;
      searching_.fetch_sub(1, std::memory_order_seq_cst);
      const woke w = sleep(extra);
      if (w == woke::work) {
        searching = true;
        continue;
      }
      return;  // stop, or an extra worker idle for kExtraIdle
    }
  }

  void monitor() {
    std::unique_lock lk(mon_m_);
    while (!stopping_.load()) {
      // Join retired temporary workers (they no longer touch the pool).
      for (auto it = extras_.begin(); it != extras_.end();) {
        if (it->retired) {
          std::thread t = std::move(it->thread);
          it = extras_.erase(it);
          lk.unlock();
          t.join();
          lk.lock();
        } else {
          ++it;
        }
      }
      if (!any_queued()) {
        monitor_idle_.store(true, std::memory_order_seq_cst);
        if (!any_queued()) {
          const auto wake = [this] { return stopping_.load() || !monitor_idle_.load() || has_retired_locked(); };
          if (!mon_cv_.wait_for(lk, kTrimAfter, wake)) {
            // Idle for a while: give back the job memory kept from the last burst.
            lk.unlock();
            depot_trim(kDepotKeep);
            lk.lock();
            mon_cv_.wait(lk, wake);
          }
        }
        monitor_idle_.store(false, std::memory_order_seq_cst);
        continue;
      }
      const std::uint64_t seen = total_pops();
      mon_cv_.wait_for(lk, kStarvation, [this] { return stopping_.load(); });
      if (stopping_.load()) break;
      if (!any_queued() || total_pops() != seen) continue;
      // Nothing was taken for a whole period while work waited.
      if (sleeping_.load() > 0) {
        // A worker sleeps with work queued: should not happen; wake one rather than add threads.
        searching_.fetch_add(1, std::memory_order_seq_cst);
        post_wake();
      } else if (extras_.size() < kMaxExtra) {
        // Every worker is blocked in a task: add a temporary one.
        extras_.emplace_back();
        extra_worker* e = &extras_.back();
        try {
          e->thread = std::thread([this, e] {
            worker(external_slot(), true);
            {
              std::lock_guard rk(mon_m_);
              e->retired = true;
            }
            mon_cv_.notify_all();
          });
        } catch (...) {
          extras_.pop_back();  // out of threads: keep waiting for the blocked workers
        }
      }
    }
  }

  bool has_retired_locked() const {
    return std::any_of(extras_.begin(), extras_.end(), [](const extra_worker& e) { return e.retired; });
  }

  const std::size_t size_ = std::max(1U, std::thread::hardware_concurrency());
  const std::size_t ext_ = std::max<std::size_t>(2, size_);  // slots shared by non-worker threads
  const std::size_t nslots_ = size_ + ext_;
  const std::unique_ptr<slot[]> slots_;
  std::atomic<std::size_t> ext_next_{0};

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

pool*& pool_ptr() {
  static pool* p = new pool;  // immortal: groups may finish during static destruction
  return p;                   // (replaced in a forked child: pool_atfork)
}

pool& the_pool() { return *pool_ptr(); }

// ---------------------------------------------------------------------------------------------------------
// Live groups (registry::live_count)

struct group_shard {
  std::mutex m;
  group_state* head = nullptr;
};
constexpr std::size_t kGroupShards = 16;

std::array<group_shard, kGroupShards>& group_shards() {
  static auto* shards = new std::array<group_shard, kGroupShards>;  // immortal
  return *shards;
}

group_shard& shard_of(const group_state& g) {
  const auto h = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&g)) * 0x9E3779B97F4A7C15ULL;
  return group_shards()[h >> 60];
}

void register_group(group_state& g) {
  group_shard& sh = shard_of(g);
  std::lock_guard lk(sh.m);
  g.reg_prev = nullptr;
  g.reg_next = sh.head;
  if (sh.head != nullptr) sh.head->reg_prev = &g;
  sh.head = &g;
}

void unregister_group(group_state& g) noexcept {
  group_shard& sh = shard_of(g);
  std::lock_guard lk(sh.m);
  (g.reg_prev != nullptr ? g.reg_prev->reg_next : sh.head) = g.reg_next;
  if (g.reg_next != nullptr) g.reg_next->reg_prev = g.reg_prev;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------
// fork(): the child gets an empty pool (started again by its first spawn). Groups inherited from the parent
// stay registered, but their tasks - queued, or running on the parent's threads - do not exist in the child:
// they count as finished there (pending 0), so live_count() is 0 and such a group's wait() or destructor
// returns instead of waiting forever. The old pool, job depot and parking buckets are abandoned: a lock in
// them may be held by a thread that is gone.

void pool_atfork(fork_phase phase) noexcept {
  auto& shards = group_shards();
  switch (phase) {
    case fork_phase::prepare:
      // Finish the first use of every lazily built static here: one that another thread is initializing at
      // the moment of fork() would leave its guard taken in the child, which would wait on it forever.
      (void)spawn_time();
      (void)depot_ptr();
      (void)park_buckets();
      (void)pool_ptr();
      // The group lists, and each group's errors and batch context, are consistent in the child. (A group's
      // mutex is never held while taking a shard's: groups register and unregister outside it.)
      for (auto& sh : shards) {
        sh.m.lock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
        for (group_state* g = sh.head; g != nullptr; g = g->reg_next) g->m.lock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
      }
      return;
    case fork_phase::parent:
      for (auto& sh : shards) {
        for (group_state* g = sh.head; g != nullptr; g = g->reg_next) g->m.unlock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
        sh.m.unlock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
      }
      return;
    case fork_phase::child:
      break;
  }
  for (auto& sh : shards) {
    for (group_state* g = sh.head; g != nullptr; g = g->reg_next) {
      // Nothing pending or parked; a batch closed by wait() stays closed (the next spawn starts a new one).
      g->state.store(g->state.load(std::memory_order_relaxed) & kClosed, std::memory_order_relaxed);
      g->blocked_in_spawn.store(0, std::memory_order_relaxed);
      g->m.unlock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
    }
    sh.m.unlock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
  }
  // The threads counted as parked were the parent's (the epochs may stay: they are only compared for change).
  for (auto& c : park_counts) c.parked.store(0, std::memory_order_relaxed);
  auto* fresh_pool = new (std::nothrow) pool;
  auto* fresh_depot = new (std::nothrow) depot_state;
  auto* fresh_buckets = new (std::nothrow) std::array<park_bucket, kParkBuckets>;
  if (fresh_pool == nullptr || fresh_depot == nullptr || fresh_buckets == nullptr) {
    std::fputs("tether: out of memory rebuilding the pool in a forked child\n", stderr);
    std::abort();
  }
  keep_forever(pool_ptr());
  keep_forever(depot_ptr());
  keep_forever(park_buckets());
  pool_ptr() = fresh_pool;
  depot_ptr() = fresh_depot;
  park_buckets() = fresh_buckets;
}

namespace {

// Waits for the group's pending count to reach zero, running its queued jobs meanwhile. Returns false on
// timeout.
bool wait_done(group_state& g, std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (runs_task_of(g)) {
    throw std::logic_error("tether::task_group: wait called from one of the group's own tasks ('" + g.component +
                           "') would wait for itself");
  }
  // A pool worker must help (that is what keeps nested groups deadlock-free). Other threads help in wait()
  // (throughput), but not in wait_for(): a helped task may block and overrun the caller's timeout. After
  // shutdown nobody else would run the queued tasks.
  pool& p = the_pool();
  const bool help = tl_pool_worker || !deadline || p.stopping();
  return p.wait_group(g, [](std::uint64_t s) { return pending_of(s) == 0; }, help, deadline);
}

// A new batch after wait() closed the last one (see task_group::wait): a fresh context (a new child of the
// parent) and an empty error list. Called by a spawn whose reservation saw kClosed: no task of the group is
// running (wait() closed the batch with nothing pending, and every spawn since then comes through here and
// waits for the mutex until the reopening is done), so nothing reads ctx meanwhile.
void reopen(group_state& g) {
  std::lock_guard lk(g.m);
  if ((g.state.load(std::memory_order_seq_cst) & kClosed) == 0) return;  // another spawn reopened it
  const std::stop_token stop_at_exit = shutdown_token();
  const context parent = context_access::make(context_access::node(g.ctx)->parent);  // kept by every batch's node
  auto node = make_child(parent, &stop_at_exit, std::nullopt);
  g.cancel_ctx = context_access::make_cancel(node);
  g.ctx = context_access::make(std::move(node));
  g.errors.clear();
  g.state.fetch_and(~kClosed, std::memory_order_seq_cst);
}

// Closes the batch if nothing is pending (a spawn racing wait() on another thread keeps it open: its task
// belongs to the batch that wait() just reported).
void close_batch(group_state& g) noexcept {
  std::uint64_t s = g.state.load(std::memory_order_seq_cst);
  while (pending_of(s) == 0 && (s & kClosed) == 0) {
    if (g.state.compare_exchange_weak(s, s | kClosed, std::memory_order_seq_cst)) return;
  }
}

}  // namespace

std::size_t group_tasks_live() noexcept {
  std::size_t n = 0;
  for (auto& sh : group_shards()) {
    std::lock_guard lk(sh.m);
    for (const group_state* g = sh.head; g != nullptr; g = g->reg_next) {
      n += pending_of(g->state.load(std::memory_order_seq_cst));
    }
  }
  return n;
}

void collect_group_tasks(std::vector<task_info>& out) { the_pool().collect(out, nullptr); }

namespace {

// A reservation that saw the closed bit starts the next batch before its job can exist.
[[gnu::noinline]] void reopen_reserved(group_state& g) {
  try {
    reopen(g);
  } catch (...) {
    group_unreserve(g);
    throw;
  }
}

inline bool reserved(group_state& g, std::uint64_t old) {
  if ((old & kClosed) != 0) [[unlikely]] reopen_reserved(g);
  return true;
}

}  // namespace

bool group_reserve(group_state& g, bool block) {
  if (g.limit == 0) return reserved(g, g.state.fetch_add(kPendingOne, std::memory_order_seq_cst));
  const std::size_t limit = g.limit;
  std::uint64_t s = g.state.load(std::memory_order_relaxed);
  for (;;) {
    if (pending_of(s) < limit) {
      if (g.state.compare_exchange_weak(s, s + kPendingOne, std::memory_order_seq_cst, std::memory_order_relaxed)) {
        return reserved(g, s);
      }
      continue;
    }
    if (!block) return false;
    // Free a slot by running the group's own queued tasks here: this is what keeps a limited spawn from a
    // pool worker from deadlocking when every worker is blocked the same way. A task of the group spawning
    // into it holds a slot itself: counted, so a cycle of such spawns throws instead of hanging.
    the_pool().wait_group(g, [limit](std::uint64_t st) { return pending_of(st) < limit; }, true, std::nullopt,
                          frames_of(g));
    s = g.state.load(std::memory_order_relaxed);
  }
}

void group_unreserve(group_state& g) noexcept { complete(g, g.limit); }

void group_submit(group_state& g, job* j, std::source_location where) {
  j->group = &g;
  j->where = where;
  j->id = next_task_id();
  j->started = spawn_time();
  j->tracked = registry::tracking();
  pool& p = the_pool();
  bool queued = false;
  try {
    queued = p.push(j);
  } catch (...) {
    j->op(j, nullptr);
    job_dealloc(j, j->alloc);
    group_unreserve(g);
    throw;
  }
  if (!queued) {
    p.run_inline(j);  // the pool is gone (process exit): run inline rather than drop the task
    return;
  }
  // The job may have run and `g` may be gone already: from here on only its address is used.
  wake_helpers(&g);
}

void pool_shutdown(bool join) noexcept { the_pool().shutdown(join); }

void own_group_tasks(std::vector<std::uint64_t>& out) {
  for (const run_frame* f = tl_frames; f != nullptr; f = f->outer) out.push_back(f->id);
}

}  // namespace detail

std::size_t pool_threads() noexcept { return detail::the_pool().size(); }

namespace detail {
std::size_t pool_extra_workers() noexcept { return the_pool().extra_workers(); }
}  // namespace detail

task_group::task_group(const context& parent, std::string_view component, std::optional<std::size_t> limit)
    : st_(std::make_unique<detail::group_state>()) {
  if (component.empty()) throw std::invalid_argument("tether::task_group: component name must not be empty");
  if (limit && *limit == 0) throw std::invalid_argument("tether::task_group: limit must be at least 1");
  st_->component.assign(component);
  st_->limit = limit.value_or(0);
  const std::stop_token stop_at_exit = detail::shutdown_token();
  auto node = detail::make_child(parent, &stop_at_exit, std::nullopt);
  st_->cancel_ctx = detail::context_access::make_cancel(node);
  st_->ctx = detail::context_access::make(std::move(node));
  detail::register_group(*st_);
}

task_group::~task_group() {
  st_->cancel_ctx();
  try {
    detail::wait_done(*st_, std::nullopt);
  } catch (...) {
    // Only the "waited from its own task" logic_error can get here; that is a use-after-destroy bug in the
    // caller and nothing sensible is left to do.
    std::terminate();
  }
  detail::unregister_group(*st_);
}

const context& task_group::ctx() const noexcept { return st_->ctx; }

void task_group::wait() {
  detail::wait_done(*st_, std::nullopt);
  std::exception_ptr first;
  bool cancelled = false;
  {
    std::lock_guard lk(st_->m);
    if (!st_->errors.empty()) first = st_->errors.front();
    cancelled = st_->ctx.cancelled();
  }
  // A failed or cancelled batch is over: the next spawn starts a new one (fresh context, no errors).
  if (first || cancelled) detail::close_batch(*st_);
  if (first) std::rethrow_exception(first);
}

std::vector<straggler> task_group::wait_for(std::chrono::steady_clock::duration timeout) {
  const auto now = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (timeout <= std::chrono::steady_clock::time_point::max() - now) deadline = now + timeout;
  if (detail::wait_done(*st_, deadline)) return {};
  std::vector<straggler> out;
  for (int round = 0;; ++round) {
    out.clear();
    detail::the_pool().collect(out, st_.get());
    const std::size_t pending_now = pending();
    if (out.size() >= pending_now) return out;
    // Fewer queued or running jobs than pending tasks: some are between the end of their body and their
    // completion (a few instructions), or a spawn on another thread is between its reservation and the
    // queueing of its job - which takes as long as copying the body, without bound. Look again briefly,
    // then report each missing one as a spawn in progress rather than overrun the timeout.
    if (round < 16) {
      std::this_thread::yield();
      continue;
    }
    const auto at = std::chrono::steady_clock::now();
    for (std::size_t i = out.size(); i < pending_now; ++i) {
      out.push_back(straggler{0, st_->component, std::source_location{}, at, task_kind::group});
    }
    return out;
  }
}

std::vector<std::exception_ptr> task_group::errors() const {
  std::lock_guard lk(st_->m);
  return st_->errors;
}

void task_group::cancel() noexcept {
  cancel_fn c;
  {
    std::lock_guard lk(st_->m);  // a spawn starting a new batch replaces cancel_ctx under m
    c = st_->cancel_ctx;
  }
  c();  // outside the lock: runs stop callbacks
}

std::size_t task_group::pending() const noexcept {
  return detail::pending_of(st_->state.load(std::memory_order_acquire));
}

const std::string& task_group::component() const noexcept { return st_->component; }

std::optional<std::size_t> task_group::limit() const noexcept {
  if (st_->limit == 0) return std::nullopt;
  return st_->limit;
}

}  // namespace tether
