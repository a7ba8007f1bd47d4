#include <tether/every.h>
#include <tether/safe_go.h>
#include <tether/sleep.h>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

TEST(Sleep, FullDurationReturnsTrue) {
  const auto start = clk::now();
  EXPECT_TRUE(tether::sleep_for(tether::background(), 5ms));
  EXPECT_GE(clk::now() - start, 5ms);  // a sleep never ends early (lower bound only)
  EXPECT_TRUE(tether::sleep_until(tether::background(), clk::now() + 1ms));
  EXPECT_TRUE(tether::sleep_for(tether::background(), 0ms));
  EXPECT_TRUE(tether::sleep_for(tether::background(), -5ms));
}

TEST(Sleep, CancelledContextReturnsFalseAtOnce) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  cancel();
  EXPECT_FALSE(tether::sleep_for(ctx, 1h));
  EXPECT_FALSE(tether::sleep_until(ctx, clk::now() + 1h));
  EXPECT_FALSE(tether::sleep_for(ctx, 0ms));
}

TEST(Sleep, InterruptedByCancelFromAnotherThread) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  std::atomic<int> result{-1};
  auto t = tether::safe_go(tether::background(), "sleeper", tether::policy::keep_running,
                           [&, c = ctx] { result = tether::sleep_for(c, 1h) ? 1 : 0; });
  cancel();
  t.join();  // would hang for an hour if the sleep were not interruptible
  EXPECT_EQ(result.load(), 0);
}

TEST(Sleep, InterruptedByDeadline) {
  auto [ctx, cancel] = tether::with_timeout(tether::background(), 10ms);
  EXPECT_FALSE(tether::sleep_for(ctx, 1h));
  EXPECT_EQ(ctx.err(), tether::errc::deadline_exceeded);
}

TEST(Sleep, ForeverSleepIsInterruptible) {
  auto [ctx, cancel] = tether::with_timeout(tether::background(), 5ms);
  EXPECT_FALSE(tether::sleep_for(ctx, std::chrono::hours::max()));
}

TEST(Wait, ReturnsTrueWhenPredicateBecomesTrue) {
  std::mutex m;
  std::condition_variable_any cv;
  bool ready = false;
  auto t = tether::safe_go(tether::background(), "notifier", tether::policy::keep_running, [&] {
    std::lock_guard lk(m);
    ready = true;
    cv.notify_all();
  });
  std::unique_lock lk(m);
  EXPECT_TRUE(tether::wait(tether::background(), cv, lk, [&] { return ready; }));
  EXPECT_TRUE(lk.owns_lock());
  lk.unlock();
  t.join();
}

TEST(Wait, ReturnsFalseWhenCancelled) {
  std::mutex m;
  std::condition_variable_any cv;
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  auto t = tether::safe_go(tether::background(), "canceller", tether::policy::keep_running, [&, c = cancel] { c(); });
  std::unique_lock lk(m);
  EXPECT_FALSE(tether::wait(ctx, cv, lk, [] { return false; }));
  EXPECT_TRUE(lk.owns_lock());
  lk.unlock();
  t.join();
}

TEST(Wait, PredicateAlreadyTrueWinsOverCancellation) {
  std::mutex m;
  std::condition_variable_any cv;
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  cancel();
  std::unique_lock lk(m);
  EXPECT_TRUE(tether::wait(ctx, cv, lk, [] { return true; }));
}

TEST(Every, CallsUntilCancelled) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  int calls = 0;
  tether::every(ctx, 1ms, [&, c = cancel](const tether::context& inner) {
    EXPECT_EQ(inner, ctx);
    if (++calls == 5) c();
  });
  EXPECT_EQ(calls, 5);  // cancellation inside the 5th call stops the loop before a 6th
}

TEST(Every, AcceptsNoArgCallable) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  int calls = 0;
  tether::every(ctx, 1ms, [&, c = cancel] {
    if (++calls == 3) c();
  });
  EXPECT_EQ(calls, 3);
}

TEST(Every, CancelledContextNeverCalls) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  cancel();
  int calls = 0;
  tether::every(ctx, 1ms, [&] { ++calls; });
  EXPECT_EQ(calls, 0);
}

TEST(Every, InterruptibleBetweenTicks) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  std::atomic<int> calls{0};
  auto t = tether::safe_go(tether::background(), "hourly", tether::policy::keep_running,
                           [&, c = ctx] { tether::every(c, 1h, [&] { ++calls; }); });
  cancel();
  t.join();  // an hourly loop returns as soon as it is cancelled
  EXPECT_EQ(calls.load(), 0);
}

TEST(Every, NoBurstCatchUpAfterSlowCall) {
  // With catch-up, the calls after a slow one would run back to back. Without it, the third call starts at
  // least one interval after the slow first call ended (each tick is on the grid, strictly after "now").
  const auto interval = 20ms;
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  std::vector<clk::time_point> starts;
  clk::time_point first_end;
  tether::every(ctx, interval, [&, c = cancel] {
    starts.push_back(clk::now());
    if (starts.size() == 1) {
      std::this_thread::sleep_for(interval * 5);
      first_end = clk::now();
    }
    if (starts.size() == 3) c();
  });
  ASSERT_EQ(starts.size(), 3U);
  EXPECT_GE(starts[2] - first_end, interval);
}

TEST(Every, ExceptionPropagates) {
  EXPECT_THROW(tether::every(tether::background(), 1ms, [] { throw std::runtime_error("tick failed"); }),
               std::runtime_error);
}

TEST(Every, RejectsNonPositiveInterval) {
  EXPECT_THROW(tether::every(tether::background(), 0ms, [] {}), std::invalid_argument);
  EXPECT_THROW(tether::every(tether::background(), -1s, [] {}), std::invalid_argument);
}

}  // namespace
