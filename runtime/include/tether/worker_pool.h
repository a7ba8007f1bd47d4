// tether/worker_pool.h - a fixed set of long-lived workers draining a bounded FIFO queue: the approved
// replacement for "one thread (goroutine) per incoming item" when items arrive faster than they can be
// handled (the seeds' webhook fan-out).
#pragma once

#include <tether/context.h>
#include <tether/detail/invoke.h>
#include <tether/registry.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <source_location>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace tether {

/// What worker_pool::shutdown() does with the tasks still queued.
enum class shutdown_mode {
  drain,   ///< run them (until the timeout; then as `cancel`)
  cancel,  ///< cancel the pool's context at once and drop them (counted in `dropped`)
};

const char* to_string(shutdown_mode m) noexcept;

namespace detail {
struct worker_pool_state;
// Reserves a queue slot: false when the pool is closed, its context is cancelled, or (without `block`) the
// queue is full. With `block`, waits for room. Throws std::logic_error for a worker's self-deadlock.
bool pool_reserve(worker_pool_state& st, bool block);
// Queues the task built for a reservation (never fails).
void pool_push(worker_pool_state& st, task_fn fn, std::source_location where) noexcept;
void pool_unreserve(worker_pool_state& st) noexcept;
// Builds a task's body into `out` from the caller's callable at `fn`; cannot throw or allocate.
using task_builder = void (*)(void* fn, task_fn& out) noexcept;
// Reserve and push in one critical section, for a body whose building can neither throw nor allocate (a
// small nothrow-constructible callable stored inline by task_fn): `build` runs under the queue's lock only
// once the task is accepted. Returns false (counted as rejected, `fn` untouched) like pool_reserve.
bool pool_submit_inline(worker_pool_state& st, bool block, task_builder build, void* fn, std::source_location where);
}  // namespace detail

/// A bounded pool: `options.workers` long-lived workers (safe_go tasks registered under the pool's
/// component, so they appear in registry::snapshot() and are joined by the pool) running tasks from a FIFO
/// queue of at most `options.queue_capacity` tasks.
///
///   tether::worker_pool pool(ctx, "webhooks", {.workers = 8, .queue_capacity = 1000});
///   if (!pool.try_submit([hook](const tether::context& c) { deliver(c, hook); }))
///     log("webhook dropped: queue full");     // counted in pool.stats().rejected
///   ...
///   auto r = pool.shutdown(5s);                 // drain, wait at most 5 s
///
/// Tasks. A task is `fn(ctx)` (receiving the pool's context, ctx()) or `fn()`. Every accepted task runs
/// exactly once unless it is dropped (shutdown_mode::cancel, a drain that timed out, or the pool's context
/// cancelled: then queued tasks are dropped and counted, never run). An exception escaping a task is
/// reported through the error hook (tether/error_hook.h) with the pool's component, the worker's task id and
/// the submit site, counted in stats().failed, and the worker goes on with the next task. (It is not counted
/// in failed_task_count(), which counts safe_go tasks that ended.)
///
/// Context. ctx() is a child of `parent`, also cancelled at process exit and by shutdown_mode::cancel. Once it
/// is cancelled the pool accepts nothing more, the workers drop the queue and end when their current task
/// returns. A parent's cancellation therefore stops the pool as a cancel-mode shutdown would (call shutdown()
/// or destroy the pool to join the workers).
///
/// Ordering. Tasks start in submission order (FIFO); with more than one worker they may finish in any order.
/// Everything a submitter did before a successful submit happens-before the task's start; everything a task
/// did happens-before shutdown() returning with it counted as completed or failed.
///
/// Thread safety. submit(), try_submit(), stats(), ctx() and shutdown() may be called from any thread,
/// concurrently, also from the pool's own tasks - except that shutdown() (and the destructor's wait) from a
/// pool task cannot wait for that task: shutdown() throws std::logic_error there. A task blocked in submit()
/// on its own full pool holds a worker: when every worker would be blocked that way, submit() throws
/// std::logic_error instead of deadlocking (use try_submit() from tasks).
class worker_pool {
 public:
  struct options {
    std::size_t workers = 0;         ///< number of workers; must be set (> 0)
    std::size_t queue_capacity = 0;  ///< queued (not yet running) tasks at most; must be set (> 0)
  };

  /// Counters since construction. queued + running + completed + failed + dropped == tasks accepted.
  struct stats_t {
    std::size_t queued = 0;       ///< waiting in the queue now
    std::size_t running = 0;      ///< being run by a worker now
    std::uint64_t completed = 0;  ///< returned normally
    std::uint64_t failed = 0;     ///< threw (reported through the error hook)
    std::uint64_t rejected = 0;   ///< try_submit()/submit() calls that returned false
    std::uint64_t dropped = 0;    ///< accepted but never run (cancel-mode shutdown, cancelled context)
    std::size_t capacity = 0;     ///< options.queue_capacity
    std::size_t workers = 0;      ///< options.workers
  };

  /// Result of shutdown(): the pool's totals when it returned, and the tasks still running then.
  struct shutdown_report {
    std::uint64_t completed = 0;
    std::uint64_t failed = 0;
    std::uint64_t dropped = 0;
    /// Tasks still running at the timeout: the worker's task id, the pool's component, the submit site, and
    /// the time the task started running (so age() is how long it has been running). Empty when every worker
    /// ended (they are then joined).
    std::vector<straggler> stragglers;
    bool clean() const noexcept { return stragglers.empty(); }
  };

  /// Starts the workers. Throws std::invalid_argument if `component` is empty or options.workers or
  /// options.queue_capacity is 0; std::system_error if the OS refuses a thread (the workers already started
  /// are stopped and joined first).
  worker_pool(const context& parent, std::string_view component, options opts);
  /// shutdown(registry exit grace, shutdown_mode::drain); stragglers still running then are reported on
  /// stderr and left to the runtime (they stay registered; the process-exit handler deals with them).
  ~worker_pool();
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;

  /// Queues `fn` if there is room; never blocks. Returns false (counted in stats().rejected, `fn` left
  /// untouched) when the queue is full, the pool is shutting down or ctx() is cancelled.
  /// Throws std::invalid_argument for a null `fn`; whatever copying/moving `fn` throws (nothing is queued).
  template <class F>
  bool try_submit(F&& fn, std::source_location where = std::source_location::current()) {
    return submit_impl(std::forward<F>(fn), false, where, "tether::worker_pool::try_submit");
  }

  /// Queues `fn`, waiting for room. Returns false (counted in stats().rejected, `fn` left untouched) when the
  /// pool is shutting down or ctx() is cancelled, also while waiting. Throws like try_submit(), and
  /// std::logic_error if every worker would be blocked in submit() on this pool (see "Thread safety").
  template <class F>
  bool submit(F&& fn, std::source_location where = std::source_location::current()) {
    return submit_impl(std::forward<F>(fn), true, where, "tether::worker_pool::submit");
  }

  /// A consistent snapshot of the counters (taken under the queue's lock).
  stats_t stats() const;

  /// Stops accepting tasks (submit/try_submit return false from now on), then per `mode`: drain lets the
  /// workers run the queue; cancel cancels ctx() and drops the queue. Waits until every worker has ended or
  /// `timeout` passed; at the timeout a drain turns into a cancel (ctx() cancelled, the rest of the queue
  /// dropped) and the tasks still running are returned as stragglers. Workers that ended are joined. May be
  /// called again (e.g. with a longer timeout to wait for stragglers); totals are cumulative.
  /// Throws std::logic_error when called from one of the pool's own tasks.
  shutdown_report shutdown(std::chrono::steady_clock::duration timeout, shutdown_mode mode = shutdown_mode::drain);

  /// The context tasks receive.
  const context& ctx() const noexcept;
  const std::string& component() const noexcept;

 private:
  template <class F>
  bool submit_impl(F&& fn, bool block, std::source_location where, const char* api) {
    static_assert(detail::task_body<std::decay_t<F>>,
                  "tether::worker_pool: fn must be callable as fn(const tether::context&) or fn()");
    if (detail::is_null_body(fn)) detail::throw_null_body(api);
    using D = std::decay_t<F>;
    if constexpr (detail::task_fn::stores_inline<D> && std::is_nothrow_constructible_v<D, F&&>) {
      // Building the body can neither throw nor allocate: one lock for reserving and queueing.
      const detail::task_builder build = [](void* p, detail::task_fn& out) noexcept {
        out = detail::task_fn(std::forward<F>(*static_cast<std::remove_reference_t<F>*>(p)));
      };
      return detail::pool_submit_inline(*st_, block, build,
                                        const_cast<void*>(static_cast<const volatile void*>(std::addressof(fn))), where);
    }
    if (!detail::pool_reserve(*st_, block)) return false;
    detail::task_fn body;
    try {
      body = detail::task_fn(std::forward<F>(fn));
    } catch (...) {
      detail::pool_unreserve(*st_);
      throw;
    }
    detail::pool_push(*st_, std::move(body), where);
    return true;
  }

  std::shared_ptr<detail::worker_pool_state> st_;
};

}  // namespace tether
