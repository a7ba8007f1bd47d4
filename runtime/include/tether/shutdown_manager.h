// tether/shutdown_manager.h - stopping a service's components in reverse start order under one deadline,
// on SIGINT/SIGTERM, without doing any work in a signal handler.
#pragma once

#include <tether/context.h>
#include <tether/detail/invoke.h>
#include <tether/registry.h>

#include <chrono>
#include <concepts>
#include <csignal>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace tether {

/// Registers stop steps and runs them, last registered first, sharing one time budget.
///
///   int main() {
///     tether::shutdown_manager::block_signals({SIGINT, SIGTERM});  // first, before any thread exists
///     tether::shutdown_manager sm;
///     Database db = open_db();            sm.add("database", [&](const tether::context& c) { db.close(c); });
///     tether::worker_pool workers(...);   sm.add("workers", [&](const tether::context& c) { ... });
///     HttpServer http = start_http();     sm.add("http", [&](const tether::context& c) { http.stop(c); });
///     auto report = sm.run_on_signal(10s);  // blocks until SIGINT/SIGTERM; then http, workers, database
///     return report.ok() ? 0 : 1;
///   }
///
/// Steps. run(budget) runs the steps one after another in reverse registration order. Each step runs on its
/// own safe_go task (component "shutdown:<name>") and gets a context whose deadline is what is left of the
/// budget (a child of background(), so it is independent of any application context that may already be
/// cancelled). A step that throws is recorded as failed; one still running at its deadline is recorded as
/// timed_out and left running (it stays registered and so is listed among the stragglers); either way the next
/// step runs. A step reached after the budget is spent still starts, with an already-expired context (so it can
/// do best-effort work such as flushing), and is timed_out unless it has returned by the time it is checked.
/// After the last step, run() waits for the registry to become idle for what is left of the budget (unless it
/// is called from a task, which would wait for itself), then lists the live tasks as stragglers.
///
/// Logging. Each step's start and outcome, and the summary, are passed as one line each to the log hook
/// (default: "tether: shutdown: <line>" on stderr).
///
/// Signals. A signal handler may only do async-signal-safe things, so nothing here runs in one:
/// run_on_signal() blocks the signals in the calling thread and waits for them on a dedicated safe_go task
/// with sigwait(). For that to work the signals must be blocked in EVERY thread of the process (otherwise the
/// kernel delivers them to a thread that does not block them, and SIGTERM's default action kills the
/// process): call block_signals() at the top of main(), before any thread (including the tether runtime's own
/// threads, started by the first safe_go/task_group/worker_pool) exists; threads inherit the mask.
///
/// Thread safety. All members may be called from any thread; add() and set_log_hook() are serialized with
/// run(). run() (or run_on_signal()) runs the steps once: a second run, or an add() after the run started,
/// throws std::logic_error.
class shutdown_manager {
 public:
  using step_fn = std::function<void(const context&)>;
  using log_hook = std::function<void(std::string_view line)>;

  enum class step_status { ok, failed, timed_out };

  struct step_result {
    std::string name;
    step_status status = step_status::ok;
    std::chrono::steady_clock::duration elapsed{};  ///< until it returned, or until its deadline (timed_out)
    std::string error;                              ///< the exception's message (failed) or why it timed out
  };

  struct report {
    std::vector<step_result> steps;     ///< in the order they ran (reverse registration order)
    std::vector<task_info> stragglers;  ///< live tasks after the last step (the caller's own task excluded)
    std::chrono::steady_clock::duration elapsed{};
    int signal = 0;                     ///< the signal that triggered run_on_signal(), else 0

    /// Every step ok and no stragglers.
    bool ok() const noexcept;
    /// One line, e.g. "3 steps in 120 ms: ok" or
    /// "3 steps in 2000 ms: 1 failed (http: bind lost), 1 timed out (workers); 2 stragglers".
    std::string summary() const;
  };

  shutdown_manager();
  ~shutdown_manager();
  shutdown_manager(const shutdown_manager&) = delete;
  shutdown_manager& operator=(const shutdown_manager&) = delete;

  /// Registers a stop step. Throws std::invalid_argument if `name` is empty or already registered, or `step`
  /// is empty; std::logic_error once the steps are running or have run.
  void add(std::string_view name, step_fn step);

  /// add() for a step that does not look at its context: `sm.add("cache", [&] { cache.flush(); });`.
  template <class F>
    requires(!std::invocable<F&, const context&> && std::invocable<F&>)
  void add(std::string_view name, F&& step) {
    if (detail::is_null_body(step)) {
      add(name, step_fn());  // throws the empty-function error
      return;
    }
    add(name, step_fn([f = std::forward<F>(step)](const context&) mutable { f(); }));
  }

  /// Runs the steps (see the class comment) and returns the report. Throws std::invalid_argument if `budget`
  /// is not positive, std::logic_error if the steps already ran.
  report run(std::chrono::milliseconds budget);

  /// Blocks until one of `signals` arrives (or `stop` is cancelled), then run(budget); report().signal is
  /// the signal (0 when woken by `stop`). Blocks the signals in the calling thread; see "Signals" above for
  /// the other threads. Throws std::invalid_argument for an empty list, a signal number out of range, or
  /// SIGKILL/SIGSTOP (which cannot be caught), and like run().
  report run_on_signal(std::chrono::milliseconds budget, std::initializer_list<int> signals = {SIGINT, SIGTERM},
                       const context& stop = background());  // NOLINT(tether-background-context): no extra stop by default; a signal or process exit wakes it

  /// Blocks `signals` in the calling thread (pthread_sigmask); call it at the top of main(), before any
  /// thread is started, so that every thread inherits the mask. Throws like run_on_signal() for bad signals.
  static void block_signals(std::initializer_list<int> signals = {SIGINT, SIGTERM});

  /// Replaces the log hook; an empty function restores the default (stderr). Returns the previous one.
  log_hook set_log_hook(log_hook hook);

  /// Registered step names, in registration order.
  std::vector<std::string> steps() const;

 private:
  struct state;
  std::unique_ptr<state> st_;
};

const char* to_string(shutdown_manager::step_status s) noexcept;

}  // namespace tether
