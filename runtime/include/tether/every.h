// tether/every.h - the approved replacement for `while (true) { sleep(...); work(); }`.
#pragma once

#include <tether/context.h>
#include <tether/detail/invoke.h>
#include <tether/sleep.h>

#include <chrono>
#include <stdexcept>

namespace tether {

/// Calls `fn(ctx)` (or `fn()`) every `interval` until `ctx` is cancelled, then returns.
///
/// Fixed rate, like Go's time.Ticker: ticks are at start + k*interval, the first one after one interval.
/// If a call overruns one or more ticks, the missed ticks are skipped (no burst of catch-up calls); the next
/// call happens at the next tick on the grid. The wait between ticks is interrupted by cancellation; a call
/// in progress is not (pass the context into fn to make long work cancellable too).
/// An exception from fn propagates out of every(). Throws std::invalid_argument if interval <= 0 or NaN.
/// Like sleep_for, an interval beyond ~30 years (hours::max(), years(300), infinity) saturates: the first
/// tick would never come, so every() just waits for cancellation and returns without calling fn.
template <class Rep, class Period, class F>
void every(const context& ctx, std::chrono::duration<Rep, Period> interval, F fn) {
  static_assert(detail::task_body<F>, "tether::every: fn must be callable as fn(const tether::context&) or fn()");
  if (!(interval > interval.zero())) throw std::invalid_argument("tether::every: interval must be positive");
  using clock = std::chrono::steady_clock;
  if (std::chrono::duration<double>(interval).count() > 1e9) {  // no overflow of the clock below
    sleep_until(ctx, clock::time_point::max());
    return;
  }
  const auto step = std::chrono::ceil<clock::duration>(interval);
  auto next = clock::now() + step;
  while (!ctx.cancelled()) {
    if (!sleep_until(ctx, next)) return;
    detail::invoke_body(fn, ctx);
    next += step;
    const auto now = clock::now();
    if (next <= now) next += ((now - next) / step + 1) * step;  // skip missed ticks
  }
}

}  // namespace tether
