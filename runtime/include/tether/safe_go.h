// tether/safe_go.h - the approved replacement for std::thread / detach(): a named, tracked, cancellable
// thread whose exceptions are reported instead of killing the process silently.
#pragma once

#include <tether/context.h>
#include <tether/detail/invoke.h>
#include <tether/error_hook.h>

#include <cstdint>
#include <memory>
#include <source_location>
#include <string_view>
#include <utility>

namespace tether {

class task;

namespace detail {
struct task_state;
struct task_access;
// `counted`: counted in tether::metrics (false only for the runtime's own threads, e.g. worker_pool's workers).
std::shared_ptr<task_state> spawn_thread_task(const context& ctx, std::string_view component, policy p,
                                              task_fn fn, std::source_location where, bool counted = true);
}  // namespace detail

/// Handle to a safe_go task. Move-only.
///
/// join() waits for the task and joins its thread. Dropping an unjoined handle does NOT block and does NOT
/// detach: ownership of the std::thread passes to the runtime, whose reaper thread joins it as soon as the
/// task ends. At most 64 finished threads are ever left unjoined, at any spawn rate: when the reaper falls
/// behind, safe_go() joins the oldest ones itself (each has returned from its body; the join waits for its
/// thread_local destructors, so don't call safe_go() while holding a lock those destructors take). At process exit the runtime cancels every remaining task
/// and joins it; tasks still running after the exit grace period are reported and the process ends with
/// _Exit (see registry::set_exit_grace).
class task {
 public:
  task() noexcept = default;
  task(task&&) noexcept = default;
  task& operator=(task&& other) noexcept;
  ~task();

  /// Waits for the task to end and joins its thread. No-op on an empty handle.
  void join();
  /// True while the handle refers to a task not yet joined.
  bool joinable() const noexcept { return static_cast<bool>(st_); }
  /// Cancels the task's own context (a child of the one passed to safe_go).
  void cancel() const noexcept;
  /// True once the task body has returned or thrown.
  bool done() const noexcept;
  /// The task's registry id (0 for an empty handle).
  std::uint64_t id() const noexcept;

 private:
  explicit task(std::shared_ptr<detail::task_state> st) noexcept : st_(std::move(st)) {}
  void release() noexcept;
  std::shared_ptr<detail::task_state> st_;

  friend struct detail::task_access;
};

namespace detail {
struct task_access {
  static task make(std::shared_ptr<task_state> st) noexcept { return task(std::move(st)); }
};
}  // namespace detail

/// Runs `fn(ctx)` (or `fn()`) on a new thread owned by the runtime and registered under `component`.
/// The body receives a child of `ctx` that is cancelled when `ctx` is, by task::cancel(), or at process exit.
/// An exception escaping the body is reported through the error hook; then, per `p`, the task ends
/// normally (keep_running, counted by failed_task_count()) or the process terminates (crash_process).
/// Throws std::invalid_argument if `component` is empty, `p` is not a policy, or `fn` is null (a null function
/// or member pointer, an empty std::function, any body whose bool conversion is false); std::system_error
/// (resource_unavailable_try_again) if the OS refuses a new thread. Nothing is registered or started then.
/// Calling std::exit() from the body is fine: the exiting thread's own task is not waited for at exit.
template <class F>
task safe_go(const context& ctx, std::string_view component, policy p, F&& fn,
             std::source_location where = std::source_location::current()) {
  static_assert(detail::task_body<std::decay_t<F>>,
                "tether::safe_go: fn must be callable as fn(const tether::context&) or fn()");
  if (detail::is_null_body(fn)) detail::throw_null_body("tether::safe_go");
  return detail::task_access::make(detail::spawn_thread_task(ctx, component, p, detail::task_fn(std::forward<F>(fn)), where));
}

}  // namespace tether
