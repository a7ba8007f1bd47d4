#include <tether/context.h>
#include <tether/safe_go.h>
#include <tether/sleep.h>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "test_util.h"

namespace tether::detail {
std::size_t timer_queue_size() noexcept;  // internal, for boundedness checks
}

namespace {

using namespace std::chrono_literals;
using tether_test::kSafety;
using tether_test::wait_done;

TEST(Context, BackgroundIsNeverCancelled) {
  const tether::context bg = tether::background();
  EXPECT_FALSE(bg.cancelled());
  EXPECT_FALSE(bg.err());
  EXPECT_EQ(bg.err(), tether::errc::none);
  EXPECT_FALSE(bg.stop_token().stop_possible());
  EXPECT_FALSE(bg.deadline().has_value());
  EXPECT_EQ(tether::context(), bg);  // default-constructed handle is background
}

TEST(Context, CancelSetsErrAndStopToken) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  EXPECT_FALSE(ctx.cancelled());
  EXPECT_TRUE(ctx.stop_token().stop_possible());
  EXPECT_FALSE(ctx.stop_token().stop_requested());
  cancel();
  EXPECT_TRUE(ctx.cancelled());
  EXPECT_EQ(ctx.err(), tether::errc::cancelled);
  EXPECT_EQ(ctx.err().category().name(), std::string("tether.context"));
  EXPECT_EQ(ctx.err().message(), "context cancelled");
  EXPECT_TRUE(ctx.stop_token().stop_requested());
  cancel();  // idempotent
  EXPECT_EQ(ctx.err(), tether::errc::cancelled);
}

TEST(Context, ParentCancelReachesGrandchildren) {
  auto root = tether::with_cancel(tether::background());
  auto child = tether::with_cancel(root.ctx);
  auto sibling = tether::with_cancel(root.ctx);
  auto grandchild = tether::with_cancel(child.ctx);
  tether::context great = tether::with_cancel(grandchild.ctx).ctx;
  root.cancel();
  for (const auto* c : {&child.ctx, &sibling.ctx, &grandchild.ctx, &great}) {
    EXPECT_TRUE(c->cancelled());
    EXPECT_EQ(c->err(), tether::errc::cancelled);
    EXPECT_TRUE(c->stop_token().stop_requested());
  }
}

TEST(Context, ChildCancelDoesNotAffectParentOrSibling) {
  auto root = tether::with_cancel(tether::background());
  auto child = tether::with_cancel(root.ctx);
  auto sibling = tether::with_cancel(root.ctx);
  auto grandchild = tether::with_cancel(child.ctx);
  child.cancel();
  EXPECT_TRUE(child.ctx.cancelled());
  EXPECT_TRUE(grandchild.ctx.cancelled());
  EXPECT_FALSE(root.ctx.cancelled());
  EXPECT_FALSE(sibling.ctx.cancelled());
  EXPECT_FALSE(root.ctx.stop_token().stop_requested());
}

TEST(Context, ChildOfCancelledParentStartsCancelled) {
  auto root = tether::with_cancel(tether::background());
  root.cancel();
  auto child = tether::with_cancel(root.ctx);
  EXPECT_TRUE(child.ctx.cancelled());
  EXPECT_EQ(child.ctx.err(), tether::errc::cancelled);
}

TEST(Context, DeadlineExpiryCancelsContextAndChildren) {
  auto [ctx, cancel] = tether::with_timeout(tether::background(), 20ms);
  auto child = tether::with_cancel(ctx);
  ASSERT_TRUE(ctx.deadline().has_value());
  EXPECT_EQ(child.ctx.deadline(), ctx.deadline());  // inherited
  ASSERT_TRUE(wait_done(child.ctx));
  EXPECT_EQ(ctx.err(), tether::errc::deadline_exceeded);
  EXPECT_EQ(child.ctx.err(), tether::errc::deadline_exceeded);  // takes the parent's reason
  EXPECT_EQ(ctx.err().message(), "context deadline exceeded");
}

TEST(Context, DeadlineExpiryWithNoHandleToTheDeadlineNodeStillCancelsChildren) {
  tether::cancelable child;
  {
    auto parent = tether::with_timeout(tether::background(), 10ms);
    child = tether::with_cancel(parent.ctx);
  }  // the only parent handles are gone; the child keeps the parent alive
  ASSERT_TRUE(wait_done(child.ctx));
  EXPECT_EQ(child.ctx.err(), tether::errc::deadline_exceeded);
}

TEST(Context, PastDeadlineIsAlreadyExpired) {
  auto [ctx, cancel] = tether::with_deadline(tether::background(), std::chrono::steady_clock::now() - 1s);
  EXPECT_TRUE(ctx.cancelled());
  EXPECT_EQ(ctx.err(), tether::errc::deadline_exceeded);
}

TEST(Context, EarliestDeadlineWins) {
  const auto now = std::chrono::steady_clock::now();
  auto parent = tether::with_deadline(tether::background(), now + 1h);
  auto later = tether::with_deadline(parent.ctx, now + 2h);
  auto earlier = tether::with_deadline(parent.ctx, now + 30min);
  EXPECT_EQ(*later.ctx.deadline(), now + 1h);
  EXPECT_EQ(*earlier.ctx.deadline(), now + 30min);
  auto huge = tether::with_timeout(tether::background(), std::chrono::hours::max());  // saturates: no deadline
  EXPECT_FALSE(huge.ctx.deadline().has_value());
}

TEST(Context, CancelBeforeDeadlineKeepsCancelledReason) {
  // On a loaded machine the deadline can fire before cancel() runs; then that round says nothing
  // about "first reason wins", so retry with a longer timeout until cancel() is first.
  for (auto timeout = 10ms;; timeout *= 4) {
    ASSERT_LT(timeout.count(), 60000) << "cancel() never ran before the deadline";
    auto [ctx, cancel] = tether::with_timeout(tether::background(), timeout);
    cancel();
    if (ctx.err() != tether::errc::cancelled)
      continue;
    tether::sleep_for(tether::background(), timeout + 20ms);
    EXPECT_EQ(ctx.err(), tether::errc::cancelled);  // first reason wins
    return;
  }
}

TEST(Context, FromStopTokenFollowsTheSource) {
  std::stop_source src;
  const tether::context ctx = tether::context::from_stop_token(src.get_token());
  auto child = tether::with_cancel(ctx);
  EXPECT_FALSE(ctx.cancelled());
  src.request_stop();
  EXPECT_TRUE(ctx.cancelled());
  EXPECT_EQ(ctx.err(), tether::errc::cancelled);
  EXPECT_TRUE(child.ctx.cancelled());

  std::stop_source already;
  already.request_stop();
  EXPECT_TRUE(tether::context::from_stop_token(already.get_token()).cancelled());

  const auto never = tether::context::from_stop_token(std::stop_token{});
  EXPECT_FALSE(never.cancelled());
}

TEST(Context, WithStopTokenIsCancelledByEitherSide) {
  auto parent = tether::with_cancel(tether::background());
  std::stop_source a;
  std::stop_source b;
  const auto by_token = tether::with_stop_token(parent.ctx, a.get_token());
  const auto by_parent = tether::with_stop_token(parent.ctx, b.get_token());
  a.request_stop();
  EXPECT_TRUE(by_token.cancelled());
  EXPECT_FALSE(by_parent.cancelled());
  EXPECT_FALSE(parent.ctx.cancelled());
  parent.cancel();
  EXPECT_TRUE(by_parent.cancelled());
}

TEST(Context, StopTokenDrivesStdStopCallbacks) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  std::atomic<int> fired{0};
  std::stop_callback cb(ctx.stop_token(), [&] { fired.fetch_add(1); });
  EXPECT_EQ(fired.load(), 0);
  cancel();
  EXPECT_EQ(fired.load(), 1);
}

TEST(Context, DroppedChildIsUnlinkedFromParent) {
  auto parent = tether::with_cancel(tether::background());
  std::stop_token orphan_token;
  tether::cancel_fn orphan_cancel;
  {
    auto child = tether::with_cancel(parent.ctx);
    orphan_token = child.ctx.stop_token();
    orphan_cancel = child.cancel;
  }
  // If the parent still referenced the child, cancelling the parent would stop the child's token.
  parent.cancel();
  EXPECT_FALSE(orphan_token.stop_requested());
  orphan_cancel();  // no-op, must not crash
  EXPECT_FALSE(orphan_token.stop_requested());
}

TEST(Context, ManyDroppedChildrenDoNotAccumulateTimerEntries) {
  auto parent = tether::with_cancel(tether::background());
  const auto before = tether::detail::timer_queue_size();
  for (int i = 0; i < 2000; ++i) {
    auto c = tether::with_timeout(parent.ctx, 1h);
    auto g = tether::with_cancel(c.ctx);
  }
  EXPECT_EQ(tether::detail::timer_queue_size(), before);
  auto kept = tether::with_timeout(parent.ctx, 1h);
  EXPECT_EQ(tether::detail::timer_queue_size(), before + 1);
  kept.cancel();  // cancelling also frees the entry
  EXPECT_EQ(tether::detail::timer_queue_size(), before);
}

TEST(Context, ConcurrentChildCreationAndCancel) {
  auto root = tether::with_cancel(tether::background());
  std::vector<std::vector<tether::context>> made(4);
  std::vector<tether::task> tasks;
  std::atomic<bool> go{false};
  for (auto& v : made) {
    tasks.push_back(tether::safe_go(tether::background(), "ctx-maker", tether::policy::keep_running, [&v, &root, &go] {
      while (!go.load()) std::this_thread::yield();
      for (int i = 0; i < 500; ++i) v.push_back(tether::with_cancel(root.ctx).ctx);
    }));
  }
  go.store(true);
  root.cancel();
  for (auto& t : tasks) t.join();
  for (const auto& v : made) {
    for (const auto& c : v) ASSERT_EQ(c.err(), tether::errc::cancelled);
  }
}

TEST(Context, ManyDeadlinesFireInOrderOfExpiry) {
  std::vector<tether::cancelable> ctxs;
  for (int i = 0; i < 50; ++i) ctxs.push_back(tether::with_timeout(tether::background(), std::chrono::milliseconds(1 + i % 7)));
  for (auto& c : ctxs) {
    ASSERT_TRUE(wait_done(c.ctx));
    EXPECT_EQ(c.ctx.err(), tether::errc::deadline_exceeded);
  }
}

}  // namespace
