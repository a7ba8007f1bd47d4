// A stand-in for the tether runtime's context API, just enough for tether-unguarded-loop's tests.
#ifndef TETHER_TEST_UNGUARDED_LOOP_TETHER_MOCK_H
#define TETHER_TEST_UNGUARDED_LOOP_TETHER_MOCK_H

#include <chrono>
#include <condition_variable>
#include <functional>
#include <stop_token>
#include <system_error>

namespace tether {

class context {
public:
  bool cancelled() const noexcept;
  std::error_code err() const noexcept;
  std::stop_token stop_token() const noexcept;
  std::chrono::steady_clock::time_point deadline() const noexcept;
};

context background();

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
