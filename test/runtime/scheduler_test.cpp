// The pool's scheduling mechanisms (runtime/src/scheduler.h): per-thread slots with stealing, helpers taking their
// own group's tasks from any slot, registry visibility of queued and running tasks while they move between
// slots, job memory recycled across threads, and spawns from many threads at once. Every test asserts states
// and counts, never timing; waits have long safety timeouts.
#include <tether/registry.h>
#include <tether/safe_go.h>
#include <tether/task_group.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <future>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using tether_test::gate;
using tether_test::kSafety;

std::size_t count_component(const std::vector<tether::task_info>& tasks, const std::string& component) {
  return static_cast<std::size_t>(
      std::count_if(tasks.begin(), tasks.end(), [&](const tether::task_info& t) { return t.component == component; }));
}

// Runs `body` on a safe_go thread and fails (instead of hanging) if it does not finish.
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

// A binary tree of nested groups: every node creates a group, spawns its two children and waits. Workers
// spawn into their own slots and steal from each other; every wait helps with its own group only.
int tree(const tether::context& ctx, int depth) {
  if (depth == 0) return 1;
  std::atomic<int> leaves{0};
  tether::task_group g(ctx, "tree");
  for (int i = 0; i < 2; ++i) {
    g.spawn([&](const tether::context& c) { leaves += tree(c, depth - 1); });
  }
  g.wait();
  return leaves.load();
}

TEST(Scheduler, NestedTreeOfGroupsWithStealing) {
  int leaves = 0;
  run_with_watchdog("tree-driver", [&] { leaves = tree(tether::background(), 11); });
  EXPECT_EQ(leaves, 1 << 11);
  EXPECT_TRUE(tether::registry::wait_idle(kSafety));
}

TEST(Scheduler, ManySpawningThreadsIntoSharedAndOwnGroups) {
  // More spawning threads than the pool has shared (non-worker) slots, so threads share slots; each spawns
  // into a shared group and into a group of its own, and waits for its own.
  const int threads = static_cast<int>(tether::pool_threads()) * 2 + 5;
  constexpr int kEach = 2000;
  std::atomic<long> shared_sum{0};
  std::atomic<int> own_ok{0};
  run_with_watchdog("spawners-driver", [&] {
    tether::task_group shared(tether::background(), "shared-target");
    {
      tether::task_group spawners(tether::background(), "spawners");
      std::vector<tether::task> ts;
      for (int t = 0; t < threads; ++t) {
        ts.push_back(tether::safe_go(tether::background(), "spawner", tether::policy::keep_running, [&, t] {
          std::atomic<int> mine{0};
          tether::task_group own(tether::background(), "own");
          for (int i = 0; i < kEach; ++i) {
            shared.spawn([&shared_sum, i] { shared_sum += i; });
            own.spawn([&mine] { ++mine; });
          }
          own.wait();
          if (mine.load() == kEach) ++own_ok;
          (void)t;
        }));
      }
      for (auto& t : ts) t.join();
    }
    shared.wait();
  });
  EXPECT_EQ(own_ok.load(), threads);
  EXPECT_EQ(shared_sum.load(), static_cast<long>(threads) * (static_cast<long>(kEach) * (kEach - 1) / 2));
  EXPECT_TRUE(tether::registry::wait_idle(kSafety));
}

TEST(Scheduler, LimitHoldsWithManySpawners) {
  constexpr std::size_t kLimit = 3;
  std::atomic<int> running{0};
  std::atomic<int> peak{0};
  std::atomic<int> ran{0};
  std::atomic<int> refused{0};
  std::atomic<bool> over{false};
  run_with_watchdog("limit-driver", [&] {
    tether::task_group g(tether::background(), "limited-shared", kLimit);
    const auto body = [&] {
      const int now = ++running;
      int p = peak.load();
      while (now > p && !peak.compare_exchange_weak(p, now)) {
      }
      std::this_thread::yield();
      --running;
      ++ran;
    };
    std::vector<tether::task> ts;
    for (int t = 0; t < 6; ++t) {
      ts.push_back(tether::safe_go(tether::background(), "limited-spawner", tether::policy::keep_running, [&, t] {
        for (int i = 0; i < 500; ++i) {
          if (t % 2 == 0) {
            g.spawn(body);
          } else if (!g.try_spawn(body)) {
            ++refused;
          }
          if (g.pending() > kLimit) over = true;
        }
      }));
    }
    for (auto& t : ts) t.join();
    g.wait();
  });
  EXPECT_FALSE(over.load());
  EXPECT_LE(peak.load(), static_cast<int>(kLimit));
  EXPECT_EQ(ran.load() + refused.load(), 6 * 500);
}

TEST(Scheduler, WaiterRunsItsGroupsTasksQueuedBetweenOthers) {
  // Jobs of two groups are queued interleaved in this thread's slot; waiting for one group takes its jobs
  // out of the middle of the queue (the other group's stay queued and run later). Every pool worker is
  // blocked meanwhile, so nothing else drains the queue quickly.
  gate release;
  std::atomic<int> blocked{0};
  const int workers = static_cast<int>(tether::pool_threads());
  tether::task_group blockers(tether::background(), "blockers");
  for (int i = 0; i < workers; ++i) {
    blockers.spawn([&] {
      ++blocked;
      release.wait();
    });
  }
  ASSERT_TRUE(tether_test::eventually([&] { return blocked.load() == workers; }));
  std::atomic<int> a_ran{0};
  std::atomic<int> b_ran{0};
  {
    tether::task_group a(tether::background(), "interleaved-a");
    tether::task_group b(tether::background(), "interleaved-b");
    for (int i = 0; i < 50; ++i) {
      a.spawn([&] { ++a_ran; });
      b.spawn([&] { ++b_ran; });
    }
    b.wait();
    EXPECT_EQ(b_ran.load(), 50);
    release.open();
    a.wait();
    EXPECT_EQ(a_ran.load(), 50);
  }
  blockers.wait();
}

TEST(Scheduler, QueuedAndRunningTasksStayVisibleWhileMoved) {
  // `pinned` tasks stay live (running or queued) until the gate opens. Meanwhile other threads keep the
  // pool busy with short tasks (workers steal batches and move jobs between slots) and this thread keeps
  // taking snapshots: every snapshot must show every pinned task exactly once.
  const int pinned = static_cast<int>(tether::pool_threads()) + 3;
  gate release;
  std::atomic<bool> stop{false};
  std::atomic<int> bursts{0};
  std::atomic<int> bad{0};
  int snapshots = 0;
  run_with_watchdog("visibility-driver", [&] {
    tether::task_group pins(tether::background(), "pinned-task");
    for (int i = 0; i < pinned; ++i) pins.spawn([&] { release.wait(); });
    std::vector<tether::task> flooders;
    for (int t = 0; t < 2; ++t) {
      flooders.push_back(tether::safe_go(tether::background(), "flooder", tether::policy::keep_running, [&] {
        while (!stop.load()) {
          tether::task_group burst(tether::background(), "burst");
          for (int i = 0; i < 500; ++i) burst.spawn([] {});
          burst.wait();
          ++bursts;
        }
      }));
    }
    // At least 300 snapshots, and until the flooders have run 100 bursts alongside them.
    while (snapshots < 300 || bursts.load() < 100) {
      const auto snap = tether::registry::snapshot();
      if (count_component(snap, "pinned-task") != static_cast<std::size_t>(pinned)) ++bad;
      std::set<std::uint64_t> ids;
      for (const auto& t : snap) {
        if (!ids.insert(t.id).second) ++bad;  // nothing listed twice
      }
      const auto stragglers = pins.wait_for(0ms);
      if (stragglers.size() != static_cast<std::size_t>(pinned)) ++bad;
      ++snapshots;
    }
    stop = true;
    for (auto& f : flooders) f.join();
    release.open();
    pins.wait();
  });
  EXPECT_GE(snapshots, 300);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_TRUE(tether::registry::wait_idle(kSafety));
}

TEST(Scheduler, LiveCountIncludesQueuedGroupTasks) {
  ASSERT_TRUE(tether::registry::wait_idle(kSafety));
  gate release;
  const int n = static_cast<int>(tether::pool_threads()) * 2 + 3;
  {
    tether::task_group g(tether::background(), "counted");
    for (int i = 0; i < n; ++i) g.spawn([&] { release.wait(); });
    EXPECT_EQ(tether::registry::live_count(), static_cast<std::size_t>(n));
    EXPECT_FALSE(tether::registry::wait_idle(5ms));
    release.open();
    g.wait();
  }
  EXPECT_TRUE(tether::registry::wait_idle(kSafety));
  EXPECT_EQ(tether::registry::live_count(), 0U);
}

TEST(Scheduler, BodiesOfEverySizeAndAlignment) {
  struct big {
    std::array<char, 512> pad{};
    std::atomic<int>* n;
    void operator()() const { n->fetch_add(pad[0] + 1); }
  };
  struct alignas(64) aligned {
    std::atomic<int>* n;
    void operator()() const {
      EXPECT_EQ(reinterpret_cast<std::uintptr_t>(this) % 64, 0U);
      n->fetch_add(1);
    }
  };
  std::atomic<int> n{0};
  tether::task_group g(tether::background(), "sizes");
  const std::string text(200, 'x');  // a capture that owns memory
  for (int i = 0; i < 300; ++i) {
    g.spawn(big{{}, &n});
    g.spawn(aligned{&n});
    g.spawn([&n, text] { n += text.size() == 200 ? 1 : 1000; });
    g.spawn([&n, p = std::make_unique<int>(1)] { n += *p; });  // move-only
  }
  g.wait();
  EXPECT_EQ(n.load(), 300 * 4);
}

TEST(Scheduler, ThrowingBodyCopyGivesTheSlotBack) {
  struct throws_on_copy {
    std::atomic<int>* n;
    explicit throws_on_copy(std::atomic<int>* p) : n(p) {}
    throws_on_copy(const throws_on_copy&) { throw std::runtime_error("copy failed"); }
    throws_on_copy(throws_on_copy&& o) noexcept : n(o.n) {}
    void operator()() const { ++*n; }
  };
  std::atomic<int> n{0};
  tether::task_group g(tether::background(), "one-slot", 1);
  const throws_on_copy lvalue(&n);
  EXPECT_THROW(g.spawn(lvalue), std::runtime_error);
  EXPECT_EQ(g.pending(), 0U);
  EXPECT_THROW((void)g.try_spawn(lvalue), std::runtime_error);
  EXPECT_EQ(g.pending(), 0U);
  EXPECT_TRUE(g.try_spawn(throws_on_copy(&n)));  // the slot is free again
  g.wait();
  EXPECT_EQ(n.load(), 1);
  EXPECT_EQ(tether::registry::live_count(), 0U);
}

TEST(Scheduler, ShortLivedSpawningThreads) {
  // Threads that spawn (and free task memory) and exit hand their cached task memory back; under ASan/LSan
  // a lost cache shows up as a leak.
  std::atomic<int> n{0};
  for (int round = 0; round < 4; ++round) {
    std::vector<tether::task> ts;
    for (int t = 0; t < 8; ++t) {
      ts.push_back(tether::safe_go(tether::background(), "short-lived-spawner", tether::policy::keep_running, [&] {
        tether::task_group g(tether::background(), "short");
        for (int i = 0; i < 300; ++i) g.spawn([&] { ++n; });
        g.wait();
      }));
    }
    for (auto& t : ts) t.join();
  }
  EXPECT_EQ(n.load(), 4 * 8 * 300);
}

}  // namespace
