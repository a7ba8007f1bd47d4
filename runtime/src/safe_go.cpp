// safe_go: one tracked std::thread per task (a raw thread spawn site allowed by tether's lint config).
//
// Nothing here is ever detached. Each thread is owned either by its task handle (which joins it) or, once
// the handle is dropped, by the runtime: a finishing thread queues its own std::thread object for the
// reaper, a runtime thread that joins them in order (started with the first safe_go). Joins are never
// chained: an earlier design had each finishing thread join the one parked before it, so at a high spawn
// rate each thread waited for its predecessor's exit and tens of thousands of finished threads piled up
// (issue 10). If finished threads queue faster than the reaper joins them, spawns join the oldest ones
// themselves, so at most kMaxUnjoined finished threads are ever left unjoined, whatever the spawn rate.
// The exit handler stops the reaper and joins what is left.
#include <tether/registry.h>
#include <tether/safe_go.h>

#include "context_node.h"
#include "fork.h"
#include "error_report.h"
#include "metrics_internal.h"
#include "shutdown.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace tether {
namespace detail {

struct task_state {
  task_record rec;
  std::string component;
  policy pol = policy::keep_running;
  metrics_block* metrics = nullptr;  // null: not counted (a worker_pool's workers)
  task_fn fn;
  context ctx;
  cancel_fn cancel;

  std::mutex m;
  std::thread thread;          // guarded by m until the thread is owned by one party
  bool finished = false;       // guarded by m
  bool handle_alive = true;    // guarded by m
  std::atomic<bool> done{false};

  // In the reaper's queue (guarded by the reaper's mutex): the queue owns the state through `self`.
  std::shared_ptr<task_state> self;
  task_state* next_finished = nullptr;
};

void throw_null_body(const char* api) {
  throw std::invalid_argument(std::string(api) +
                              ": the task body is null (a null function or member pointer, or an empty "
                              "std::function)");
}

namespace {

struct hooks_state {
  std::mutex m;
  error_hook hook;  // empty = default
  std::atomic<std::uint64_t> failed{0};
};

hooks_state*& hooks_ptr() {
  static hooks_state* h = new hooks_state;  // immortal: tasks may fail during static destruction
  return h;                                 // (replaced in a forked child: safe_go_atfork)
}

hooks_state& hooks() { return *hooks_ptr(); }

// Finished-but-unjoined threads beyond this are joined by the spawning thread itself (see the top).
constexpr std::size_t kMaxUnjoined = 64;

struct reaper_state {
  std::mutex m;
  // Two condition variables, so that a finishing thread whose handle joins it wakes nobody: with one, every
  // safe_go + join woke the reaper for nothing (perf stat: 2 context switches and 4 futex calls per spawn
  // against std::thread's 1 and 1; docs/performance.md, "safe_go").
  std::condition_variable work_cv;  // the reaper waits for `head` or `stopping`
  std::condition_variable exit_cv;  // the exit handler waits for `running` (a notify with no waiter costs no syscall)
  task_state* head = nullptr;  // finished threads whose handle was dropped, oldest first
  task_state* tail = nullptr;
  std::size_t queued = 0;
  std::size_t unjoined = 0;  // queued, or taken by a joiner and not yet joined
  std::size_t running = 0;  // safe_go threads that have not yet finished (handle dropped or not)
  std::thread thread;       // the reaper
  bool started = false;
  bool stopping = false;
};

reaper_state*& reaper_ptr() {
  // Immortal: handles may be released during static destruction. Replaced in a forked child (safe_go_atfork).
  static reaper_state* r = new reaper_state;
  return r;
}

reaper_state& reaper() { return *reaper_ptr(); }

thread_local task_state* tl_task = nullptr;  // the safe_go task this thread runs, if any

// Takes up to `n` of the oldest queued threads (caller holds the reaper's mutex).
task_state* take_finished(std::size_t n) noexcept {
  reaper_state& r = reaper();
  task_state* first = r.head;
  task_state* last = nullptr;
  for (; n > 0 && r.head != nullptr; --n) {
    last = r.head;
    r.head = r.head->next_finished;
    --r.queued;
  }
  if (last != nullptr) last->next_finished = nullptr;
  if (r.head == nullptr) r.tail = nullptr;
  return last != nullptr ? first : nullptr;
}

// Joins the threads of a list taken from the queue. Each has left its task body and released every lock:
// the join waits at most for the thread's exit.
void join_finished(task_state* list) noexcept {
  while (list != nullptr) {
    task_state* next = list->next_finished;
    std::shared_ptr<task_state> keep = std::move(list->self);
    if (keep->thread.joinable() && keep->thread.get_id() != std::this_thread::get_id()) keep->thread.join();
    {
      std::lock_guard lk(reaper().m);
      --reaper().unjoined;
    }
    list = next;
  }
}

// Joins one thread at a time, so `unjoined` counts everything not yet joined.
void reaper_main() noexcept {
  reaper_state& r = reaper();
  for (;;) {
    task_state* one = nullptr;
    {
      std::unique_lock lk(r.m);
      r.work_cv.wait(lk, [&] { return r.head != nullptr || r.stopping; });
      if (r.head == nullptr) return;  // stopping, and everything queued is joined
      one = take_finished(1);
    }
    join_finished(one);
  }
}

void reap_excess() noexcept;

// Before a spawn: starts the reaper with the first safe_go (throws std::system_error if the OS refuses the
// thread), and joins finished threads here if the reaper has fallen behind.
void prepare_spawn() {
  reaper_state& r = reaper();
  {
    std::lock_guard lk(r.m);
    if (!r.started && !r.stopping) {
      r.thread = std::thread(reaper_main);
      r.started = true;
    }
    if (r.unjoined <= kMaxUnjoined) return;
  }
  reap_excess();
}

// Called by a finishing thread whose handle was dropped: queue its own thread for the reaper.
void hand_over(const std::shared_ptr<task_state>& st) noexcept {
  reaper_state& r = reaper();
  {
    std::lock_guard lk(r.m);
    st->self = st;
    (r.tail != nullptr ? r.tail->next_finished : r.head) = st.get();
    r.tail = st.get();
    ++r.queued;
    ++r.unjoined;
    --r.running;
  }
  r.work_cv.notify_one();  // the reaper is its only waiter
  r.exit_cv.notify_all();
}

// A spawn while finished threads queue faster than the reaper joins them: join the oldest ones here until
// at most kMaxUnjoined are left unjoined (the reaper keeps joining meanwhile).
void reap_excess() noexcept {
  for (;;) {
    task_state* one = nullptr;
    {
      std::lock_guard lk(reaper().m);
      if (reaper().unjoined <= kMaxUnjoined) return;
      one = take_finished(1);
    }
    if (one == nullptr) {
      std::this_thread::yield();  // all of them are being joined by others right now
      continue;
    }
    join_finished(one);
  }
}

void default_hook(const task_error& e) { std::fprintf(stderr, "tether: %s\n", describe(e).c_str()); }

void report(task_state& st, std::exception_ptr ep) noexcept {
  task_error e;
  try {
    e.component = st.component;
    e.task_id = st.rec.id;
    e.where = st.rec.where;
    e.policy = st.pol;
    e.exception = ep;
    e.message = exception_message(ep);
  } catch (...) {
    // Out of memory while describing the error: still report what we have.
  }
  if (st.pol == policy::keep_running) hooks().failed.fetch_add(1, std::memory_order_relaxed);
  call_error_hook(e);
}

}  // namespace

std::string exception_message(const std::exception_ptr& ep) {
  try {
    std::rethrow_exception(ep);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception (not derived from std::exception)";
  }
}

void call_error_hook(const task_error& e) noexcept {
  error_hook h;
  {
    std::lock_guard lk(hooks().m);
    h = hooks().hook;
  }
  try {
    if (h) {
      h(e);
    } else {
      default_hook(e);
    }
  } catch (...) {
    // A throwing hook must not turn a reported failure into an unreported crash.
  }
  std::fflush(stderr);
}

namespace {

void thread_main(const std::shared_ptr<task_state>& st) noexcept {
  tl_task = st.get();
  task_count counted(st->metrics);
  try {
    st->fn(st->ctx);
  } catch (...) {
    counted.end(true);  // before the hook: a hook reading the metrics sees this failure
    report(*st, std::current_exception());
    if (st->pol == policy::crash_process) std::terminate();
  }
  counted.end(false);  // no-op after a failure
  st->fn = task_fn();  // destroy the body's captures before the task counts as ended
  st->ctx = context();
  tl_task = nullptr;
  untrack(st->rec);
  bool self_reap = false;
  {
    std::lock_guard lk(st->m);
    st->finished = true;
    st->done.store(true, std::memory_order_release);
    self_reap = !st->handle_alive;
  }
  if (self_reap) {
    hand_over(st);  // the thread object stays in `st` (nobody else touches it now)
  } else {
    reaper_state& r = reaper();
    {
      std::lock_guard lk(r.m);
      --r.running;  // the handle joins it
    }
    r.exit_cv.notify_all();
  }
}

}  // namespace

std::shared_ptr<task_state> spawn_thread_task(const context& ctx, std::string_view component, policy p,
                                              task_fn fn, std::source_location where, bool counted) {
  if (component.empty()) throw std::invalid_argument("tether::safe_go: component name must not be empty");
  if (p != policy::keep_running && p != policy::crash_process) {
    throw std::invalid_argument("tether::safe_go: policy must be keep_running or crash_process");
  }
  if (!fn) throw std::invalid_argument("tether::safe_go: empty task body");
  ensure_exit_handler();
  prepare_spawn();
  auto st = std::make_shared<task_state>();
  st->component.assign(component);
  st->pol = p;
  if (counted) st->metrics = metrics_for(component);  // lock-free lookup (metrics.cpp)
  st->fn = std::move(fn);
  const std::stop_token stop_at_exit = shutdown_token();
  auto node = make_child(ctx, &stop_at_exit, std::nullopt);
  st->cancel = context_access::make_cancel(node);
  st->ctx = context_access::make(std::move(node));
  st->rec.id = next_task_id();
  st->rec.component = st->component;
  st->rec.where = where;
  st->rec.started = std::chrono::steady_clock::now();
  st->rec.kind = task_kind::thread;
  track(st->rec);
  try {
    // Hold m so the thread cannot reach its hand-over before `thread` is assigned.
    std::lock_guard lk(st->m);
    {
      std::lock_guard rk(reaper().m);
      ++reaper().running;
    }
    st->thread = std::thread([st] { thread_main(st); });
  } catch (...) {
    {
      std::lock_guard rk(reaper().m);
      --reaper().running;
    }
    untrack(st->rec);
    throw;
  }
  return st;
}

}  // namespace detail

const char* to_string(policy p) noexcept {
  return p == policy::crash_process ? "crash_process" : "keep_running";
}

std::string describe(const task_error& e) {
  std::string s = "task #" + std::to_string(e.task_id) + " '" + e.component + "' spawned at " +
                  e.where.file_name() + ":" + std::to_string(e.where.line());
  if (e.where.function_name()[0] != '\0') s += std::string(" in ") + e.where.function_name();
  s += " threw: " + e.message;
  s += e.policy == policy::crash_process ? " [policy crash_process: terminating]"
                                         : " [policy keep_running: task ended]";
  return s;
}

error_hook set_error_hook(error_hook hook) {
  std::lock_guard lk(detail::hooks().m);
  return std::exchange(detail::hooks().hook, std::move(hook));
}

std::uint64_t failed_task_count() noexcept { return detail::hooks().failed.load(std::memory_order_relaxed); }

task& task::operator=(task&& other) noexcept {
  if (this != &other) {
    release();
    st_ = std::move(other.st_);
  }
  return *this;
}

task::~task() { release(); }

void task::join() {
  if (!st_) return;
  st_->thread.join();  // the thread never touches `thread` while the handle is alive
  st_.reset();
}

void task::cancel() const noexcept {
  if (st_) st_->cancel();
}

bool task::done() const noexcept { return st_ && st_->done.load(std::memory_order_acquire); }

std::uint64_t task::id() const noexcept { return st_ ? st_->rec.id : 0; }

void task::release() noexcept {
  if (!st_) return;
  bool finished = false;
  {
    std::lock_guard lk(st_->m);
    finished = st_->finished;
    if (!finished) st_->handle_alive = false;  // the thread will hand itself to the reaper
  }
  if (finished) {
    // The body has returned; joining is quick. Joining ourselves (handle destroyed on its own thread after
    // the body) cannot happen: `finished` is set after the body and nothing runs the handle there.
    if (st_->thread.joinable() && st_->thread.get_id() != std::this_thread::get_id()) {
      st_->thread.join();
    }
  }
  st_.reset();
}

namespace detail {

void reaper_shutdown(std::chrono::steady_clock::time_point deadline) noexcept {
  reaper_state& r = reaper();
  std::thread reaper_thread;
  task_state* left = nullptr;
  {
    std::unique_lock lk(r.m);
    // A task counts as ended (registry) slightly before its thread queues itself here: wait for that, until
    // the exit handler's deadline (the same one as its wait for the tasks). The calling thread's own task
    // (exit() called from a safe_go task) never finishes while we wait.
    const std::size_t own = tl_task != nullptr ? 1 : 0;
    r.exit_cv.wait_until(lk, deadline, [&] { return r.running <= own; });
    r.stopping = true;
    reaper_thread = std::move(r.thread);
  }
  r.work_cv.notify_all();
  if (reaper_thread.joinable()) reaper_thread.join();  // it joins everything queued before it stops
  {
    std::lock_guard lk(r.m);
    left = take_finished(r.queued);
  }
  join_finished(left);
}

std::uint64_t own_thread_task() noexcept { return tl_task != nullptr ? tl_task->rec.id : 0; }

// fork(): the parent's safe_go threads - its tasks and its reaper thread - do not exist in the child. A fresh
// reaper state (not started, nothing queued, every count zero), so the child's first safe_go starts its own
// reaper thread and the child's exit neither waits for the parent's tasks nor joins the parent's threads; the
// error hook and the failure count carry over.
void safe_go_atfork(fork_phase phase) noexcept {
  hooks_state* const old_hooks = hooks_ptr();
  switch (phase) {
    case fork_phase::prepare:
      (void)reaper_ptr();   // built before the fork (see pool_atfork)
      old_hooks->m.lock();  // the hook is copied consistently into the child  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
      return;
    case fork_phase::parent:
      old_hooks->m.unlock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
      return;
    case fork_phase::child:
      break;
  }
  auto* fresh_hooks = new (std::nothrow) hooks_state;
  auto* fresh_reaper = new (std::nothrow) reaper_state;
  if (fresh_hooks == nullptr || fresh_reaper == nullptr) {
    std::fputs("tether: out of memory rebuilding safe_go state in a forked child\n", stderr);
    std::abort();
  }
  try {
    fresh_hooks->hook = old_hooks->hook;
  } catch (...) {
    // The hook could not be copied: the child reports through the default hook.
  }
  fresh_hooks->failed.store(old_hooks->failed.load());
  old_hooks->m.unlock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
  keep_forever(old_hooks);
  keep_forever(reaper_ptr());
  hooks_ptr() = fresh_hooks;
  reaper_ptr() = fresh_reaper;
}

}  // namespace detail
}  // namespace tether
