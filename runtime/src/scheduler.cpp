// The scheduler: the shared worker pool behind task_group - pushing, popping, stealing, sleeping and waking,
// work-helping and the registry's view of the slots. The design, and the thread-safety and ordering rules,
// are in scheduler.h; the monitor (temporary workers, depot trimming) is in monitor.cpp.
#include "scheduler.h"

#include "job_memory.h"
#include "shutdown.h"
#include "slot_lock_audit.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <new>

namespace tether::detail {

void pool::run_inline(job* j) noexcept {
  const std::uint32_t self = my_slot();
  slot& s = slots_[self];
  s.lock.lock();
  s.link_running(j, self);
  s.lock.unlock();
  execute(j);
}

void pool::execute(job* j) noexcept {
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

void pool::collect(std::vector<task_info>& out, const group_state* only) {
  // What is copied per job while every slot is locked: no allocation, no string (the component name is a
  // reference-counted immutable string; copying the pointer keeps it alive after the group is gone).
  struct seen_job {
    std::uint64_t id;
    std::shared_ptr<const std::string> component;
    std::source_location where;
    std::chrono::steady_clock::time_point started;
  };
  std::vector<seen_job> seen;
  std::size_t want = collect_hint_.load(std::memory_order_relaxed);
  for (;;) {
    seen.reserve(want);  // the slots are not locked: may allocate (and throw bad_alloc)
    std::size_t found = 0;
    for (std::size_t i = 0; i < nslots_; ++i) slots_[i].lock.lock();
    const auto add = [&](const job* j) noexcept {
      if (only != nullptr ? j->group == only : j->tracked) {
        // Within the capacity reserved above: never reallocates. Past it, only count (and retry).
        if (found++ < seen.capacity()) seen.push_back(seen_job{j->id, j->group->component, j->where, j->started});
      }
    };
    for (std::size_t i = 0; i < nslots_; ++i) {
      const slot& s = slots_[i];
      for (std::size_t p = s.head; p != s.tail; ++p) {
        if (const job* j = s.buf[p & s.mask()].j) add(j);
      }
      for (const job* j = s.running; j != nullptr; j = j->run_next) add(j);
    }
    for (std::size_t i = nslots_; i-- > 0;) slots_[i].lock.unlock();
    if (found <= seen.capacity()) break;
    seen.clear();  // drops the name references with the slots released
    want = found + found / 4;
  }
  collect_hint_.store(std::max<std::size_t>(64, seen.size()), std::memory_order_relaxed);
  out.reserve(out.size() + seen.size());
  for (seen_job& sj : seen) out.push_back(task_info{sj.id, *sj.component, sj.where, sj.started, task_kind::group});
  std::sort(out.end() - static_cast<std::ptrdiff_t>(seen.size()), out.end(), [](const task_info& a, const task_info& b) {
    return a.started != b.started ? a.started < b.started : a.id < b.id;
  });
}

void pool::grow_ring(slot& s, std::size_t seen_cap) {
  const std::size_t n = std::max(kInitCap, seen_cap * 2);
  queued_job* nb = slot::new_buffer(n);
  s.lock.lock();
  queued_job* old = s.cap == seen_cap ? s.swap_buffer(nb, n) : nb;  // changed meanwhile: drop ours
  s.lock.unlock();
  delete[] old;
}

void pool::trim_rings() noexcept {
  for (std::size_t i = 0; i < nslots_; ++i) {
    slot& s = slots_[i];
    s.lock.lock();
    const std::size_t cap = s.cap;
    const bool oversized = s.count == 0 && cap > kShrinkCap;
    s.lock.unlock();
    if (!oversized) continue;
    auto* nb = new (std::nothrow) queued_job[kInitCap];
    if (nb == nullptr) return;
    s.lock.lock();
    queued_job* old = s.count == 0 && s.cap == cap ? s.swap_buffer(nb, kInitCap) : nb;
    s.lock.unlock();
    delete[] old;
  }
}

void pool::shutdown(bool join) noexcept {
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

job* pool::take_group(const group_state& g) {
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

bool pool::any_queued() const noexcept {
  for (std::size_t i = 0; i < nslots_; ++i) {
    if (slots_[i].nonempty.load(std::memory_order_seq_cst)) return true;
  }
  return false;
}

std::uint64_t pool::total_pops() const noexcept {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < nslots_; ++i) n += slots_[i].pops.load(std::memory_order_relaxed);
  return n;
}

bool pool::start() {
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

void pool::new_work() noexcept {
  if (sleeping_.load(std::memory_order_seq_cst) > 0 && searching_.load(std::memory_order_seq_cst) == 0) {
    wake_one();
  }
  if (monitor_idle_.load(std::memory_order_seq_cst) && monitor_idle_.exchange(false)) {
    { std::lock_guard lk(mon_m_); }
    mon_cv_.notify_all();
  }
}

void pool::wake_one() noexcept {
  int zero = 0;
  if (!searching_.compare_exchange_strong(zero, 1, std::memory_order_seq_cst)) return;  // someone searches
  post_wake();
}

void pool::post_wake() noexcept {
  {
    std::lock_guard lk(sleep_m_);
    ++wakes_;
  }
  sleep_cv_.notify_one();
}

job* pool::find_work(std::uint32_t self) noexcept {
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

job* pool::steal(std::uint32_t self) noexcept {
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

std::uint32_t& pool::victim_rng() noexcept {
  thread_local std::uint32_t rng = 0;
  if (rng == 0) rng = 0x9E3779B9U ^ static_cast<std::uint32_t>(std::hash<std::thread::id>{}(std::this_thread::get_id()) | 1U);
  return rng;
}

job* pool::spin(std::uint32_t self) noexcept {
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

pool::woke pool::sleep(bool extra) {
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

void pool::worker(std::uint32_t self, bool extra) {
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

namespace {

pool*& pool_ptr() {
  static pool* p = new pool;  // immortal: groups may finish during static destruction
  return p;                   // (replaced in a forked child: scheduler_atfork)
}

}  // namespace

pool& the_pool() { return *pool_ptr(); }

#ifdef TETHER_SLOT_LOCK_AUDIT
bool slot_lock_audit_enabled() noexcept { return true; }
unsigned slot_locks_held() noexcept { return tl_slot_locks_held; }
#else
bool slot_lock_audit_enabled() noexcept { return false; }
unsigned slot_locks_held() noexcept { return 0; }
#endif

void scheduler_atfork(fork_phase phase) noexcept {
  if (phase == fork_phase::prepare) {
    (void)pool_ptr();  // a lazily built static must not be half-built in the child
    return;
  }
  if (phase != fork_phase::child) return;
  replace_in_child(pool_ptr());
}

}  // namespace tether::detail
