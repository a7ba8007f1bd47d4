// tether/task_group.h - structured concurrency (Go's errgroup.WithContext) on a shared worker pool.
#pragma once

#include <tether/context.h>
#include <tether/detail/invoke.h>
#include <tether/detail/task_record.h>
#include <tether/registry.h>

#include <chrono>
#include <cstddef>
#include <exception>
#include <memory>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether {

namespace detail {

struct group_state;

// One queued/running group task: its registry entry, its intrusive links and its body, in one allocation.
struct job {
  task_record rec;
  group_state* group = nullptr;
  job* qprev = nullptr;   // pool queue (pool mutex)
  job* qnext = nullptr;
  job* gqprev = nullptr;  // the group's queued jobs, for work-helping (pool mutex)
  job* gqnext = nullptr;
  job* gprev = nullptr;   // the group's live jobs, for stragglers (group mutex)
  job* gnext = nullptr;

  job() = default;
  job(const job&) = delete;
  job& operator=(const job&) = delete;
  virtual ~job() = default;
  // Runs the body once and destroys it before returning (also when it throws).
  virtual void run(const context& c) = 0;
};

template <class F>
struct job_impl final : job {
  template <class G>
  explicit job_impl(G&& g) : body(std::in_place, std::forward<G>(g)) {}
  void run(const context& c) override {
    struct destroy_body {
      std::optional<F>& b;
      ~destroy_body() { b.reset(); }
    } guard{body};
    invoke_body(*body, c);
  }
  std::optional<F> body;
};

// Takes ownership of `j`. Blocks for a slot (helping run the group's queued tasks meanwhile) if `block`,
// otherwise returns false when the group is at its limit.
bool group_submit(group_state& g, job* j, std::source_location where, bool block);

}  // namespace detail

/// Number of worker threads in the shared pool (std::thread::hardware_concurrency(), at least 1).
std::size_t pool_threads() noexcept;

/// A set of tasks sharing a context, like Go's errgroup.WithContext.
///
/// - ctx() is a child of `parent`, cancelled when the first task throws, by cancel(), when `parent` is
///   cancelled, or when the group is destroyed.
/// - Tasks run `fn(ctx())` (or `fn()`) on the runtime's shared pool. Every spawned task runs exactly once,
///   even after cancellation (the body checks ctx() to bail out early).
/// - With a limit, at most `limit` tasks are queued or running at once: spawn() blocks for a slot (running
///   the group's own queued tasks meanwhile), try_spawn() returns false instead.
/// - wait() runs the group's queued tasks on the calling thread, waits for the rest, then rethrows the first
///   exception. The destructor cancels ctx() and waits; a task is never left running.
class task_group {
 public:
  explicit task_group(const context& parent, std::string_view component = "task_group",
                      std::optional<std::size_t> limit = std::nullopt);
  ~task_group();
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;

  const context& ctx() const noexcept;

  template <class F>
  void spawn(F&& fn, std::source_location where = std::source_location::current()) {
    static_assert(detail::task_body<std::decay_t<F>>,
                  "tether::task_group::spawn: fn must be callable as fn(const tether::context&) or fn()");
    detail::group_submit(*st_, new detail::job_impl<std::decay_t<F>>(std::forward<F>(fn)), where, true);
  }

  template <class F>
  bool try_spawn(F&& fn, std::source_location where = std::source_location::current()) {
    static_assert(detail::task_body<std::decay_t<F>>,
                  "tether::task_group::try_spawn: fn must be callable as fn(const tether::context&) or fn()");
    return detail::group_submit(*st_, new detail::job_impl<std::decay_t<F>>(std::forward<F>(fn)), where, false);
  }

  /// Waits for every task, then rethrows the first exception (if any). May be called again after more spawns.
  /// Throws std::logic_error if called from one of this group's own tasks (that would wait for itself).
  void wait();

  /// Waits up to `timeout`. Returns the tasks still queued or running (empty if all are done). Does not
  /// rethrow: see errors().
  std::vector<straggler> wait_for(std::chrono::steady_clock::duration timeout);

  /// Every exception thrown by the group's tasks so far, in completion order.
  std::vector<std::exception_ptr> errors() const;

  /// Cancels ctx(). Running tasks are not interrupted; they observe ctx().
  void cancel() noexcept;

  /// Tasks queued or running.
  std::size_t pending() const noexcept;

  const std::string& component() const noexcept;
  std::optional<std::size_t> limit() const noexcept;

 private:
  std::unique_ptr<detail::group_state> st_;
};

}  // namespace tether
