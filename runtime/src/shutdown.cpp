// Process exit: the runtime cancels what it owns, gives it one grace period, and joins its threads.
//
// Registered by the first internal thread spawn (pool, safe_go or timer) - with glibc's on_exit(), which
// passes the exit status, elsewhere with std::atexit - so it runs before the destructors of statics
// constructed earlier (iostreams, gtest). The runtime's own state is immortal (never destroyed), so handles
// released later during static destruction stay valid.
//
// One deadline covers the whole handler: the wait for the tasks and the wait for their threads to be
// handed to the reaper (an earlier version waited a second grace period there, so a task ignoring its
// context cost twice the grace). If tasks are still running at the deadline, the handler reports them and
// ends the process with _Exit(status): the remaining exit handlers and the static destructors would
// otherwise run while those tasks still use the globals they destroy (ASan: use-after-free at exit).
// Tasks running on the exiting thread itself (exit() called from a task) are neither waited for nor reported.
// Deadline stop callbacks still running on the timer's helper threads at the deadline are treated like tasks
// still running: reported, then _Exit. The cancellation at exit never waits for a cancellation another thread
// is running (no_cancel_wait): a stuck stop callback there costs the grace period, not a hang.
#include <tether/registry.h>

#include "context_node.h"
#include "fork.h"
#include "shutdown.h"
#include "timer.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <new>
#include <thread>

namespace tether::detail {
namespace {

std::stop_source*& shutdown_source_ptr() {
  static auto* s = new std::stop_source;  // replaced in a forked child (shutdown_atfork)
  return s;
}

std::stop_source& shutdown_source() { return *shutdown_source_ptr(); }

// Waits until at most `own` tasks are live (the caller's own), or `deadline`. The common case (exit() from
// a thread that runs no task) sleeps in wait_idle; exit() from a task polls, as live_count() never reaches 0.
bool wait_for_others(std::size_t own, std::chrono::steady_clock::time_point deadline) {
  if (own == 0) return registry::wait_idle(deadline - std::chrono::steady_clock::now());
  for (;;) {
    if (registry::live_count() <= own) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// `callbacks`: deadline stop callbacks still running on the timer's helpers (timer_shutdown).
[[noreturn]] void report_and_end(int status, const std::vector<std::uint64_t>& own, std::size_t callbacks) noexcept {
  try {
    const auto grace_ms =
        static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(exit_grace()).count());
    auto left = registry::snapshot();
    std::erase_if(left, [&](const task_info& t) { return std::find(own.begin(), own.end(), t.id) != own.end(); });
    const std::size_t live = registry::live_count();
    const std::size_t tasks = live > own.size() ? live - own.size() : 0;
    if (tasks != 0 || callbacks == 0) {
      std::fprintf(stderr, "tether: at exit, %zu task(s) still running after the %lld ms grace period:\n", tasks,
                   grace_ms);
      for (const auto& t : left) std::fprintf(stderr, "tether:   %s\n", describe(t).c_str());
    }
    if (callbacks != 0) {
      std::fprintf(stderr,
                   "tether: at exit, %zu deadline stop callback(s) still running on the runtime's timer helpers "
                   "after the %lld ms grace period\n",
                   callbacks, grace_ms);
    }
    std::fprintf(stderr,
                 "tether: ending the process now with status %d, without running static destructors (they "
                 "would race the %s above)\n",
                 status, tasks != 0 || callbacks == 0 ? "tasks" : "callbacks");
  } catch (...) {
  }
  // _Exit flushes nothing: flush what a normal exit would have.
  try {
    std::cout.flush();
    std::clog.flush();
  } catch (...) {
  }
  std::fflush(nullptr);
  std::_Exit(status);
}

void at_process_exit(int status) noexcept {
  // Cancels every safe_go task and every task_group context (they are all linked to this token), without
  // waiting for a cancellation another thread is running (its stop callback may never return: that thread
  // is then like a task ignoring cancellation, covered by the grace period below).
  {
    const no_cancel_wait no_wait;
    shutdown_source().request_stop();
  }
  const auto deadline = std::chrono::steady_clock::now() + exit_grace();
  std::vector<std::uint64_t> own;
  try {
    if (const std::uint64_t id = own_thread_task(); id != 0) own.push_back(id);
    own_group_tasks(own);
  } catch (...) {
  }
  bool idle = false;
  try {
    idle = wait_for_others(own.size(), deadline);
  } catch (...) {
  }
  // A task that ignores cancellation cannot be joined without hanging exit forever, and must not run
  // during static destruction: say which, and end the process here.
  if (!idle) report_and_end(status, own, 0);
  pool_shutdown(true);
  reaper_shutdown(deadline);
  // A stop callback of an expired deadline still running on a timer helper is user code too: the same
  // deadline, the same treatment.
  if (const std::size_t callbacks = timer_shutdown(deadline); callbacks != 0) report_and_end(status, own, callbacks);
}

}  // namespace

void ensure_exit_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
#if defined(__GLIBC__)
    ::on_exit([](int status, void*) { at_process_exit(status); }, nullptr);
#else
    // The exit status is not available to atexit handlers: a process ended early reports EXIT_FAILURE.
    std::atexit([] { at_process_exit(EXIT_FAILURE); });
#endif
    register_fork_handlers();
  });
}

void shutdown_atfork(fork_phase phase) noexcept {
  if (phase == fork_phase::prepare) (void)shutdown_source_ptr();  // built before the fork (see pool_atfork)
  if (phase != fork_phase::child) return;
  // The parent's tasks stay linked to the old source; they do not run in the child, and the child's exit must
  // not run their stop callbacks.
  auto* fresh = new (std::nothrow) std::stop_source;
  if (fresh == nullptr) return;
  keep_forever(shutdown_source_ptr());
  shutdown_source_ptr() = fresh;
}

std::stop_token shutdown_token() noexcept { return shutdown_source().get_token(); }

}  // namespace tether::detail
