// A stand-in for the tether runtime's API (runtime/include/tether/*.h), with the same signatures, for
// the check tests: the context API (tether-unguarded-loop, tether-background-context) and the spawn API
// (tether-spawn-in-loop, tether-component-name). One test per check compiles against the real headers.
#ifndef TETHER_TEST_UNGUARDED_LOOP_TETHER_MOCK_H
#define TETHER_TEST_UNGUARDED_LOOP_TETHER_MOCK_H

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <stop_token>
#include <system_error>

namespace tether {

class context {
public:
  context() noexcept; // the background context
  bool cancelled() const noexcept;
  std::error_code err() const noexcept;
  std::stop_token stop_token() const noexcept;
  std::chrono::steady_clock::time_point deadline() const noexcept;
  friend bool operator==(const context &, const context &) noexcept = default;
};

context background();

class cancel_fn {
public:
  void operator()() const noexcept;
};
struct cancelable {
  context ctx;
  cancel_fn cancel;
};
cancelable with_cancel(const context &parent);
cancelable with_deadline(const context &parent, std::chrono::steady_clock::time_point deadline);
cancelable with_timeout(const context &parent, std::chrono::steady_clock::duration timeout);
context with_stop_token(const context &parent, std::stop_token token);

enum class policy { keep_running, crash_process };

class task {
public:
  task() noexcept = default;
  task(task &&) noexcept = default;
  task &operator=(task &&other) noexcept;
  ~task();
  void join();
  void cancel() const noexcept;
};

template <class F>
task safe_go(const context &ctx, std::string_view component, policy p, F &&fn,
             std::source_location where = std::source_location::current()) {
  return task();
}

std::size_t pool_threads() noexcept;

class task_group {
public:
  explicit task_group(const context &parent, std::string_view component = "task_group",
                      std::optional<std::size_t> limit = std::nullopt);
  ~task_group();
  task_group(const task_group &) = delete;
  task_group &operator=(const task_group &) = delete;
  const context &ctx() const noexcept;
  template <class F>
  void spawn(F &&fn, std::source_location where = std::source_location::current()) {}
  template <class F>
  bool try_spawn(F &&fn, std::source_location where = std::source_location::current()) {
    return true;
  }
  void wait();
  void cancel() noexcept;
};

template <class Rep, class Period>
bool sleep_for(const context &ctx, std::chrono::duration<Rep, Period> d) { return !ctx.cancelled(); }
template <class Clock, class Duration>
bool sleep_until(const context &ctx, std::chrono::time_point<Clock, Duration> tp) {
  return !ctx.cancelled();
}
template <class Lock, class Pred>
bool wait(const context &ctx, std::condition_variable_any &cv, Lock &lock, Pred pred) {
  return pred();
}
template <class Rep, class Period, class Fn>
void every(const context &ctx, std::chrono::duration<Rep, Period> interval, Fn fn) {
  while (!ctx.cancelled())
    fn();
}

} // namespace tether

#endif
