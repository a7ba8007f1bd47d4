#include <tether/registry.h>
#include <tether/safe_go.h>
#include <tether/shutdown_manager.h>
#include <tether/sleep.h>
#include <tether/testing.h>

#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using tether::shutdown_manager;
using tether_test::eventually;
using tether_test::gate;
using tether_test::kSafety;
using status = shutdown_manager::step_status;

constexpr auto kBudget = std::chrono::duration_cast<std::chrono::milliseconds>(kSafety);

// Thread-safe list of strings (steps run on their own tasks).
struct journal {
  std::mutex m;
  std::vector<std::string> lines;
  void add(std::string s) {
    std::lock_guard lk(m);
    lines.push_back(std::move(s));
  }
  std::vector<std::string> get() {
    std::lock_guard lk(m);
    return lines;
  }
  bool contains(const std::string& needle) {
    std::lock_guard lk(m);
    for (const auto& l : lines) {
      if (l.find(needle) != std::string::npos) return true;
    }
    return false;
  }
};

TEST(ShutdownManager, RunsStepsInReverseOrderAndLogsThem) {
  tether::testing::leak_check leaks;
  shutdown_manager sm;
  journal order, log;
  sm.set_log_hook([&](std::string_view l) { log.add(std::string(l)); });
  for (const char* name : {"database", "workers", "http"}) {
    sm.add(name, [&order, name](const tether::context& c) {
      EXPECT_TRUE(c.deadline().has_value());
      EXPECT_FALSE(c.cancelled());
      order.add(name);
    });
  }
  EXPECT_EQ(sm.steps(), (std::vector<std::string>{"database", "workers", "http"}));
  auto r = sm.run(kBudget);
  EXPECT_EQ(order.get(), (std::vector<std::string>{"http", "workers", "database"}));
  ASSERT_EQ(r.steps.size(), 3U);
  EXPECT_EQ(r.steps[0].name, "http");
  EXPECT_EQ(r.steps[2].name, "database");
  for (const auto& s : r.steps) {
    EXPECT_EQ(s.status, status::ok) << s.name;
    EXPECT_TRUE(s.error.empty());
  }
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.stragglers.empty());
  EXPECT_EQ(r.signal, 0);
  EXPECT_NE(r.summary().find("3 steps in "), std::string::npos) << r.summary();
  EXPECT_NE(r.summary().find(": ok"), std::string::npos) << r.summary();
  EXPECT_TRUE(log.contains("stopping 'http'"));
  EXPECT_TRUE(log.contains("'database' ok in "));
  EXPECT_TRUE(log.contains(r.summary()));
}

TEST(ShutdownManager, ThrowingAndOverrunningStepsDoNotStopTheRest) {
  shutdown_manager sm;
  sm.set_log_hook([](std::string_view) {});
  gate release;
  std::atomic<bool> db_ran{false};
  std::atomic<bool> db_saw_expired{false};
  sm.add("database", [&](const tether::context& c) {
    db_saw_expired = c.err() == tether::errc::deadline_exceeded;
    db_ran = true;
  });
  sm.add("workers", [&] { ASSERT_TRUE(release.wait()); });  // ignores its context: overruns
  sm.add("http", [] { throw std::runtime_error("listener gone"); });
  // The budget must outlast the failing step's start even on a loaded machine; "workers" overruns it.
  auto r = sm.run(1000ms);
  ASSERT_EQ(r.steps.size(), 3U);
  EXPECT_EQ(r.steps[0].name, "http");
  EXPECT_EQ(r.steps[0].status, status::failed);
  EXPECT_EQ(r.steps[0].error, "listener gone");
  EXPECT_EQ(r.steps[1].name, "workers");
  EXPECT_EQ(r.steps[1].status, status::timed_out);
  EXPECT_FALSE(r.steps[1].error.empty());
  EXPECT_EQ(r.steps[2].name, "database");  // still runs, with the budget spent
  ASSERT_TRUE(eventually([&] { return db_ran.load(); }));
  EXPECT_TRUE(db_saw_expired.load());
  EXPECT_FALSE(r.ok());
  bool listed = false;
  for (const auto& s : r.stragglers) listed |= s.component == "shutdown:workers";
  EXPECT_TRUE(listed);
  const auto sum = r.summary();
  EXPECT_NE(sum.find("1 failed (http: listener gone)"), std::string::npos) << sum;
  EXPECT_NE(sum.find("timed out (workers"), std::string::npos) << sum;
  EXPECT_NE(sum.find("straggler"), std::string::npos) << sum;
  release.open();
  EXPECT_TRUE(tether::registry::wait_idle(kSafety));
}

TEST(ShutdownManager, TheBudgetIsShared) {
  shutdown_manager sm;
  sm.set_log_hook([](std::string_view) {});
  std::mutex m;
  std::vector<tether::context::clock::time_point> deadlines;
  for (const char* name : {"a", "b", "c"}) {
    sm.add(name, [&](const tether::context& c) {
      std::lock_guard lk(m);
      deadlines.push_back(*c.deadline());
    });
  }
  const auto before = std::chrono::steady_clock::now();
  auto r = sm.run(kBudget);
  const auto after = std::chrono::steady_clock::now();
  EXPECT_TRUE(r.ok());
  ASSERT_EQ(deadlines.size(), 3U);
  EXPECT_EQ(deadlines[0], deadlines[1]);
  EXPECT_EQ(deadlines[1], deadlines[2]);
  EXPECT_GE(deadlines[0], before + kBudget);
  EXPECT_LE(deadlines[0], after + kBudget);
}

TEST(ShutdownManager, UnstoppedTasksAreStragglers) {
  shutdown_manager sm;
  sm.set_log_hook([](std::string_view) {});
  gate release;
  sm.add("starter", [&] {
    // The handle is dropped: the runtime owns the task (and joins it when it ends).
    tether::safe_go(tether::background(), "forgotten", tether::policy::keep_running,
                    [&] { ASSERT_TRUE(release.wait()); });
  });
  auto r = sm.run(1000ms);
  // (On a loaded machine the step itself may still be starting at the deadline: then it is a straggler too.)
  bool listed = false;
  for (const auto& s : r.stragglers) listed |= s.component == "forgotten";
  EXPECT_TRUE(listed);
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.summary().find(" straggler"), std::string::npos) << r.summary();
  release.open();
  EXPECT_TRUE(tether::registry::wait_idle(kSafety));
}

TEST(ShutdownManager, BadInputThrows) {
  shutdown_manager sm;
  sm.set_log_hook([](std::string_view) {});
  EXPECT_THROW(sm.add("", [](const tether::context&) {}), std::invalid_argument);
  EXPECT_THROW(sm.add("x", nullptr), std::invalid_argument);
  sm.add("x", [](const tether::context&) {});
  EXPECT_THROW(sm.add("x", [](const tether::context&) {}), std::invalid_argument);
  EXPECT_THROW(sm.run(0ms), std::invalid_argument);
  EXPECT_THROW(sm.run(-5ms), std::invalid_argument);
  EXPECT_THROW(sm.run_on_signal(1s, {}), std::invalid_argument);
  EXPECT_THROW(sm.run_on_signal(1s, {SIGKILL}), std::invalid_argument);
  EXPECT_THROW(sm.run_on_signal(1s, {0}), std::invalid_argument);
  EXPECT_THROW(sm.run_on_signal(1s, {NSIG}), std::invalid_argument);
  EXPECT_THROW(shutdown_manager::block_signals({SIGSTOP}), std::invalid_argument);
  EXPECT_TRUE(sm.run(kBudget).ok());
  EXPECT_THROW(sm.run(kBudget), std::logic_error);
  EXPECT_THROW(sm.add("y", [](const tether::context&) {}), std::logic_error);
  EXPECT_THROW(sm.run_on_signal(1s, {SIGUSR2}), std::logic_error);
}

TEST(ShutdownManager, RunOnSignalWokenByItsStopContext) {
  tether::testing::leak_check leaks;
  shutdown_manager sm;
  journal log;
  sm.set_log_hook([&](std::string_view l) { log.add(std::string(l)); });
  std::atomic<bool> ran{false};
  sm.add("only", [&] { ran = true; });
  auto [stop, cancel] = tether::with_cancel(tether::background());
  auto canceller = tether::safe_go(tether::background(), "canceller", tether::policy::keep_running, [&] {
    ASSERT_TRUE(eventually([] {
      for (const auto& t : tether::registry::snapshot()) {
        if (t.component == "shutdown_manager:signals") return true;
      }
      return false;
    }));
    cancel();
  });
  // SIGUSR2 only: the wake-up is sent to the waiting task alone, so the rest of the test process is unaffected.
  auto r = sm.run_on_signal(kBudget, {SIGUSR2}, stop);
  canceller.join();
  EXPECT_TRUE(ran.load());
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.signal, 0);
  EXPECT_TRUE(log.contains("stop context cancelled"));
}

// A real SIGTERM sent to the process. In a re-executed child ("threadsafe" death tests), so the signal is
// blocked before any thread exists, as the documentation requires.
void sigterm_child(bool send_first) {
  shutdown_manager::block_signals({SIGINT, SIGTERM});
  shutdown_manager sm;
  journal order;
  sm.add("database", [&] { order.add("database"); });
  sm.add("http", [&] { order.add("http"); });
  if (send_first) kill(getpid(), SIGTERM);  // pending until the waiter takes it
  auto sender = tether::safe_go(tether::background(), "sender", tether::policy::keep_running, [&] {
    if (send_first) return;
    eventually([] {
      for (const auto& t : tether::registry::snapshot()) {
        if (t.component == "shutdown_manager:signals") return true;
      }
      return false;
    });
    kill(getpid(), SIGTERM);
  });
  auto r = sm.run_on_signal(kBudget);
  sender.join();
  const bool good = r.ok() && r.signal == SIGTERM &&
                    order.get() == std::vector<std::string>{"http", "database"};
  std::fprintf(stderr, "child report: %s\n", good ? "good" : "bad");
  std::exit(good ? 0 : 1);
}

TEST(ShutdownManagerSignal, RealSigtermRunsTheSteps) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(sigterm_child(false), testing::ExitedWithCode(0), "received SIGTERM(.|\n)*child report: good");
}

TEST(ShutdownManagerSignal, SigtermPendingBeforeTheWaitIsTaken) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(sigterm_child(true), testing::ExitedWithCode(0), "received SIGTERM(.|\n)*child report: good");
}

}  // namespace
