// tether/sleep.h - sleeps and condition waits that wake up when a context is cancelled.
#pragma once

#include <tether/context.h>

#include <chrono>
#include <condition_variable>

namespace tether {

/// Sleeps until `deadline` or until `ctx` is cancelled. Returns true if the full time elapsed, false if the
/// context was cancelled first (also when it already was).
bool sleep_until(const context& ctx, std::chrono::steady_clock::time_point deadline);

/// Sleeps for `d` or until `ctx` is cancelled; same return value as sleep_until. Non-positive durations
/// return at once (!ctx.cancelled()).
template <class Rep, class Period>
bool sleep_for(const context& ctx, std::chrono::duration<Rep, Period> d) {
  if (!(d > d.zero())) return !ctx.cancelled();  // also NaN
  if (std::chrono::duration<double>(d).count() > 1e9) {  // ~30 years: "until cancelled", no overflow
    return sleep_until(ctx, std::chrono::steady_clock::time_point::max());
  }
  return sleep_until(ctx, std::chrono::steady_clock::now() + std::chrono::ceil<std::chrono::steady_clock::duration>(d));
}

/// Waits on `cv` until `pred()` is true or `ctx` is cancelled; returns pred()'s final value (so false means
/// "cancelled before the condition held"). `lock` must be locked, as for any condition variable wait.
/// The notifier must change the state under the same mutex and call cv.notify_*() as usual.
template <class Lock, class Pred>
bool wait(const context& ctx, std::condition_variable_any& cv, Lock& lock, Pred pred) {
  return cv.wait(lock, ctx.stop_token(), std::move(pred));
}

}  // namespace tether
