// worker_pool: N safe_go workers and a bounded FIFO queue under one mutex.
//
// One mutex guards the queue, the reservation count, the counters and the per-worker slots; it spins briefly
// before sleeping (adaptive_mutex.h), because the submitter and every worker take it once per task. Three
// condition variables wait on it: `room` (submitters waiting for a free queue slot), `work` (idle workers)
// and `done` (shutdown waiting for the workers to end). `room` and `work` are woken on cancellation by one
// stop_callback per pool (and one per worker for the worker's own context), and signalled per task only
// when a waiter exists that no earlier signal is already waking (waiter_count, counted under the mutex).
//
// Locks per task: the worker takes one (it records a task's outcome in the critical section that takes the
// next task). A submit whose callable is small and nothrow-constructible (stored inline by task_fn: it
// cannot throw or allocate) takes one: reserve, build and queue together (pool_submit_inline). Any other
// submit takes two: it reserves a slot under the lock, builds the type-erased body outside it (the
// copy/move of the caller's callable may throw, or take long), then queues it. Either way a rejected or
// throwing submit leaves the callable untouched and the queue never exceeds its capacity. Task bodies,
// their destruction, and the error hook always run outside the lock. (Per-task costs: docs/performance.md,
// "worker_pool".)
#include <tether/safe_go.h>
#include <tether/worker_pool.h>

#include "adaptive_mutex.h"
#include "coarse_clock.h"
#include "error_report.h"
#include "metrics_internal.h"
#include "shutdown.h"

#include <cstdio>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>

namespace tether {

const char* to_string(shutdown_mode m) noexcept {
  switch (m) {
    case shutdown_mode::drain:
      return "drain";
    case shutdown_mode::cancel:
      return "cancel";
  }
  return "unknown";
}

namespace detail {

// The threads waiting on one condition variable, counted so that a notify_one goes only to a waiter that no
// earlier notify_one is already waking. Counting only "is anybody waiting" is not enough: a waiter stays
// counted until it has woken up and re-taken the mutex, and every push or pop in that window (a few
// microseconds; on a busy 2-core machine, hundreds of tasks) sent another futex wake: 87% of the benchmark's
// submits signalled a worker that was already being woken, and the pops signalled the blocked submitter
// 570 times per wait. All members are guarded by the mutex the condition variable waits with.
//
// Invariant: signalled <= waiting. glibc returns each notify_one'd waiter from wait() (plus possibly others,
// by notify_all or spuriously), so while `signalled` > 0 some waiter is on its way back to re-check its
// condition; a waiter that returns for another reason takes one off `signalled` too, so the count never
// hides a waiter nobody woke. notify_all needs no bookkeeping.
struct waiter_count {
  std::size_t waiting = 0;    // threads inside wait()
  std::size_t signalled = 0;  // notify_one calls those threads have not returned from yet

  // Call before notify_one(): false when every waiter is already being woken (the notify can be skipped).
  bool take_one() noexcept {
    if (waiting <= signalled) return false;
    ++signalled;
    return true;
  }
  // Waits once on `cv` (the caller re-checks its condition and calls again).
  template <class CV, class Lock>
  void wait(CV& cv, Lock& lk) {
    ++waiting;
    cv.wait(lk);
    --waiting;
    if (signalled != 0) --signalled;
  }
};

struct worker_pool_state {
  struct queued {
    task_fn fn;
    std::source_location where;
  };
  struct worker_slot {
    std::uint64_t task_id = 0;  // the worker's registry id
    bool busy = false;          // running a task (including reporting its exception)
    std::source_location where;
    std::chrono::steady_clock::time_point started;
  };

  std::string component;
  std::size_t capacity = 0;
  std::size_t nworkers = 0;
  metrics_block* metrics = nullptr;   // the component's counters (tether::metrics); set by the constructor
  context ctx;
  cancel_fn cancel;

  mutable adaptive_mutex m;           // spins briefly before sleeping (adaptive_mutex.h: why, and the measurement)
  adaptive_cv room;                  // waits re-check ctx: on_cancel wakes them
  adaptive_cv work;
  adaptive_cv done;
  std::deque<queued> q;               // guarded by m
  std::size_t reserved = 0;           // guarded by m: slots taken by submits still building their body
  bool closed = false;                // guarded by m: shutdown() called
  std::size_t live_workers = 0;       // guarded by m
  std::size_t blocked_workers = 0;    // guarded by m: workers blocked in submit() on this pool
  waiter_count idle_workers;          // guarded by m: workers waiting on `work` (a push signals one not yet woken)
  waiter_count room_waiters;          // guarded by m: submitters waiting on `room` (a pop signals one not yet woken)
  std::vector<worker_slot> slots;     // guarded by m
  std::size_t running = 0;            // guarded by m
  std::uint64_t completed = 0, failed = 0, rejected = 0, dropped = 0;  // guarded by m
  std::size_t published_depth = 0;    // guarded by m: this pool's share of metrics->queue_depth

  std::mutex shutdown_m;              // serializes shutdown() calls and the destructor
  std::vector<task> handles;          // guarded by shutdown_m

  // Wakes every waiter on `room` and `work` when ctx is cancelled (the parent, process exit, a cancel-mode
  // shutdown): one stop_callback per pool rather than one per wait (what condition_variable_any's
  // stop_token waits register). Runs on the cancelling thread, which never holds `m`. Last member: it is
  // deregistered before the rest is destroyed.
  struct wake_all {
    worker_pool_state* st;
    void operator()() const noexcept {
      { std::lock_guard lk(st->m); }  // a waiter is either before its check (and sees ctx cancelled) or waiting
      st->room.notify_all();
      st->work.notify_all();
    }
  };
  std::optional<std::stop_callback<wake_all>> on_cancel;

  bool accepting() const { return !closed && !ctx.cancelled(); }
  bool has_room() const { return q.size() + reserved < capacity; }

  // The metrics mirror the counters above; called with m held, right after the change they mirror.
  void publish_depth() noexcept {
    metrics->queue_depth.fetch_add(q.size() - published_depth, std::memory_order_relaxed);  // wraps: a decrease
    published_depth = q.size();
  }
  void count_rejected() noexcept {
    ++rejected;
    metrics->rejected.fetch_add(1, std::memory_order_relaxed);
  }
  void count_dropped(std::size_t n) noexcept {
    dropped += n;
    metrics->dropped.fetch_add(n, std::memory_order_relaxed);
  }

  worker_pool_state() = default;
  worker_pool_state(const worker_pool_state&) = delete;
  worker_pool_state& operator=(const worker_pool_state&) = delete;
  // The pool is gone (its workers too): its capacity and queue leave the component's gauges.
  ~worker_pool_state() {
    if (metrics == nullptr) return;
    metrics->queue_depth.fetch_sub(published_depth, std::memory_order_relaxed);
    metrics->queue_capacity.fetch_sub(capacity, std::memory_order_relaxed);
    metrics->pools.fetch_sub(1, std::memory_order_relaxed);
  }
};

namespace {

thread_local const worker_pool_state* tl_pool = nullptr;  // the pool whose worker runs on this thread

std::chrono::steady_clock::time_point deadline_after(std::chrono::steady_clock::duration d) {
  const auto now = std::chrono::steady_clock::now();
  if (d <= d.zero()) return now;
  if (d > std::chrono::steady_clock::time_point::max() - now) return std::chrono::steady_clock::time_point::max();
  return now + d;
}

void report_failure(const worker_pool_state& st, std::uint64_t task_id, std::source_location where,
                    std::exception_ptr ep) noexcept {
  task_error e;
  try {
    e.component = st.component;
    e.task_id = task_id;
    e.where = where;
    e.policy = policy::keep_running;
    e.exception = ep;
    e.message = exception_message(ep);
  } catch (...) {
    // Out of memory while describing the error: still report what we have.
  }
  call_error_hook(e);
}

void worker_main(worker_pool_state& st, std::size_t index, const context& own) {
  tl_pool = &st;
  {
    std::lock_guard lk(st.m);
    st.slots[index].task_id = own_thread_task();
  }
  // The worker's own context may be cancelled apart from the pool's (its safe_go task): wake it then too.
  const auto wake_self = [&st] {
    { std::lock_guard lk(st.m); }
    st.work.notify_all();
  };
  std::stop_callback<decltype(wake_self)> on_own_cancel(own.stop_token(), wake_self);
  // The previous task's outcome is recorded in the same critical section that takes the next task: one
  // lock per task on the worker's side.
  bool finished = false;  // a task ran since the last lock
  bool ok = true;
  for (;;) {
    worker_pool_state::queued item;
    // Constructed only when dropping: a std::deque allocates even when empty.
    std::optional<std::deque<worker_pool_state::queued>> drop;
    bool stop = false;
    bool wake_submitter = false;
    // Read before locking (a clock read is not free on every VM; keep it out of the critical section): the
    // task starts after this, so the straggler age derived from it is never understated.
    auto started = coarse_now();
    {
      std::unique_lock lk(st.m);
      if (finished) {
        --st.running;
        ++(ok ? st.completed : st.failed);
        st.slots[index].busy = false;
        finished = false;
      }
      const auto ready = [&] {
        return !st.q.empty() || (st.closed && st.reserved == 0) || st.ctx.cancelled() || own.cancelled();
      };
      if (!ready()) {
        do {
          st.idle_workers.wait(st.work, lk);
        } while (!ready());
        started = coarse_now();  // after sleeping: only on this (already slow) path
      }
      if (st.ctx.cancelled() || own.cancelled()) {
        drop.emplace().swap(st.q);
        st.count_dropped(drop->size());
        st.publish_depth();
        stop = true;
      } else if (st.q.empty()) {
        stop = true;  // closed and drained
      } else {
        item = std::move(st.q.front());
        st.q.pop_front();
        st.publish_depth();
        ++st.running;
        auto& slot = st.slots[index];
        slot.busy = true;
        slot.where = item.where;
        slot.started = started;  // a straggler's age: never understated (coarse_clock.h)
        wake_submitter = st.room_waiters.take_one();
      }
    }
    if (stop) {
      drop.reset();  // destroy the dropped bodies outside the lock
      break;
    }
    if (wake_submitter) st.room.notify_one();
    ok = true;
    task_count counted(st.metrics);
    try {
      item.fn(st.ctx);
    } catch (...) {
      ok = false;
      counted.end(true);  // before the hook: a hook reading the metrics sees this failure
      report_failure(st, st.slots[index].task_id, item.where, std::current_exception());
    }
    counted.end(false);  // no-op after a failure
    item.fn = task_fn();  // the body's captures are gone before the task counts as finished
    finished = true;
  }
  tl_pool = nullptr;
  std::lock_guard lk(st.m);
  if (--st.live_workers == 0) st.done.notify_all();
}

}  // namespace

namespace {

// Takes a queue slot (counts it in `reserved`) with `lk` held on st.m; see pool_reserve.
bool reserve_locked(worker_pool_state& st, std::unique_lock<adaptive_mutex>& lk, bool block) {
  if (st.accepting() && st.has_room()) {
    ++st.reserved;
    return true;
  }
  if (!block || !st.accepting()) {
    st.count_rejected();
    return false;
  }
  const bool self = tl_pool == &st;
  if (self) {
    if (st.blocked_workers + 1 >= st.nworkers) {
      throw std::logic_error("tether::worker_pool::submit: called from a task of pool '" + st.component +
                             "' whose queue is full while every other worker is blocked the same way: nothing "
                             "could make room (use try_submit from the pool's own tasks)");
    }
    ++st.blocked_workers;
  }
  do {
    st.room_waiters.wait(st.room, lk);
  } while (st.accepting() && !st.has_room());
  if (self) --st.blocked_workers;
  if (!st.accepting() || !st.has_room()) {
    st.count_rejected();
    return false;
  }
  ++st.reserved;
  return true;
}

}  // namespace

bool pool_reserve(worker_pool_state& st, bool block) {
  std::unique_lock lk(st.m);
  return reserve_locked(st, lk, block);
}

bool pool_submit_inline(worker_pool_state& st, bool block, task_builder build, void* fn, std::source_location where) {
  bool wake = false;
  {
    std::unique_lock lk(st.m);
    if (!reserve_locked(st, lk, block)) return false;
    // The reservation is used at once (nobody saw it). If the queue cannot grow (bad_alloc), nothing was
    // queued and the caller's callable is untouched.
    --st.reserved;
    st.q.emplace_back();
    build(fn, st.q.back().fn);
    st.q.back().where = where;
    st.publish_depth();
    wake = st.idle_workers.take_one();
  }
  if (wake) st.work.notify_one();
  return true;
}

void pool_unreserve(worker_pool_state& st) noexcept {
  bool wake_submitter = false;
  {
    std::lock_guard lk(st.m);
    --st.reserved;
    wake_submitter = st.room_waiters.take_one();
  }
  if (wake_submitter) st.room.notify_one();
  st.work.notify_all();  // a draining worker may wait for the last reservation
}

void pool_push(worker_pool_state& st, task_fn fn, std::source_location where) noexcept {
  bool queued = false;
  bool wake = false;
  {
    std::lock_guard lk(st.m);
    --st.reserved;
    if (st.ctx.cancelled()) {
      st.count_dropped(1);  // cancelled while the body was being built: the workers are leaving
    } else {
      st.q.push_back(worker_pool_state::queued{std::move(fn), where});
      st.publish_depth();
      queued = true;
      // A worker that is not waiting yet checks the queue under the lock before it waits: it sees this task.
      wake = st.idle_workers.take_one();
    }
  }
  if (!queued) {
    st.work.notify_all();
  } else if (wake) {
    st.work.notify_one();
  }
  // A dropped `fn` is destroyed here, outside the lock.
}

}  // namespace detail

worker_pool::worker_pool(const context& parent, std::string_view component, options opts) {
  if (component.empty()) throw std::invalid_argument("tether::worker_pool: component must not be empty");
  if (opts.workers == 0) {
    throw std::invalid_argument("tether::worker_pool: options.workers must be at least 1 (got 0) for pool '" +
                                std::string(component) + "'");
  }
  if (opts.queue_capacity == 0) {
    throw std::invalid_argument("tether::worker_pool: options.queue_capacity must be at least 1 (got 0) for pool '" +
                                std::string(component) + "'");
  }
  detail::ensure_exit_handler();
  auto st = std::make_shared<detail::worker_pool_state>();
  st->component = std::string(component);
  st->capacity = opts.queue_capacity;
  st->nworkers = opts.workers;
  st->slots.resize(opts.workers);
  st->metrics = detail::metrics_for(st->component);
  st->metrics->pools.fetch_add(1, std::memory_order_relaxed);
  st->metrics->queue_capacity.fetch_add(opts.queue_capacity, std::memory_order_relaxed);
  st->metrics->has_pool.store(true, std::memory_order_release);
  auto [inner, cancel] = with_cancel(parent);
  st->cancel = cancel;
  st->ctx = with_stop_token(inner, detail::shutdown_token());
  st->on_cancel.emplace(st->ctx.stop_token(), detail::worker_pool_state::wake_all{st.get()});
  st_ = st;
  std::lock_guard sl(st->shutdown_m);
  st->handles.reserve(opts.workers);
  try {
    for (std::size_t i = 0; i < opts.workers; ++i) {
      {
        std::lock_guard lk(st->m);
        ++st->live_workers;
      }
      try {
        // safe_go, except that the workers are not counted as tasks in tether::metrics (their tasks are).
        st->handles.push_back(detail::task_access::make(detail::spawn_thread_task(  // NOLINT(tether-spawn-in-loop,tether-component-name): options.workers bounds it; one pool, one component
            st->ctx, st->component, policy::keep_running,
            detail::task_fn([st, i](const context& own) { detail::worker_main(*st, i, own); }),
            std::source_location::current(), /*counted=*/false)));
      } catch (...) {
        std::lock_guard lk(st->m);
        --st->live_workers;
        throw;
      }
    }
  } catch (...) {
    st->cancel();
    {
      std::lock_guard lk(st->m);
      st->closed = true;
    }
    st->work.notify_all();
    for (auto& h : st->handles) h.join();  // NOLINT(tether-blocking-under-lock): shutdown_m only serializes shutdown callers; workers never take it
    throw;
  }
}

worker_pool::~worker_pool() {
  if (!st_) return;
  if (detail::tl_pool == st_.get()) {
    // Destroyed by one of its own tasks: it cannot wait for itself. Close, cancel and leave the workers to the
    // runtime (they end as soon as their current task returns).
    {
      std::lock_guard lk(st_->m);
      st_->closed = true;
    }
    st_->cancel();
    st_->room.notify_all();
    st_->work.notify_all();
    std::fprintf(stderr, "tether: worker_pool '%s' destroyed by one of its own tasks: cancelled, not waited for\n",
                 st_->component.c_str());
    return;
  }
  auto r = shutdown(detail::exit_grace(), shutdown_mode::drain);
  if (!r.stragglers.empty()) {
    std::fprintf(stderr, "tether: worker_pool '%s' destroyed with %zu task(s) still running after the exit grace:\n",
                 st_->component.c_str(), r.stragglers.size());
    for (const auto& s : r.stragglers) std::fprintf(stderr, "  %s\n", describe(s).c_str());
    std::fflush(stderr);
    std::vector<task> handles;
    {
      std::lock_guard sl(st_->shutdown_m);
      handles.swap(st_->handles);
    }
    // Dropping the handles hands the workers to the runtime, which joins them when they end.
  }
}

worker_pool::stats_t worker_pool::stats() const {
  std::lock_guard lk(st_->m);
  stats_t s;
  s.queued = st_->q.size();
  s.running = st_->running;
  s.completed = st_->completed;
  s.failed = st_->failed;
  s.rejected = st_->rejected;
  s.dropped = st_->dropped;
  s.capacity = st_->capacity;
  s.workers = st_->nworkers;
  return s;
}

worker_pool::shutdown_report worker_pool::shutdown(std::chrono::steady_clock::duration timeout, shutdown_mode mode) {
  auto& st = *st_;
  if (detail::tl_pool == &st) {
    throw std::logic_error("tether::worker_pool::shutdown: called from a task of pool '" + st.component +
                           "', which would wait for itself");
  }
  if (mode != shutdown_mode::drain && mode != shutdown_mode::cancel) {
    throw std::invalid_argument("tether::worker_pool::shutdown: mode is not a shutdown_mode");
  }
  std::lock_guard sl(st.shutdown_m);
  const auto deadline = detail::deadline_after(timeout);
  std::deque<detail::worker_pool_state::queued> drop;
  auto cancel_and_drop = [&](std::unique_lock<detail::adaptive_mutex>& lk) {
    lk.unlock();
    st.cancel();  // outside the lock: the cancellation wakes waiters on `room`/`work`, which take it
    lk.lock();
    std::deque<detail::worker_pool_state::queued> more;
    more.swap(st.q);
    st.count_dropped(more.size());
    st.publish_depth();
    for (auto& m : more) drop.push_back(std::move(m));
  };
  shutdown_report r;
  {
    std::unique_lock lk(st.m);
    st.closed = true;
    if (mode == shutdown_mode::cancel) cancel_and_drop(lk);
    lk.unlock();
    st.room.notify_all();
    st.work.notify_all();
    lk.lock();
    if (!st.done.wait_until(lk, deadline, [&] { return st.live_workers == 0; })) {  // NOLINT(tether-blocking-under-lock): shutdown_m only serializes shutdown callers; workers never take it
      cancel_and_drop(lk);
      const auto& comp = st.component;
      for (const auto& slot : st.slots) {
        if (!slot.busy) continue;
        straggler s;
        s.id = slot.task_id;
        s.component = comp;
        s.where = slot.where;
        s.started = slot.started;
        s.kind = task_kind::thread;
        r.stragglers.push_back(std::move(s));
      }
      // Workers not running a task end at once now (no user code left on their way out).
      if (r.stragglers.empty()) st.done.wait(lk, [&] { return st.live_workers == 0; });  // NOLINT(tether-blocking-under-lock): shutdown_m only serializes shutdown callers; workers never take it
    }
    r.completed = st.completed;
    r.failed = st.failed;
    r.dropped = st.dropped;
  }
  drop.clear();  // outside the queue lock
  if (r.stragglers.empty()) {
    for (auto& h : st.handles) h.join();  // NOLINT(tether-blocking-under-lock): shutdown_m only serializes shutdown callers; workers never take it
    st.handles.clear();
  }
  return r;
}

const context& worker_pool::ctx() const noexcept { return st_->ctx; }
const std::string& worker_pool::component() const noexcept { return st_->component; }

}  // namespace tether
