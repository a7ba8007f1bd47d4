// safe_go: one tracked std::thread per task (a raw thread spawn site allowed by tether's lint config).
//
// Nothing here is ever detached. Each thread is owned either by its task handle (which joins it) or, once
// the handle is dropped, by the runtime: a finishing thread parks its own std::thread object in a one-slot
// "reaper" and joins the thread parked there before it. So at most one finished-but-unjoined thread exists
// at any time, and the exit handler joins that last one.
#include <tether/registry.h>
#include <tether/safe_go.h>

#include "context_node.h"
#include "fork.h"
#include "shutdown.h"

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace tether {
namespace detail {

struct task_state {
  task_record rec;
  std::string component;
  policy pol = policy::keep_running;
  task_fn fn;
  context ctx;
  cancel_fn cancel;

  std::mutex m;
  std::thread thread;          // guarded by m until the thread is owned by one party
  bool finished = false;       // guarded by m
  bool handle_alive = true;    // guarded by m
  std::atomic<bool> done{false};
};

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

struct reaper_state {
  std::mutex m;
  std::condition_variable cv;
  std::thread last;         // the most recent finished thread whose handle was dropped
  std::size_t running = 0;  // safe_go threads that have not yet finished (parked or handle-owned)
};

reaper_state*& reaper_ptr() {
  static reaper_state* r = new reaper_state;  // replaced in a forked child: safe_go_atfork
  return r;
}

reaper_state& reaper() { return *reaper_ptr(); }

// Called by a finishing thread with its own std::thread object: park it, join the previous one.
void hand_over(std::thread self) noexcept {
  std::thread previous;
  {
    std::lock_guard lk(reaper().m);
    previous = std::exchange(reaper().last, std::move(self));
    --reaper().running;
    reaper().cv.notify_all();
  }
  // `previous` has already left its task body and released every lock: this join is short.
  if (previous.joinable()) previous.join();
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
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& ex) {
      e.message = ex.what();
    } catch (...) {
      e.message = "unknown exception (not derived from std::exception)";
    }
  } catch (...) {
    // Out of memory while describing the error: still report what we have.
  }
  if (st.pol == policy::keep_running) hooks().failed.fetch_add(1, std::memory_order_relaxed);
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

void thread_main(const std::shared_ptr<task_state>& st) noexcept {
  try {
    st->fn(st->ctx);
  } catch (...) {
    report(*st, std::current_exception());
    if (st->pol == policy::crash_process) std::terminate();
  }
  st->fn = task_fn();  // destroy the body's captures before the task counts as ended
  st->ctx = context();
  untrack(st->rec);
  bool self_reap = false;
  {
    std::lock_guard lk(st->m);
    st->finished = true;
    st->done.store(true, std::memory_order_release);
    self_reap = !st->handle_alive;
  }
  if (self_reap) {
    std::thread self;
    {
      std::lock_guard lk(st->m);
      self = std::move(st->thread);
    }
    hand_over(std::move(self));
  } else {
    std::lock_guard lk(reaper().m);
    --reaper().running;  // the handle joins it
    reaper().cv.notify_all();
  }
}

}  // namespace

std::shared_ptr<task_state> spawn_thread_task(const context& ctx, std::string_view component, policy p,
                                              task_fn fn, std::source_location where) {
  if (component.empty()) throw std::invalid_argument("tether::safe_go: component name must not be empty");
  if (p != policy::keep_running && p != policy::crash_process) {
    throw std::invalid_argument("tether::safe_go: policy must be keep_running or crash_process");
  }
  if (!fn) throw std::invalid_argument("tether::safe_go: empty task body");
  ensure_exit_handler();
  auto st = std::make_shared<task_state>();
  st->component.assign(component);
  st->pol = p;
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

void reaper_shutdown() noexcept {
  std::thread last;
  {
    std::unique_lock lk(reaper().m);
    // A task counts as ended (registry) slightly before its thread parks itself here: wait for that.
    reaper().cv.wait_for(lk, exit_grace(), [] { return reaper().running == 0; });
    last = std::move(reaper().last);
  }
  if (last.joinable() && last.get_id() != std::this_thread::get_id()) last.join();
}

// fork(): the parent's safe_go threads do not exist in the child. A fresh reaper, so the child's exit does not
// wait for (or join) them; the error hook and the failure count carry over.
void safe_go_atfork(fork_phase phase) noexcept {
  hooks_state* const old_hooks = hooks_ptr();
  switch (phase) {
    case fork_phase::prepare:
      (void)reaper_ptr();   // built before the fork (see pool_atfork)
      old_hooks->m.lock();  // the hook is copied consistently into the child
      return;
    case fork_phase::parent:
      old_hooks->m.unlock();
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
  old_hooks->m.unlock();
  keep_forever(old_hooks);
  keep_forever(reaper_ptr());
  hooks_ptr() = fresh_hooks;
  reaper_ptr() = fresh_reaper;
}

}  // namespace detail
}  // namespace tether
