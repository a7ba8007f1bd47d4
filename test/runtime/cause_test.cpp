// Cancellation causes: cancel_fn(cause), context::cause(), and a task_group's first error as its cause.
#include <tether/context.h>
#include <tether/safe_go.h>
#include <tether/sleep.h>
#include <tether/task_group.h>

#include <gtest/gtest.h>

#include <atomic>
#include <initializer_list>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using tether_test::gate;
using tether_test::wait_done;

std::error_code code_of(std::errc e) { return std::make_error_code(e); }

TEST(CancelCause, LiveContextHasNoCause) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  EXPECT_FALSE(ctx.cause());
  EXPECT_FALSE(tether::background().cause());
  EXPECT_EQ(ctx.cause().message(), "");
  EXPECT_THROW(ctx.cause().rethrow(), std::logic_error);
}

TEST(CancelCause, WithoutACauseTheReasonIsTheCause) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  cancel();
  ASSERT_TRUE(ctx.cause());
  EXPECT_EQ(ctx.cause(), tether::errc::cancelled);
  EXPECT_EQ(ctx.cause().exception(), nullptr);
  EXPECT_EQ(ctx.cause().message(), "context cancelled");
  EXPECT_THROW(ctx.cause().rethrow(), std::system_error);
}

TEST(CancelCause, ErrorCodeCause) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  cancel(code_of(std::errc::connection_reset));
  EXPECT_EQ(ctx.err(), tether::errc::cancelled);  // err() says that, cause() says why
  EXPECT_EQ(ctx.cause(), code_of(std::errc::connection_reset));
  EXPECT_EQ(ctx.cause().message(), code_of(std::errc::connection_reset).message());
  try {
    ctx.cause().rethrow();
    FAIL() << "rethrow() must throw";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), std::errc::connection_reset);
  }
}

TEST(CancelCause, ExceptionCause) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  const std::exception_ptr ep = std::make_exception_ptr(std::runtime_error("database down"));
  cancel(ep);
  EXPECT_EQ(ctx.err(), tether::errc::cancelled);
  EXPECT_EQ(ctx.cause().exception(), ep);
  EXPECT_FALSE(ctx.cause().code());  // not a system_error: no code
  EXPECT_EQ(ctx.cause().message(), "database down");
  EXPECT_THROW(ctx.cause().rethrow(), std::runtime_error);
}

TEST(CancelCause, SystemErrorExceptionCarriesItsCode) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  cancel(std::make_exception_ptr(std::system_error(code_of(std::errc::timed_out), "upstream")));
  EXPECT_EQ(ctx.cause(), code_of(std::errc::timed_out));
  EXPECT_NE(ctx.cause().exception(), nullptr);
}

TEST(CancelCause, NonStdExceptionCause) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  cancel(std::make_exception_ptr(42));
  EXPECT_EQ(ctx.cause().message(), "unknown exception (not derived from std::exception)");
  EXPECT_THROW(ctx.cause().rethrow(), int);
}

TEST(CancelCause, EmptyCauseIsNoCause) {
  auto a = tether::with_cancel(tether::background());
  a.cancel(std::exception_ptr{});
  EXPECT_EQ(a.ctx.cause(), tether::errc::cancelled);
  auto b = tether::with_cancel(tether::background());
  b.cancel(std::error_code{});
  EXPECT_EQ(b.ctx.cause(), tether::errc::cancelled);
  auto c = tether::with_cancel(tether::background());
  c.cancel(std::error_code(0, std::generic_category()));  // value 0 means success, not a cause
  EXPECT_EQ(c.ctx.cause(), tether::errc::cancelled);
  EXPECT_FALSE(tether::cancel_cause(std::error_code(0, std::generic_category())));
}

TEST(CancelCause, FirstCauseWins) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  cancel(code_of(std::errc::broken_pipe));
  cancel(code_of(std::errc::timed_out));
  cancel();
  EXPECT_EQ(ctx.cause(), code_of(std::errc::broken_pipe));

  auto plain = tether::with_cancel(tether::background());
  plain.cancel();
  plain.cancel(code_of(std::errc::timed_out));  // too late: the first cancel carried no cause
  EXPECT_EQ(plain.ctx.cause(), tether::errc::cancelled);
}

TEST(CancelCause, PropagatesThroughATree) {
  auto root = tether::with_cancel(tether::background());
  auto child = tether::with_cancel(root.ctx);
  auto sibling = tether::with_cancel(root.ctx);
  auto grandchild = tether::with_cancel(child.ctx);
  const tether::context great = tether::with_cancel(grandchild.ctx).ctx;
  const tether::context linked = tether::with_stop_token(child.ctx, std::stop_token{});
  root.cancel(code_of(std::errc::host_unreachable));
  for (const tether::context* c : std::initializer_list<const tether::context*>{&root.ctx, &child.ctx, &sibling.ctx, &grandchild.ctx, &great, &linked}) {
    EXPECT_EQ(c->err(), tether::errc::cancelled);
    EXPECT_EQ(c->cause(), code_of(std::errc::host_unreachable));
  }
  // A child made after the cancellation starts cancelled with the same cause.
  EXPECT_EQ(tether::with_cancel(grandchild.ctx).ctx.cause(), code_of(std::errc::host_unreachable));
}

TEST(CancelCause, TheCancellationThatReachedTheContextDecides) {
  auto root = tether::with_cancel(tether::background());
  auto with_own = tether::with_cancel(root.ctx);
  auto own_below = tether::with_cancel(with_own.ctx);
  auto plain = tether::with_cancel(root.ctx);
  auto plain_below = tether::with_cancel(plain.ctx);
  auto untouched = tether::with_cancel(root.ctx);
  with_own.cancel(code_of(std::errc::broken_pipe));
  plain.cancel();
  root.cancel(code_of(std::errc::host_unreachable));
  EXPECT_EQ(with_own.ctx.cause(), code_of(std::errc::broken_pipe));
  EXPECT_EQ(own_below.ctx.cause(), code_of(std::errc::broken_pipe));
  EXPECT_EQ(plain.ctx.cause(), tether::errc::cancelled);  // its own cancel came first, without a cause
  EXPECT_EQ(plain_below.ctx.cause(), tether::errc::cancelled);
  EXPECT_EQ(untouched.ctx.cause(), code_of(std::errc::host_unreachable));
}

TEST(CancelCause, DeadlineIsTheCauseWhenItFiresFirst) {
  auto [ctx, cancel] = tether::with_timeout(tether::background(), 5ms);
  auto child = tether::with_cancel(ctx);
  ASSERT_TRUE(wait_done(child.ctx));
  EXPECT_EQ(ctx.cause(), tether::errc::deadline_exceeded);
  EXPECT_EQ(child.ctx.cause(), tether::errc::deadline_exceeded);
  cancel(code_of(std::errc::timed_out));  // too late
  EXPECT_EQ(ctx.cause(), tether::errc::deadline_exceeded);
  EXPECT_EQ(tether::with_deadline(tether::background(), std::chrono::steady_clock::now() - 1s).ctx.cause(),
            tether::errc::deadline_exceeded);  // already expired at creation
}

TEST(CancelCause, ExplicitCauseBeforeTheDeadlineStays) {
  // The cancel must come before the deadline; on a loaded machine the deadline may still win the race, so
  // such an attempt is retried with a longer timeout (it is not a failure: the deadline came first).
  for (const auto timeout : {20ms, 200ms, 2000ms}) {
    auto [ctx, cancel] = tether::with_timeout(tether::background(), timeout);
    auto child = tether::with_timeout(ctx, 1h);  // inherits the deadline, has no timer of its own
    cancel(code_of(std::errc::operation_canceled));
    if (ctx.err() == tether::errc::deadline_exceeded) continue;  // the deadline won the race
    tether::sleep_until(tether::background(), *ctx.deadline() + 10ms);  // past it: must not replace the cause
    EXPECT_EQ(ctx.err(), tether::errc::cancelled);
    EXPECT_EQ(ctx.cause(), code_of(std::errc::operation_canceled));
    EXPECT_EQ(child.ctx.cause(), code_of(std::errc::operation_canceled));
    return;
  }
  GTEST_SKIP() << "every deadline fired before the cancel (machine overloaded)";
}

TEST(CancelCause, ChildWithItsOwnDeadlineUnderACancelledParent) {
  auto parent = tether::with_cancel(tether::background());
  auto child = tether::with_timeout(parent.ctx, 1h);
  parent.cancel(code_of(std::errc::broken_pipe));
  EXPECT_EQ(child.ctx.cause(), code_of(std::errc::broken_pipe));
}

TEST(CancelCause, VisibleInsideStopCallbacks) {
  auto root = tether::with_cancel(tether::background());
  auto child = tether::with_cancel(root.ctx);
  std::error_code seen_root;
  std::error_code seen_child;
  const std::stop_callback on_root(root.ctx.stop_token(), [&] { seen_root = root.ctx.cause().code(); });
  const std::stop_callback on_child(child.ctx.stop_token(), [&] { seen_child = child.ctx.cause().code(); });
  root.cancel(code_of(std::errc::network_down));
  EXPECT_EQ(seen_root, std::errc::network_down);
  EXPECT_EQ(seen_child, std::errc::network_down);
}

// Many threads cancel one context at once, each with its own cause, while readers poll it and a child: one
// cause wins, every reader that saw the context cancelled saw that cause (never an empty or a different one),
// and the stop callbacks see it too. Repeated: run it under TSan with --repeat.
TEST(CancelCause, FirstCauseWinsUnderConcurrentCancels) {
  constexpr int kRounds = 200;
  constexpr int kCancellers = 4;
  for (int round = 0; round < kRounds; ++round) {
    auto root = tether::with_cancel(tether::background());
    const tether::context child = tether::with_cancel(root.ctx).ctx;
    std::atomic<int> seen_in_callback{-1};
    const std::stop_callback cb(child.stop_token(), [&] { seen_in_callback = child.cause().code().value(); });
    std::atomic<bool> go{false};
    std::vector<std::error_code> reader_saw(2);
    std::vector<tether::task> threads;
    for (int i = 0; i < kCancellers; ++i) {
      threads.push_back(tether::safe_go(tether::background(), "canceller", tether::policy::keep_running, [&, i] {
        while (!go.load()) std::this_thread::yield();
        if (i == kCancellers - 1) {
          root.cancel();  // one plain cancel among them: its winning means errc::cancelled
        } else {
          root.cancel(std::error_code(100 + i, std::generic_category()));
        }
      }));
    }
    for (int r = 0; r < 2; ++r) {
      threads.push_back(tether::safe_go(tether::background(), "reader", tether::policy::keep_running, [&, r] {
        const tether::context& c = r == 0 ? root.ctx : child;
        while (!go.load()) std::this_thread::yield();
        while (!c.cancelled()) std::this_thread::yield();
        reader_saw[static_cast<std::size_t>(r)] = c.cause().code();
      }));
    }
    go.store(true);
    for (auto& t : threads) t.join();
    const std::error_code winner = root.ctx.cause().code();
    ASSERT_TRUE(winner);
    ASSERT_TRUE(winner == tether::errc::cancelled || (winner.value() >= 100 && winner.value() < 100 + kCancellers))
        << winner.message();
    ASSERT_EQ(child.cause().code(), winner);
    ASSERT_EQ(reader_saw[0], winner) << "round " << round;
    ASSERT_EQ(reader_saw[1], winner) << "round " << round;
    ASSERT_EQ(seen_in_callback.load(), winner.value());
  }
}

// --- task_group: the first error is the cause ---

TEST(CancelCause, FailingGroupTaskIsTheCauseSiblingsSee) {
  tether::task_group g(tether::background(), "shards");
  gate started;
  std::string sibling_saw;
  g.spawn([&](const tether::context& c) {
    started.open();
    tether::sleep_for(c, 1h);  // interrupted by the failing sibling
    sibling_saw = c.cause().message();
  });
  ASSERT_TRUE(started.wait());
  g.spawn([] { throw std::runtime_error("shard 7 failed"); });
  EXPECT_THROW(g.wait(), std::runtime_error);
  EXPECT_EQ(sibling_saw, "shard 7 failed");
  ASSERT_EQ(g.errors().size(), 1U);
  EXPECT_EQ(g.ctx().cause().exception(), g.errors().front());  // the very exception wait() rethrew
  EXPECT_EQ(g.ctx().err(), tether::errc::cancelled);
}

TEST(CancelCause, NestedGroupSeesTheOuterGroupsError) {
  tether::task_group outer(tether::background(), "outer");
  std::string inner_saw;
  gate inner_started;
  outer.spawn([&](const tether::context& c) {
    tether::task_group inner(c, "inner");
    inner.spawn([&](const tether::context& ic) {
      inner_started.open();
      tether::sleep_for(ic, 1h);
      inner_saw = ic.cause().message();
    });
    inner.wait();
  });
  ASSERT_TRUE(inner_started.wait());
  outer.spawn([] { throw std::system_error(std::make_error_code(std::errc::io_error), "disk"); });
  EXPECT_THROW(outer.wait(), std::system_error);
  EXPECT_NE(inner_saw.find("disk"), std::string::npos) << inner_saw;
  EXPECT_EQ(outer.ctx().cause(), code_of(std::errc::io_error));
}

TEST(CancelCause, GroupCancelAndParentCancelHaveTheirOwnCauses) {
  tether::task_group g(tether::background(), "g");
  g.cancel();
  EXPECT_EQ(g.ctx().cause(), tether::errc::cancelled);

  auto parent = tether::with_cancel(tether::background());
  tether::task_group h(parent.ctx, "h");
  parent.cancel(code_of(std::errc::operation_canceled));
  EXPECT_EQ(h.ctx().cause(), code_of(std::errc::operation_canceled));
}

}  // namespace
