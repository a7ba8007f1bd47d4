#include <tether/registry.h>
#include <tether/safe_go.h>
#include <tether/sleep.h>
#include <tether/task_group.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <stdexcept>
#include <string>

#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using tether_test::gate;
using tether_test::kSafety;

TEST(TaskGroup, RunsEveryTaskAndWaits) {
  std::atomic<int> sum{0};
  tether::task_group g(tether::background(), "adder");
  for (int i = 1; i <= 100; ++i) {
    g.spawn([&sum, i](const tether::context&) { sum += i; });
  }
  g.wait();
  EXPECT_EQ(sum.load(), 5050);
  EXPECT_EQ(g.pending(), 0U);
  EXPECT_TRUE(g.errors().empty());
  EXPECT_EQ(g.component(), "adder");
}

TEST(TaskGroup, AcceptsNoArgCallable) {
  std::atomic<int> n{0};
  tether::task_group g(tether::background());
  g.spawn([&] { ++n; });
  g.wait();
  EXPECT_EQ(n.load(), 1);
  EXPECT_EQ(g.component(), "task_group");
}

TEST(TaskGroup, FirstErrorCancelsContextAndIsRethrown) {
  tether::task_group g(tether::background(), "fetchers");
  std::atomic<int> interrupted{0};
  for (int i = 0; i < 3; ++i) {
    g.spawn([&](const tether::context& c) {
      if (!tether::sleep_for(c, 1h)) ++interrupted;  // returns early only because the group is cancelled
    });
  }
  g.spawn([] { throw std::runtime_error("shard 7 failed"); });
  try {
    g.wait();
    FAIL() << "wait() should rethrow";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "shard 7 failed");
  }
  EXPECT_EQ(interrupted.load(), 3);
  EXPECT_EQ(g.ctx().err(), tether::errc::cancelled);
  EXPECT_EQ(g.errors().size(), 1U);
}

TEST(TaskGroup, ErrorsCollectsEveryException) {
  tether::task_group g(tether::background());
  g.spawn([] { throw std::runtime_error("a"); });
  g.spawn([] { throw std::logic_error("b"); });
  g.spawn([] {});
  EXPECT_THROW(g.wait(), std::exception);
  const auto errs = g.errors();
  ASSERT_EQ(errs.size(), 2U);
  std::vector<std::string> msgs;
  for (const auto& ep : errs) {
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      msgs.emplace_back(e.what());
    }
  }
  std::sort(msgs.begin(), msgs.end());
  EXPECT_EQ(msgs, (std::vector<std::string>{"a", "b"}));
}

TEST(TaskGroup, ParentCancelReachesGroupButNotViceVersa) {
  auto parent = tether::with_cancel(tether::background());
  {
    tether::task_group g(parent.ctx, "child-group");
    g.cancel();
    EXPECT_TRUE(g.ctx().cancelled());
    EXPECT_FALSE(parent.ctx.cancelled());
  }
  tether::task_group g2(parent.ctx, "child-group");
  parent.cancel();
  EXPECT_TRUE(g2.ctx().cancelled());
  std::atomic<bool> ran{false};
  g2.spawn([&] { ran = true; });  // still runs exactly once after cancellation
  g2.wait();
  EXPECT_TRUE(ran.load());
}

TEST(TaskGroup, LimitBoundsConcurrency) {
  tether::task_group g(tether::background(), "limited", 2);
  EXPECT_EQ(g.limit(), std::optional<std::size_t>(2));
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  std::atomic<int> done{0};
  for (int i = 0; i < 30; ++i) {
    g.spawn([&] {
      const int now = ++running;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {
      }
      std::this_thread::sleep_for(1ms);
      --running;
      ++done;
    });
    EXPECT_LE(g.pending(), 2U);
  }
  g.wait();
  EXPECT_EQ(done.load(), 30);
  EXPECT_LE(peak.load(), 2);
  EXPECT_GE(peak.load(), 1);
}

TEST(TaskGroup, TrySpawnRefusesWhenFull) {
  gate release;
  tether::task_group g(tether::background(), "one-at-a-time", 1);
  EXPECT_TRUE(g.try_spawn([&] { release.wait(); }));
  std::atomic<bool> second_ran{false};
  EXPECT_FALSE(g.try_spawn([&] { second_ran = true; }));
  release.open();
  g.wait();
  EXPECT_FALSE(second_ran.load());
  EXPECT_TRUE(g.try_spawn([&] { second_ran = true; }));
  g.wait();
  EXPECT_TRUE(second_ran.load());
}

TEST(TaskGroup, WaitForReportsStragglers) {
  gate release;
  tether::task_group g(tether::background(), "slow-export");
  g.spawn([] {});
  const auto line = __LINE__ + 1;
  g.spawn([&] { release.wait(); });
  const auto stragglers = g.wait_for(20ms);
  ASSERT_EQ(stragglers.size(), 1U);
  EXPECT_EQ(stragglers[0].component, "slow-export");
  EXPECT_EQ(stragglers[0].kind, tether::task_kind::group);
  EXPECT_EQ(stragglers[0].where.line(), static_cast<unsigned>(line));
  EXPECT_NE(std::string(stragglers[0].where.file_name()).find("task_group_test.cpp"), std::string::npos);
  EXPECT_GT(stragglers[0].id, 0U);
  EXPECT_GE(stragglers[0].age(), 20ms);
  release.open();
  EXPECT_TRUE(g.wait_for(kSafety).empty());
}

TEST(TaskGroup, DestructorCancelsAndJoins) {
  std::atomic<bool> finished{false};
  std::error_code seen;
  {
    tether::task_group g(tether::background(), "scoped");
    g.spawn([&](const tether::context& c) {
      tether::sleep_for(c, 1h);  // only the destructor's cancel ends this
      seen = c.err();
      finished = true;
    });
  }
  EXPECT_TRUE(finished.load());
  EXPECT_EQ(seen, tether::errc::cancelled);
  EXPECT_EQ(tether::registry::live_count(), 0U);
}

TEST(TaskGroup, WaitFromOwnTaskIsALogicError) {
  tether::task_group g(tether::background(), "self-waiter");
  std::atomic<bool> threw{false};
  g.spawn([&] {
    try {
      g.wait();
    } catch (const std::logic_error&) {
      threw = true;
    }
  });
  g.wait();
  EXPECT_TRUE(threw.load());
}

TEST(TaskGroup, TasksCanSpawnIntoTheirOwnGroup) {
  tether::task_group g(tether::background(), "fan-out");
  std::atomic<int> leaves{0};
  for (int i = 0; i < 4; ++i) {
    g.spawn([&] {
      for (int j = 0; j < 4; ++j) g.spawn([&] { ++leaves; });
    });
  }
  g.wait();
  EXPECT_EQ(leaves.load(), 16);
}

// Each level spawns a leaf and the next level, then waits: every pool worker ends up waiting on a nested
// group. Without work-helping this deadlocks as soon as depth exceeds the pool size.
void nested(const tether::context& parent, int depth, std::atomic<int>& leaves) {
  if (depth == 0) {
    ++leaves;
    return;
  }
  tether::task_group g(parent, "nested");
  g.spawn([&](const tether::context& c) { nested(c, depth - 1, leaves); });
  g.spawn([&] { ++leaves; });
  g.spawn([&] { ++leaves; });
  g.wait();
}

template <class F>
void run_with_watchdog(const char* what, F body) {
  std::promise<void> done;
  auto fut = done.get_future();
  auto t = tether::safe_go(tether::background(), what, tether::policy::keep_running, [&] {
    body();
    done.set_value();
  });
  ASSERT_EQ(fut.wait_for(std::chrono::seconds(60)), std::future_status::ready) << what << " deadlocked";
  t.join();
}

TEST(TaskGroup, NestedGroupsDeeperThanPoolDoNotDeadlock) {
  const int depth = static_cast<int>(tether::pool_threads()) + 3;
  std::atomic<int> leaves{0};
  run_with_watchdog("nested-driver", [&] {
    tether::task_group outer(tether::background(), "outer");
    for (std::size_t i = 0; i < tether::pool_threads() * 2; ++i) {
      outer.spawn([&](const tether::context& c) { nested(c, depth, leaves); });
    }
    outer.wait();
  });
  // nested(d) counts two leaves per level plus one at the bottom: 2d + 1.
  EXPECT_EQ(leaves.load(), (2 * depth + 1) * static_cast<int>(tether::pool_threads() * 2));
}

TEST(TaskGroup, LimitedSpawnFromPoolWorkersDoesNotDeadlock) {
  std::atomic<int> ran{0};
  run_with_watchdog("limited-driver", [&] {
    tether::task_group outer(tether::background(), "outer", tether::pool_threads() * 2);
    for (std::size_t i = 0; i < tether::pool_threads() * 4; ++i) {
      outer.spawn([&](const tether::context& c) {
        tether::task_group inner(c, "inner-limited", 1);
        for (int j = 0; j < 8; ++j) inner.spawn([&] { ++ran; });  // blocks for the single slot on a worker
        inner.wait();
      });
    }
    outer.wait();
  });
  EXPECT_EQ(ran.load(), static_cast<int>(tether::pool_threads() * 4 * 8));
}

TEST(TaskGroup, SharedLimitedGroupFromManyWorkers) {
  std::atomic<int> ran{0};
  run_with_watchdog("shared-limited-driver", [&] {
    tether::task_group shared(tether::background(), "shared-limited", 1);
    tether::task_group outer(tether::background(), "producers");
    for (std::size_t i = 0; i < tether::pool_threads() * 3; ++i) {
      outer.spawn([&] {
        for (int j = 0; j < 5; ++j) shared.spawn([&] { ++ran; });
      });
    }
    outer.wait();
    shared.wait();
  });
  EXPECT_EQ(ran.load(), static_cast<int>(tether::pool_threads() * 3 * 5));
}

TEST(TaskGroup, ManySmallTasks) {
  std::atomic<long> sum{0};
  tether::task_group g(tether::background(), "tiny");
  for (long i = 0; i < 20000; ++i) g.spawn([&sum, i] { sum += i; });
  g.wait();
  EXPECT_EQ(sum.load(), 20000L * 19999L / 2);
  EXPECT_TRUE(tether::registry::wait_idle(kSafety));
}

TEST(TaskGroup, ReusableAfterWait) {
  tether::task_group g(tether::background());
  std::atomic<int> n{0};
  g.spawn([&] { ++n; });
  g.wait();
  g.spawn([&] { ++n; });
  g.wait();
  EXPECT_EQ(n.load(), 2);
}

TEST(TaskGroup, RejectsBadArguments) {
  EXPECT_THROW(tether::task_group(tether::background(), ""), std::invalid_argument);
  EXPECT_THROW(tether::task_group(tether::background(), "x", 0), std::invalid_argument);
  EXPECT_GE(tether::pool_threads(), 1U);
}

TEST(TaskGroup, TasksAppearInRegistryAsGroupKind) {
  gate release;
  tether::task_group g(tether::background(), "visible-group");
  g.spawn([&] { release.wait(); });
  const auto snap = tether::registry::snapshot();
  const auto it = std::find_if(snap.begin(), snap.end(), [](const auto& t) { return t.component == "visible-group"; });
  ASSERT_NE(it, snap.end());
  EXPECT_EQ(it->kind, tether::task_kind::group);
  release.open();
  g.wait();
}

}  // namespace

namespace {

TEST(TaskGroup, BlockedWorkersDoNotStarveTheQueue) {
  // Every task blocks until all of them have started: more tasks than pool workers can only all start if the
  // pool adds temporary workers when it sees that no queued task makes progress.
  const int n = static_cast<int>(tether::pool_threads()) * 2 + 1;
  std::atomic<int> started{0};
  run_with_watchdog("starvation-driver", [&] {
    tether::task_group g(tether::background(), "rendezvous");
    for (int i = 0; i < n; ++i) {
      g.spawn([&] {
        ++started;
        tether_test::eventually([&] { return started.load() == n; });
      });
    }
    g.wait_for(tether_test::kSafety);
  });
  EXPECT_EQ(started.load(), n);
}

}  // namespace
