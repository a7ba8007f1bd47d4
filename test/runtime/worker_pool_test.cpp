#include <tether/registry.h>
#include <tether/safe_go.h>
#include <tether/sleep.h>
#include <tether/testing.h>
#include <tether/worker_pool.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using tether_test::eventually;
using tether_test::gate;
using tether_test::kSafety;
using pool_t = tether::worker_pool;

// Occupies the pool's only worker until `g` opens; returns once the task is running.
void occupy(pool_t& p, gate& g) {
  ASSERT_TRUE(p.try_submit([&g] { ASSERT_TRUE(g.wait()); }));
  ASSERT_TRUE(eventually([&] { return p.stats().running == 1; }));
}

// A submit() on another task, blocked on the full queue: `result` holds its return value once `returned`.
struct blocked_submitter {
  std::atomic<bool> returned{false};
  std::atomic<bool> result{false};
  tether::task t;
  explicit blocked_submitter(pool_t& p) {
    t = tether::safe_go(tether::background(), "submitter", tether::policy::keep_running, [this, &p] {
      result = p.submit([] {});
      returned = true;
    });
    std::this_thread::sleep_for(10ms);
    EXPECT_FALSE(returned.load());  // the queue is full: still waiting
  }
};

// Restores the error hook when the test ends.
struct hook_guard {
  ~hook_guard() { tether::set_error_hook({}); }
};

TEST(WorkerPool, InvalidOptionsThrow) {
  EXPECT_THROW(pool_t(tether::background(), "p", {.workers = 0, .queue_capacity = 1}), std::invalid_argument);
  EXPECT_THROW(pool_t(tether::background(), "p", {.workers = 1, .queue_capacity = 0}), std::invalid_argument);
  EXPECT_THROW(pool_t(tether::background(), "p", {}), std::invalid_argument);
  EXPECT_THROW(pool_t(tether::background(), "", {.workers = 1, .queue_capacity = 1}), std::invalid_argument);
  try {
    pool_t p(tether::background(), "hooks", {.workers = 0, .queue_capacity = 4});
    FAIL() << "should throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("options.workers"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("hooks"), std::string::npos) << e.what();
  }
  pool_t p(tether::background(), "p", {.workers = 1, .queue_capacity = 1});
  std::function<void()> empty;
  EXPECT_THROW(p.try_submit(empty), std::invalid_argument);
  EXPECT_THROW(p.submit(empty), std::invalid_argument);
  EXPECT_EQ(p.stats().rejected, 0U);
}

TEST(WorkerPool, RunsEveryTaskWithOrWithoutContext) {
  tether::testing::leak_check leaks;
  std::atomic<int> sum{0};
  {
    pool_t p(tether::background(), "adder", {.workers = 3, .queue_capacity = 8});
    EXPECT_EQ(p.component(), "adder");
    for (int i = 1; i <= 100; ++i) {
      if (i % 2 == 0) {
        ASSERT_TRUE(p.submit([&sum, i] { sum += i; }));
      } else {
        ASSERT_TRUE(p.submit([&sum, i, &p](const tether::context& c) {
          EXPECT_EQ(c, p.ctx());
          sum += i;
        }));
      }
    }
    auto r = p.shutdown(kSafety);
    EXPECT_TRUE(r.clean());
    EXPECT_EQ(r.completed, 100U);
    EXPECT_EQ(r.dropped, 0U);
    auto s = p.stats();
    EXPECT_EQ(s.completed, 100U);
    EXPECT_EQ(s.queued + s.running + s.failed + s.rejected, 0U);
    EXPECT_EQ(s.capacity, 8U);
    EXPECT_EQ(s.workers, 3U);
  }
  EXPECT_EQ(sum.load(), 5050);
}

TEST(WorkerPool, WorkersAreRegisteredTasksUnderTheComponent) {
  tether::testing::leak_check leaks;
  pool_t p(tether::background(), "wp-registry", {.workers = 3, .queue_capacity = 1});
  int n = 0;
  for (const auto& t : tether::registry::snapshot()) {
    if (t.component == "wp-registry") {
      ++n;
      EXPECT_EQ(t.kind, tether::task_kind::thread);
    }
  }
  EXPECT_EQ(n, 3);
  EXPECT_TRUE(p.shutdown(kSafety).clean());
  for (const auto& t : tether::registry::snapshot()) EXPECT_NE(t.component, "wp-registry");
}

TEST(WorkerPool, FullQueueRejectsCountsAndLeavesTheCallableUntouched) {
  pool_t p(tether::background(), "full", {.workers = 1, .queue_capacity = 2});
  gate g;
  occupy(p, g);
  std::atomic<int> ran{0};
  EXPECT_TRUE(p.try_submit([&] { ++ran; }));
  EXPECT_TRUE(p.try_submit([&] { ++ran; }));
  auto payload = std::make_unique<int>(7);
  auto task = [&ran, q = std::move(payload)] { ran += *q; };
  EXPECT_FALSE(p.try_submit(std::move(task)));  // full: not moved from
  EXPECT_FALSE(p.try_submit([&] { ++ran; }));
  auto s = p.stats();
  EXPECT_EQ(s.queued, 2U);
  EXPECT_EQ(s.running, 1U);
  EXPECT_EQ(s.rejected, 2U);
  g.open();
  ASSERT_TRUE(eventually([&] { return p.stats().queued == 0; }));
  EXPECT_TRUE(p.try_submit(std::move(task)));  // the rejected callable still holds its payload
  auto r = p.shutdown(kSafety);
  EXPECT_EQ(ran.load(), 9);
  EXPECT_EQ(r.completed, 4U);
  EXPECT_EQ(p.stats().rejected, 2U);
}

// A callable too big for task_fn's inline storage takes the other submit path (reserve, build outside the
// lock, push): the same rejection and counting rules hold there.
TEST(WorkerPool, ABigCallableIsRejectedUntouchedAndRunsLater) {
  pool_t p(tether::background(), "full-big", {.workers = 1, .queue_capacity = 1});
  gate g;
  occupy(p, g);
  std::atomic<long> sum{0};
  std::array<long, 8> pad{1, 2, 3, 4, 5, 6, 7, 8};
  static_assert(sizeof(pad) > tether::detail::task_fn::kInline);
  EXPECT_TRUE(p.try_submit([&sum, pad] { sum += pad[0]; }));
  auto payload = std::make_unique<int>(100);
  auto big = [&sum, pad, q = std::move(payload)] { sum += *q + pad[7]; };
  EXPECT_FALSE(p.try_submit(std::move(big)));  // full: not moved from
  EXPECT_EQ(p.stats().rejected, 1U);
  g.open();
  ASSERT_TRUE(eventually([&] { return p.stats().queued == 0; }));
  EXPECT_TRUE(p.submit(std::move(big)));  // still holds its payload
  auto r = p.shutdown(kSafety);
  EXPECT_EQ(sum.load(), 1 + 100 + 8);
  EXPECT_EQ(r.completed, 3U);
}

TEST(WorkerPool, SubmitWaitsForRoom) {
  tether::testing::leak_check leaks;
  pool_t p(tether::background(), "room", {.workers = 1, .queue_capacity = 1});
  gate g;
  occupy(p, g);
  ASSERT_TRUE(p.try_submit([] {}));
  blocked_submitter sub(p);
  g.open();  // the worker takes the queued task: room
  sub.t.join();
  EXPECT_TRUE(sub.result.load());
  EXPECT_EQ(p.shutdown(kSafety).completed, 3U);
  EXPECT_EQ(p.stats().rejected, 0U);
}

// A pop signals only a blocked submitter no earlier signal is already waking (waiter_count in
// worker_pool.cpp). Several submitters blocked at once must all be woken as room appears: a lost wake-up
// leaves one blocked (and the test fails on the safety timeout instead of hanging).
TEST(WorkerPool, EveryBlockedSubmitterIsWokenAsRoomAppears) {
  tether::testing::leak_check leaks;
  constexpr int kSubmitters = 4;
  pool_t p(tether::background(), "rooms", {.workers = 1, .queue_capacity = kSubmitters});
  gate g1;
  gate g2;
  occupy(p, g1);
  // Queued: empty tasks, then one that holds the worker again. Once g1 opens the worker pops all of them
  // (kSubmitters pops, room for everyone) and then stops popping: only those pops can wake the submitters.
  for (int i = 0; i + 1 < kSubmitters; ++i) ASSERT_TRUE(p.try_submit([] {}));
  ASSERT_TRUE(p.try_submit([&g2] { ASSERT_TRUE(g2.wait()); }));
  std::atomic<int> returned{0};
  std::atomic<int> accepted{0};
  std::vector<tether::task> subs;
  for (int i = 0; i < kSubmitters; ++i) {
    subs.push_back(tether::safe_go(tether::background(), "submitter", tether::policy::keep_running, [&] {
      if (p.submit([] {})) ++accepted;
      ++returned;
    }));
  }
  std::this_thread::sleep_for(10ms);
  EXPECT_EQ(returned.load(), 0);  // the queue is full: all waiting
  g1.open();
  EXPECT_TRUE(eventually([&] { return returned.load() == kSubmitters; }));  // with the worker held by g2
  EXPECT_EQ(accepted.load(), kSubmitters);
  g2.open();
  for (auto& t : subs) t.join();
  EXPECT_EQ(p.shutdown(kSafety).completed, 1U + 2 * kSubmitters);
}

// A push signals only an idle worker no earlier signal is already waking: a burst of tasks must still wake
// every idle worker. Each task waits until all of them run at once, which only happens if every worker woke.
TEST(WorkerPool, ABurstWakesEveryIdleWorker) {
  tether::testing::leak_check leaks;
  constexpr int kWorkers = 4;
  pool_t p(tether::background(), "burst", {.workers = kWorkers, .queue_capacity = kWorkers});
  for (int round = 0; round < 20; ++round) {
    ASSERT_TRUE(eventually([&] { return p.stats().running == 0; }));
    std::this_thread::sleep_for(1ms);  // let the workers go idle
    std::atomic<int> arrived{0};
    std::atomic<int> met{0};
    for (int i = 0; i < kWorkers; ++i) {
      ASSERT_TRUE(p.try_submit([&] {
        ++arrived;
        if (eventually([&] { return arrived.load() == kWorkers; })) ++met;
      }));
    }
    ASSERT_TRUE(eventually([&] { return p.stats().completed == static_cast<std::uint64_t>((round + 1) * kWorkers); }));
    ASSERT_EQ(met.load(), kWorkers) << "round " << round;
  }
  EXPECT_TRUE(p.shutdown(kSafety).clean());
}

TEST(WorkerPool, SubmitIsWokenByShutdown) {
  for (auto mode : {tether::shutdown_mode::drain, tether::shutdown_mode::cancel}) {
    SCOPED_TRACE(tether::to_string(mode));
    pool_t p(tether::background(), "woken", {.workers = 1, .queue_capacity = 1});
    gate g;
    ASSERT_TRUE(p.try_submit([&g](const tether::context& c) {
      // Held until the gate opens or the pool is cancelled.
      while (!g.is_open() && !c.cancelled()) std::this_thread::sleep_for(1ms);
    }));
    ASSERT_TRUE(eventually([&] { return p.stats().running == 1; }));
    ASSERT_TRUE(p.try_submit([] {}));
    blocked_submitter sub(p);
    auto closer = tether::safe_go(tether::background(), "closer", tether::policy::keep_running,
                                  [&] { p.shutdown(kSafety, mode); });
    sub.t.join();  // woken by the shutdown, with the worker still busy in drain mode
    EXPECT_TRUE(sub.returned.load());
    EXPECT_FALSE(sub.result.load());
    g.open();
    closer.join();
    EXPECT_EQ(p.stats().rejected, 1U);
    EXPECT_FALSE(p.try_submit([] {}));
    EXPECT_FALSE(p.submit([] {}));
    EXPECT_EQ(p.stats().rejected, 3U);
  }
}

TEST(WorkerPool, ShutdownDrainRunsTheQueue) {
  pool_t p(tether::background(), "drain", {.workers = 1, .queue_capacity = 10});
  gate g;
  occupy(p, g);
  std::atomic<int> ran{0};
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(p.try_submit([&] { ++ran; }));
  auto opener = tether::safe_go(tether::background(), "opener", tether::policy::keep_running, [&] {
    std::this_thread::sleep_for(5ms);
    g.open();
  });
  auto r = p.shutdown(kSafety, tether::shutdown_mode::drain);
  opener.join();
  EXPECT_TRUE(r.clean());
  EXPECT_EQ(ran.load(), 5);
  EXPECT_EQ(r.completed, 6U);
  EXPECT_EQ(r.dropped, 0U);
  EXPECT_FALSE(p.ctx().cancelled());
}

TEST(WorkerPool, ShutdownCancelDropsTheQueueAndCancelsTheContext) {
  tether::testing::leak_check leaks;
  pool_t p(tether::background(), "cancel", {.workers = 1, .queue_capacity = 10});
  std::atomic<bool> saw_cancel{false};
  ASSERT_TRUE(p.try_submit([&](const tether::context& c) {
    saw_cancel = !tether::sleep_for(c, kSafety);
  }));
  ASSERT_TRUE(eventually([&] { return p.stats().running == 1; }));
  std::atomic<int> ran{0};
  auto counted = std::make_shared<int>(0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(p.try_submit([&ran, counted] { ++ran; }));
  EXPECT_EQ(counted.use_count(), 6);
  auto r = p.shutdown(kSafety, tether::shutdown_mode::cancel);
  EXPECT_TRUE(r.clean());
  EXPECT_TRUE(saw_cancel.load());
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(r.completed, 1U);
  EXPECT_EQ(r.dropped, 5U);
  EXPECT_EQ(p.stats().dropped, 5U);
  EXPECT_EQ(counted.use_count(), 1);  // the dropped bodies were destroyed
  EXPECT_EQ(p.ctx().err(), tether::errc::cancelled);
}

TEST(WorkerPool, StragglersAreReportedThenJoinedByALaterShutdown) {
  tether::testing::leak_check leaks;
  pool_t p(tether::background(), "slow-hooks", {.workers = 2, .queue_capacity = 10});
  gate g;
  std::atomic<int> started{0};
  const int line = __LINE__ + 1;
  ASSERT_TRUE(p.try_submit([&] { ++started; ASSERT_TRUE(g.wait()); }));  // ignores its context
  ASSERT_TRUE(p.try_submit([&] { ++started; ASSERT_TRUE(g.wait()); }));
  ASSERT_TRUE(eventually([&] { return started.load() == 2; }));
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(p.try_submit([] {}));
  auto r = p.shutdown(10ms, tether::shutdown_mode::drain);
  ASSERT_EQ(r.stragglers.size(), 2U);
  for (const auto& s : r.stragglers) {
    EXPECT_EQ(s.component, "slow-hooks");
    EXPECT_NE(s.id, 0U);
    EXPECT_GE(s.where.line(), static_cast<unsigned>(line));
    EXPECT_LE(s.where.line(), static_cast<unsigned>(line + 1));
    EXPECT_GE(s.age(), 0ms);
  }
  EXPECT_EQ(r.dropped, 3U);  // the drain timed out: the rest of the queue is dropped
  EXPECT_TRUE(p.ctx().cancelled());
  EXPECT_FALSE(r.clean());
  g.open();
  auto r2 = p.shutdown(kSafety);
  EXPECT_TRUE(r2.clean());
  EXPECT_EQ(r2.completed, 2U);
  EXPECT_EQ(r2.dropped, 3U);
}

TEST(WorkerPool, ExceptionsGoToTheErrorHookAndTheWorkerGoesOn) {
  hook_guard restore;
  std::mutex m;
  std::vector<tether::task_error> seen;
  tether::set_error_hook([&](const tether::task_error& e) {
    std::lock_guard lk(m);
    seen.push_back(e);
  });
  const auto failed_before = tether::failed_task_count();
  pool_t p(tether::background(), "webhooks", {.workers = 1, .queue_capacity = 10});
  std::atomic<int> ran{0};
  const unsigned line = __LINE__ + 1;
  ASSERT_TRUE(p.submit([] { throw std::runtime_error("endpoint down"); }));
  ASSERT_TRUE(p.submit([] { throw 42; }));
  ASSERT_TRUE(p.submit([&] { ++ran; }));
  auto r = p.shutdown(kSafety);
  EXPECT_EQ(ran.load(), 1);
  EXPECT_EQ(r.failed, 2U);
  EXPECT_EQ(r.completed, 1U);
  EXPECT_EQ(tether::failed_task_count(), failed_before);  // pool tasks are counted by the pool
  std::lock_guard lk(m);
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].component, "webhooks");
  EXPECT_EQ(seen[0].message, "endpoint down");
  EXPECT_EQ(seen[0].where.line(), line);
  EXPECT_NE(seen[0].task_id, 0U);
  EXPECT_TRUE(seen[0].exception);
  EXPECT_EQ(seen[0].policy, tether::policy::keep_running);
  EXPECT_NE(seen[1].message.find("unknown exception"), std::string::npos);
}

TEST(WorkerPool, ParentCancellationStopsThePool) {
  tether::testing::leak_check leaks;
  auto [parent, cancel] = tether::with_cancel(tether::background());
  pool_t p(parent, "child", {.workers = 1, .queue_capacity = 10});
  std::atomic<bool> saw_cancel{false};
  ASSERT_TRUE(p.try_submit([&](const tether::context& c) { saw_cancel = !tether::sleep_for(c, kSafety); }));
  ASSERT_TRUE(eventually([&] { return p.stats().running == 1; }));
  ASSERT_TRUE(p.try_submit([] {}));
  cancel();
  EXPECT_FALSE(p.try_submit([] {}));
  EXPECT_FALSE(p.submit([] {}));
  ASSERT_TRUE(eventually([&] { return p.stats().dropped == 1 && p.stats().running == 0; }));
  EXPECT_TRUE(saw_cancel.load());
  auto r = p.shutdown(kSafety);
  EXPECT_TRUE(r.clean());
  EXPECT_EQ(p.stats().rejected, 2U);
}

TEST(WorkerPool, SelfDeadlockAndSelfShutdownThrow) {
  pool_t p(tether::background(), "self", {.workers = 1, .queue_capacity = 1});
  std::atomic<int> logic_errors{0};
  gate finished;
  ASSERT_TRUE(p.submit([&] {
    EXPECT_TRUE(p.submit([] {}));  // room for one
    try {
      p.submit([] {});  // full, and this is the only worker
    } catch (const std::logic_error&) {
      ++logic_errors;
    }
    try {
      p.shutdown(1s);
    } catch (const std::logic_error&) {
      ++logic_errors;
    }
    EXPECT_FALSE(p.try_submit([] {}));
    finished.open();
  }));
  ASSERT_TRUE(finished.wait());
  auto r = p.shutdown(kSafety);
  EXPECT_EQ(logic_errors.load(), 2);
  EXPECT_EQ(r.completed, 2U);
}

TEST(WorkerPool, ACallableWhoseCopyThrowsQueuesNothingAndGivesItsSlotBack) {
  struct throws_on_copy {
    throws_on_copy() = default;
    throws_on_copy(const throws_on_copy&) { throw std::runtime_error("copy failed"); }
    void operator()() const {}
  };
  pool_t p(tether::background(), "copy", {.workers = 1, .queue_capacity = 1});
  gate g;
  occupy(p, g);
  const throws_on_copy body;
  EXPECT_THROW(p.try_submit(body), std::runtime_error);
  EXPECT_THROW(p.submit(body), std::runtime_error);
  EXPECT_EQ(p.stats().queued, 0U);
  EXPECT_TRUE(p.try_submit([] {}));  // the slot was given back
  EXPECT_FALSE(p.try_submit([] {}));
  g.open();
  auto r = p.shutdown(kSafety);
  EXPECT_EQ(r.completed, 2U);
  EXPECT_EQ(p.stats().rejected, 1U);
}

// shutdown()'s timed wait (adaptive_cv::wait_until, CLOCK_MONOTONIC) with the largest timeouts: a deadline
// at time_point::max() and one 100 years out both wait for the workers and return clean, without
// spinning or overflowing.
TEST(WorkerPool, ShutdownWithAnUnboundedTimeoutWaitsForTheWorkers) {
  for (auto timeout : {std::chrono::steady_clock::duration::max(),
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::hours(24 * 365 * 100))}) {
    pool_t p(tether::background(), "forever", {.workers = 2, .queue_capacity = 4});
    gate g;
    std::atomic<int> ran{0};
    ASSERT_TRUE(p.try_submit([&] {
      ASSERT_TRUE(g.wait());
      ++ran;
    }));
    ASSERT_TRUE(p.try_submit([&] { ++ran; }));
    auto opener = tether::safe_go(tether::background(), "opener", tether::policy::keep_running, [&] {
      std::this_thread::sleep_for(20ms);  // shutdown is waiting by then (if not, it waits less: still correct)
      g.open();
    });
    const auto r = p.shutdown(timeout);
    opener.join();
    EXPECT_TRUE(r.clean());
    EXPECT_EQ(r.completed, 2U);
    EXPECT_EQ(ran.load(), 2);
  }
}

TEST(WorkerPool, DestructorDrains) {
  tether::testing::leak_check leaks;
  std::atomic<int> ran{0};
  {
    pool_t p(tether::background(), "dtor", {.workers = 2, .queue_capacity = 100});
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(p.try_submit([&] { ++ran; }));
  }
  EXPECT_EQ(ran.load(), 50);
}

TEST(WorkerPool, ConcurrentProducersCountsAddUp) {
  tether::testing::leak_check leaks;
  pool_t p(tether::background(), "stress", {.workers = 3, .queue_capacity = 8});
  std::atomic<long> sum{0};
  std::atomic<long> accepted{0};
  std::atomic<long> rejected{0};
  constexpr int kProducers = 4;
  constexpr int kEach = 500;
  std::vector<tether::task> producers;
  for (int t = 0; t < kProducers; ++t) {
    producers.push_back(tether::safe_go(tether::background(), "producer", tether::policy::keep_running, [&, t] {
      for (int i = 0; i < kEach; ++i) {
        const bool blocking = (i + t) % 2 == 0;
        auto fn = [&sum, i](const tether::context&) { sum += i; };
        const bool ok = blocking ? p.submit(fn) : p.try_submit(fn);
        ++(ok ? accepted : rejected);
        if (!ok) EXPECT_FALSE(blocking);
      }
    }));
  }
  for (auto& t : producers) t.join();
  auto r = p.shutdown(kSafety);
  EXPECT_TRUE(r.clean());
  auto s = p.stats();
  EXPECT_EQ(s.completed, static_cast<std::uint64_t>(accepted.load()));
  EXPECT_EQ(s.rejected, static_cast<std::uint64_t>(rejected.load()));
  EXPECT_EQ(accepted.load() + rejected.load(), kProducers * kEach);
  EXPECT_EQ(s.queued + s.running + s.dropped + s.failed, 0U);
}

}  // namespace
