// RUN: %check_tidy %s tether-spawn-in-loop %t
// RUN: %check_tidy -check-suffix=NOTES %s tether-spawn-in-loop %t
//
// MaxConstantFanOut: a loop nest with a constant trip count above it is reported.
// RUN: %check_tidy -check-suffixes=,FANOUT %s tether-spawn-in-loop %t -- \
// RUN:   -config="{CheckOptions: {tether-spawn-in-loop.MaxConstantFanOut: 4}}" -- -std=c++20
//
// Every option is written back, and a bad value is a configuration error naming the option in full.
// RUN: %tether_tidy %s --checks='-*,tether-spawn-in-loop' --dump-config -- -std=c++20 | FileCheck %s --check-prefix=DUMP
// DUMP: tether-spawn-in-loop.MaxConstantFanOut: '64'
// RUN: %tether_tidy %s --checks='-*,tether-spawn-in-loop' --dump-config \
// RUN:   --config="{CheckOptions: {tether-spawn-in-loop.MaxConstantFanOut: 8}}" -- -std=c++20 \
// RUN:   | FileCheck %s --check-prefix=DUMP-SET
// DUMP-SET: tether-spawn-in-loop.MaxConstantFanOut: '8'
// RUN: not %tether_tidy %s --checks='-*,tether-spawn-in-loop' \
// RUN:   --config="{CheckOptions: {tether-spawn-in-loop.MaxConstantFanOut: lots}}" -- -std=c++20 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BAD
// BAD: error: invalid configuration value 'lots' for option 'tether-spawn-in-loop.MaxConstantFanOut': expected an unsigned integer [clang-tidy-config]
//
// --verify-config finds bad values of the three new checks (and fails).
// RUN: not %tether_tidy --verify-config --checks='-*,tether-*' \
// RUN:   --config="{CheckOptions: {tether-spawn-in-loop.MaxConstantFanOut: lots, tether-background-context.RootFunctions: 'main;9x', tether-component-name.ComponentPattern: '[a'}}" 2>&1 \
// RUN:   | FileCheck %s --check-prefix=VERIFY
// VERIFY-DAG: error: invalid configuration value 'lots' for option 'tether-spawn-in-loop.MaxConstantFanOut': expected an unsigned integer [-verify-config]
// VERIFY-DAG: error: invalid qualified name '9x' in option 'tether-background-context.RootFunctions'
// VERIFY-DAG: error: invalid regular expression '[a' for option 'tether-component-name.ComponentPattern'

#include <array>
#include <thread>
#include <vector>
#include "unguarded-loop/tether_mock.h"

using tether::policy;
struct event { int id; };
void deliver(const event &);

// --- The incident: one goroutine per chargeback. -------------------------------------------------

void per_event(const tether::context &ctx, const std::vector<event> &events) {
  for (const event &e : events)
    tether::safe_go(ctx, "webhook", policy::keep_running, [e] { deliver(e); });
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'tether::safe_go' in a loop starts one task per iteration with no bound; use a 'tether::task_group' with a limit, or a worker pool with a bounded queue [tether-spawn-in-loop]
  // CHECK-NOTES-NOTES: :[[@LINE-2]]:5: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-4]]:3: note: repeated by this loop, whose trip count is neither a constant nor bounded by the number of cores
}

void while_loop(const tether::context &ctx, int n) {
  while (n-- > 0) {
    tether::safe_go(ctx, "poller", policy::keep_running, [] {});
    // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'tether::safe_go' in a loop
    // CHECK-NOTES-NOTES: :[[@LINE-2]]:5: warning: 'tether::safe_go' in a loop
    // CHECK-NOTES-NOTES: :[[@LINE-4]]:3: note: repeated by this loop
  }
}

void group_without_limit(const tether::context &ctx, const std::vector<event> &events) {
  tether::task_group group(ctx, "webhooks");
  for (const event &e : events)
    group.spawn([e] { deliver(e); });
  // CHECK-MESSAGES: :[[@LINE-1]]:11: warning: 'spawn' on a 'tether::task_group' without a limit starts one task per iteration with no bound; give the group a limit, or use a worker pool with a bounded queue [tether-spawn-in-loop]
  // CHECK-NOTES-NOTES: :[[@LINE-2]]:11: warning: 'spawn' on a 'tether::task_group' without a limit
  // CHECK-NOTES-NOTES: :[[@LINE-4]]:3: note: repeated by this loop
  // CHECK-NOTES-NOTES: :[[@LINE-6]]:22: note: the group is constructed here without a limit
}

void group_nullopt_limit(const tether::context &ctx, const std::vector<event> &events) {
  tether::task_group group(ctx, "webhooks", std::nullopt);
  for (const event &e : events)
    group.spawn([e] { deliver(e); });
  // CHECK-MESSAGES: :[[@LINE-1]]:11: warning: 'spawn' on a 'tether::task_group' without a limit
  // CHECK-NOTES-NOTES: :[[@LINE-2]]:11: warning: 'spawn' on a 'tether::task_group' without a limit
  // CHECK-NOTES-NOTES: :[[@LINE-4]]:3: note: repeated by this loop
  // CHECK-NOTES-NOTES: :[[@LINE-6]]:22: note: the group is constructed here without a limit
}

class dispatcher {
public:
  explicit dispatcher(const tether::context &ctx) : group_(ctx, "dispatch") {}
  void dispatch(const std::vector<event> &events) {
    for (const event &e : events)
      group_.spawn([e] { deliver(e); });
    // CHECK-MESSAGES: :[[@LINE-1]]:14: warning: 'spawn' on a 'tether::task_group' without a limit
    // CHECK-NOTES-NOTES: :[[@LINE-2]]:14: warning: 'spawn' on a 'tether::task_group' without a limit
    // CHECK-NOTES-NOTES: :[[@LINE-4]]:5: note: repeated by this loop
    // CHECK-NOTES-NOTES: :[[@LINE-7]]:53: note: the group is constructed here without a limit
  }

private:
  tether::task_group group_;
};

// A constant loop inside an unbounded one is still unbounded.
void nested(const tether::context &ctx, const std::vector<event> &events) {
  for (const event &e : events)
    for (int shard = 0; shard < 4; ++shard)
      tether::safe_go(ctx, "shard", policy::keep_running, [e, shard] {});
  // CHECK-MESSAGES: :[[@LINE-1]]:7: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-2]]:7: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-5]]:3: note: repeated by this loop
}

// Constant loops whose product exceeds MaxConstantFanOut.
void big_constant_nest(const tether::context &ctx) {
  for (int i = 0; i < 16; ++i)
    for (int j = 0; j < 16; ++j)
      tether::safe_go(ctx, "grid", policy::keep_running, [i, j] {});
  // CHECK-MESSAGES: :[[@LINE-1]]:7: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-2]]:7: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-5]]:3: note: repeated 256 times by this loop nest, more than MaxConstantFanOut (64)
}

// Macros: reported where the macro is used.
#define FIRE(ctx) tether::safe_go(ctx, "fired", policy::keep_running, [] {})
void macro_in_loop(const tether::context &ctx, const std::vector<event> &events) {
  for (const event &e : events)
    FIRE(ctx);
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-2]]:5: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-4]]:3: note: repeated by this loop
}

// Templates: judged per instantiation, reported once.
template <class Item, class F> void fan_out(const tether::context &ctx, const std::vector<Item> &items, F f) {
  for (const Item &item : items)
    tether::safe_go(ctx, "fan-out", policy::keep_running, [item, f] { f(item); });
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-2]]:5: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-4]]:3: note: repeated by this loop
}
template <class Group> void fan_out_group(Group &g, int n) {
  for (int i = 0; i < n; ++i)
    g.spawn([i] {});
}
void instantiate(const tether::context &ctx) {
  fan_out(ctx, std::vector<int>{1, 2}, [](int) {});
  fan_out(ctx, std::vector<event>{}, [](const event &) {});
  tether::task_group bounded(ctx, "bounded", 4);
  fan_out_group(bounded, 100); // the group is a reference: its construction is not visible there
}

// Every iteration of the loop writes its own FIRE: the macro's own do-while(0) is not a loop.
#define FIRE_ONCE(ctx) do { tether::safe_go(ctx, "once", policy::keep_running, [] {}); } while (0)
void macro_do_while(const tether::context &ctx) { FIRE_ONCE(ctx); }

// --- Not reported. ------------------------------------------------------------------------------

void try_spawn_sheds(tether::task_group &group, const std::vector<event> &events) {
  for (const event &e : events)
    if (!group.try_spawn([e] { deliver(e); }))
      break;
}

void limited_group(const tether::context &ctx, const std::vector<event> &events, std::size_t n) {
  tether::task_group group(ctx, "bounded", 8);
  for (const event &e : events)
    group.spawn([e] { deliver(e); });
  tether::task_group by_config(ctx, "bounded", n);
  for (const event &e : events)
    by_config.spawn([e] { deliver(e); });
  std::optional<std::size_t> maybe = n;
  tether::task_group by_optional(ctx, "bounded", maybe);
  for (const event &e : events)
    by_optional.spawn([e] { deliver(e); });
}

void group_parameter(tether::task_group &group, const std::vector<event> &events) {
  for (const event &e : events)
    group.spawn([e] { deliver(e); }); // construction not visible: not judged
}

void constant_trip_counts(const tether::context &ctx) {
  for (int i = 0; i < 8; ++i)
    tether::safe_go(ctx, "eight", policy::keep_running, [i] {});
  // CHECK-MESSAGES-FANOUT: :[[@LINE-1]]:5: warning: 'tether::safe_go' in a loop
  for (int i = 64; i > 0; i -= 2)
    tether::safe_go(ctx, "down", policy::keep_running, [i] {});
  // CHECK-MESSAGES-FANOUT: :[[@LINE-1]]:5: warning: 'tether::safe_go' in a loop
  std::array<int, 3> shards{1, 2, 3};
  for (int s : shards)
    tether::safe_go(ctx, "shard", policy::keep_running, [s] {});
  int ports[2] = {80, 443};
  for (int p : ports)
    tether::safe_go(ctx, "listener", policy::keep_running, [p] {});
  for (const char *name : {"a", "b", "c"})
    tether::safe_go(ctx, "named", policy::keep_running, [name] {});
}

void machine_bounded(const tether::context &ctx) {
  for (unsigned i = 0; i < std::thread::hardware_concurrency(); ++i)
    tether::safe_go(ctx, "worker", policy::keep_running, [] {});
  const std::size_t n = tether::pool_threads();
  for (std::size_t i = 0; i != n; ++i)
    tether::safe_go(ctx, "worker", policy::keep_running, [] {});
  for (unsigned i = 0; i < std::max(1u, std::thread::hardware_concurrency() / 2); ++i)
    tether::safe_go(ctx, "worker", policy::keep_running, [] {});
}

void runs_once(const tether::context &ctx, const std::vector<event> &events) {
  for (const event &e : events) {
    if (e.id == 42) {
      tether::safe_go(ctx, "special", policy::keep_running, [e] { deliver(e); });
      break;
    }
  }
  for (tether::task t = tether::safe_go(ctx, "init", policy::keep_running, [] {});;) // init runs once
    break;
}

void not_in_the_loop(const tether::context &ctx, const std::vector<event> &events) {
  for (const event &e : events) {
    auto later = [&ctx] { tether::safe_go(ctx, "later", policy::keep_running, [] {}); };
    (void)sizeof(tether::safe_go(ctx, "probe", policy::keep_running, [] {}));
    using T = decltype(tether::safe_go(ctx, "probe", policy::keep_running, [] {}));
  }
  // A loop inside the task is not a loop around the spawn.
  tether::safe_go(ctx, "consumer", policy::keep_running, [&events] {
    for (const event &e : events)
      deliver(e);
  });
}

// Look-alikes: not the tether runtime.
namespace mine {
struct context {};
template <class F> void safe_go(const context &, const char *, F) {}
struct task_group {
  template <class F> void spawn(F) {}
};
} // namespace mine
void look_alikes(const std::vector<event> &events) {
  mine::task_group g;
  for (const event &e : events) {
    mine::safe_go(mine::context{}, "x", [] {});
    g.spawn([] {});
  }
}

// --- Odd shapes: no crash, and a sensible verdict. ----------------------------------------------

#include <climits>
#include <memory>
void odd_shapes(const tether::context &ctx, std::unique_ptr<tether::task_group> &owned, tether::task_group *raw) {
  for (int i = 0; i < 1000; ++i) {
    owned->spawn([] {}); // through a pointer: construction not visible
    (*raw).spawn([] {});
  }
  for (long long i = LLONG_MIN; i < LLONG_MAX; ++i)
    tether::safe_go(ctx, "huge", policy::keep_running, [] {});
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-2]]:5: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-4]]:3: note: repeated by this loop
  for (unsigned i = 10; i != 0; i -= 3) // never reaches 0 exactly: not a counted loop
    tether::safe_go(ctx, "skip", policy::keep_running, [] {});
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-2]]:5: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-4]]:3: note: repeated by this loop
  for (int i = 0; i < 4; i += 0)
    tether::safe_go(ctx, "stuck", policy::keep_running, [] {});
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-2]]:5: warning: 'tether::safe_go' in a loop
  // CHECK-NOTES-NOTES: :[[@LINE-4]]:3: note: repeated by this loop
  for (int i = 10; i < 4; ++i) // never runs
    tether::safe_go(ctx, "never", policy::keep_running, [] {});
  tether::task_group group(ctx, "g");
  for (;;) {
    group.spawn([] {});
    // CHECK-MESSAGES: :[[@LINE-1]]:11: warning: 'spawn' on a 'tether::task_group' without a limit
    // CHECK-NOTES-NOTES: :[[@LINE-2]]:11: warning: 'spawn' on a 'tether::task_group' without a limit
    // CHECK-NOTES-NOTES: :[[@LINE-4]]:3: note: repeated by this loop
    // CHECK-NOTES-NOTES: :[[@LINE-6]]:22: note: the group is constructed here without a limit
    if (group.try_spawn([] {}))
      continue;
  }
}

// googletest's assertion macros wrap their statement in `do { ... } while (AlwaysFalse())`: it runs once.
namespace testing::internal {
bool AlwaysFalse();
}
#define EXPECT_SOMETHING(statement) do { statement; } while (::testing::internal::AlwaysFalse())
void gtest_idiom(const tether::context &ctx) {
  EXPECT_SOMETHING(tether::safe_go(ctx, "scoped", policy::keep_running, [] {}));
}
