#include <tether/registry.h>
#include <tether/safe_go.h>
#include <tether/sleep.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <atomic>
#include <future>
#include <stdexcept>

#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using tether_test::gate;
using tether_test::kSafety;

// Restores the default hook even if a test fails.
struct hook_guard {
  explicit hook_guard(tether::error_hook h) : previous(tether::set_error_hook(std::move(h))) {}
  ~hook_guard() { tether::set_error_hook(std::move(previous)); }
  tether::error_hook previous;
};

TEST(SafeGo, RunsWithContextAndJoins) {
  std::atomic<bool> saw_ctx{false};
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  tether::task t = tether::safe_go(ctx, "worker", tether::policy::keep_running, [&](const tether::context& c) {
    saw_ctx = !c.cancelled() && c.stop_token().stop_possible();
  });
  EXPECT_TRUE(t.joinable());
  EXPECT_GT(t.id(), 0U);
  t.join();
  EXPECT_FALSE(t.joinable());
  EXPECT_TRUE(saw_ctx.load());
}

TEST(SafeGo, AcceptsNoArgCallableAndMoveOnlyCaptures) {
  auto p = std::make_unique<int>(41);
  std::atomic<int> seen{0};
  auto t = tether::safe_go(tether::background(), "no-arg", tether::policy::keep_running,
                           [p = std::move(p), &seen] { seen = *p + 1; });
  t.join();
  EXPECT_EQ(seen.load(), 42);
}

TEST(SafeGo, DoneReflectsCompletion) {
  gate g;
  auto t = tether::safe_go(tether::background(), "gated", tether::policy::keep_running, [&] { g.wait(); });
  EXPECT_FALSE(t.done());
  g.open();
  EXPECT_TRUE(tether_test::eventually([&] { return t.done(); }));
  t.join();
}

TEST(SafeGo, ParentCancellationReachesTask) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  std::atomic<int> slept{-1};
  auto t = tether::safe_go(ctx, "sleeper", tether::policy::keep_running,
                           [&](const tether::context& c) { slept = tether::sleep_for(c, 1h) ? 1 : 0; });
  cancel();
  t.join();
  EXPECT_EQ(slept.load(), 0);
}

TEST(SafeGo, TaskCancelDoesNotCancelParent) {
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  std::promise<std::error_code> reason;
  auto t = tether::safe_go(ctx, "cancellable", tether::policy::keep_running, [&](const tether::context& c) {
    tether::sleep_for(c, 1h);
    reason.set_value(c.err());
  });
  t.cancel();
  t.join();
  EXPECT_EQ(reason.get_future().get(), tether::errc::cancelled);
  EXPECT_FALSE(ctx.cancelled());
}

TEST(SafeGo, KeepRunningReportsThroughHookAndCounts) {
  std::promise<tether::task_error> got;
  hook_guard guard([&](const tether::task_error& e) { got.set_value(e); });
  const auto before = tether::failed_task_count();
  const auto line = __LINE__ + 1;
  auto t = tether::safe_go(tether::background(), "billing-sync", tether::policy::keep_running,
                           [] { throw std::runtime_error("ledger unreachable"); });
  const auto id = t.id();
  auto fut = got.get_future();
  ASSERT_EQ(fut.wait_for(kSafety), std::future_status::ready);
  const tether::task_error e = fut.get();
  t.join();  // the thread ended normally
  EXPECT_EQ(e.component, "billing-sync");
  EXPECT_EQ(e.task_id, id);
  EXPECT_EQ(e.message, "ledger unreachable");
  EXPECT_EQ(e.policy, tether::policy::keep_running);
  EXPECT_EQ(e.where.line(), static_cast<unsigned>(line));
  EXPECT_NE(std::string(e.where.file_name()).find("safe_go_test.cpp"), std::string::npos);
  ASSERT_TRUE(e.exception);
  EXPECT_THROW(std::rethrow_exception(e.exception), std::runtime_error);
  EXPECT_EQ(tether::failed_task_count(), before + 1);
  EXPECT_NE(tether::describe(e).find("billing-sync"), std::string::npos);
}

TEST(SafeGo, HookSeesTaskId) {
  std::promise<std::uint64_t> id;
  hook_guard guard([&](const tether::task_error& e) { id.set_value(e.task_id); });
  gate g;
  auto t = tether::safe_go(tether::background(), "id-check", tether::policy::keep_running, [&] {
    g.wait();
    throw 7;  // not a std::exception
  });
  const auto expected = t.id();
  g.open();
  auto fut = id.get_future();
  ASSERT_EQ(fut.wait_for(kSafety), std::future_status::ready);
  EXPECT_EQ(fut.get(), expected);
  t.join();
}

TEST(SafeGo, NonStdExceptionHasPlaceholderMessage) {
  std::promise<std::string> msg;
  hook_guard guard([&](const tether::task_error& e) { msg.set_value(e.message); });
  tether::safe_go(tether::background(), "odd-thrower", tether::policy::keep_running, [] { throw 42; });
  auto fut = msg.get_future();
  ASSERT_EQ(fut.wait_for(kSafety), std::future_status::ready);
  EXPECT_NE(fut.get().find("unknown exception"), std::string::npos);
  EXPECT_TRUE(tether::registry::wait_idle(kSafety));
}

TEST(SafeGo, ThrowingHookIsSwallowed) {
  hook_guard guard([](const tether::task_error&) { throw std::logic_error("bad hook"); });
  const auto before = tether::failed_task_count();
  auto t = tether::safe_go(tether::background(), "hooked", tether::policy::keep_running,
                           [] { throw std::runtime_error("x"); });
  t.join();
  EXPECT_EQ(tether::failed_task_count(), before + 1);
}

TEST(SafeGo, DefaultHookPrintsOneLineToStderr) {
  ::testing::internal::CaptureStderr();
  auto t = tether::safe_go(tether::background(), "stderr-reporter", tether::policy::keep_running,
                           [] { throw std::runtime_error("disk full"); });
  t.join();
  const std::string out = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(out.find("tether: task #"), std::string::npos) << out;
  EXPECT_NE(out.find("'stderr-reporter'"), std::string::npos) << out;
  EXPECT_NE(out.find("safe_go_test.cpp:"), std::string::npos) << out;
  EXPECT_NE(out.find("disk full"), std::string::npos) << out;
  EXPECT_NE(out.find("keep_running"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST(SafeGoDeathTest, CrashProcessReportsThenTerminates) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto t = tether::safe_go(tether::background(), "payments-core", tether::policy::crash_process,
                                 [] { throw std::runtime_error("invariant broken"); });
        t.join();
      },
      "tether: task #[0-9]+ 'payments-core' spawned at .*safe_go_test.cpp:[0-9]+.*invariant broken.*crash_process");
}

TEST(SafeGo, RejectsEmptyComponentAndBadPolicy) {
  EXPECT_THROW(tether::safe_go(tether::background(), "", tether::policy::keep_running, [] {}), std::invalid_argument);
  EXPECT_THROW(tether::safe_go(tether::background(), "x", static_cast<tether::policy>(9), [] {}),
               std::invalid_argument);
  try {
    tether::safe_go(tether::background(), "", tether::policy::keep_running, [] {});
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("component"), std::string::npos);
  }
  EXPECT_EQ(tether::registry::live_count(), 0U);
}

TEST(SafeGo, DroppedHandleNeitherBlocksNorDetaches) {
  gate g;
  std::atomic<bool> finished{false};
  std::uint64_t id = 0;
  {
    auto t = tether::safe_go(tether::background(), "fire-and-track", tether::policy::keep_running, [&] {
      g.wait();
      finished = true;
    });
    id = t.id();
  }  // handle dropped while the task is blocked: must not block here
  EXPECT_FALSE(finished.load());
  const auto snap = tether::registry::snapshot();
  EXPECT_TRUE(std::any_of(snap.begin(), snap.end(), [&](const auto& ti) { return ti.id == id; }));
  g.open();
  EXPECT_TRUE(tether::registry::wait_idle(kSafety));
  EXPECT_TRUE(finished.load());
}

TEST(SafeGo, ManyDroppedHandlesAreReaped) {
  std::atomic<int> ran{0};
  for (int i = 0; i < 100; ++i) {
    tether::safe_go(tether::background(), "burst", tether::policy::keep_running, [&] { ++ran; });
  }
  EXPECT_TRUE(tether::registry::wait_idle(kSafety));
  EXPECT_EQ(ran.load(), 100);
  EXPECT_EQ(tether::registry::live_count(), 0U);
}

TEST(SafeGo, HandleMoveAndFinishedDrop) {
  auto a = tether::safe_go(tether::background(), "movable", tether::policy::keep_running, [] {});
  const auto id = a.id();
  tether::task b = std::move(a);
  EXPECT_FALSE(a.joinable());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(b.id(), id);
  EXPECT_TRUE(tether_test::eventually([&] { return b.done(); }));
  tether::task c;
  c = std::move(b);  // c was empty
  c = tether::task();  // drops a finished task: joins it
  EXPECT_FALSE(c.joinable());
  a.join();  // empty: no-op
}

}  // namespace

namespace {

TEST(SafeGoExitTest, ExitCancelsAndJoinsCooperativeTasks) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        tether::safe_go(tether::background(), "exit-cooperative", tether::policy::keep_running,
                        [](const tether::context& c) {
                          tether::sleep_for(c, std::chrono::hours(1));  // only the exit handler ends this
                          std::fprintf(stderr, "task saw: %s\n", c.err().message().c_str());
                        });
        std::exit(0);
      },
      ::testing::ExitedWithCode(0), "task saw: context cancelled");
}

std::atomic<bool> never{false};

TEST(SafeGoExitTest, ExitReportsTasksIgnoringCancellation) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        tether::registry::set_exit_grace(std::chrono::milliseconds(50));
        tether::safe_go(tether::background(), "exit-stubborn", tether::policy::keep_running, [] {
          while (!never.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // ignores its context
        });
        std::exit(0);
      },
      ::testing::ExitedWithCode(0),
      "tether: at exit, 1 task\\(s\\) still running after the 50 ms grace period:.*'exit-stubborn' \\(safe_go\\) "
      "spawned at .*safe_go_test.cpp:[0-9]+");
}

}  // namespace
