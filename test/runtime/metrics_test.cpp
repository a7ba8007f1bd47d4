// tether::metrics: counts match what ran under concurrency, worker_pool gauges, the runtime switch, the
// snapshot's ordering guarantees, and the Prometheus text (checked with a small parser of the format).
//
// Counters are process-wide and never reset: every test uses component names of its own, suffixed per
// --gtest_repeat iteration (name()), so the racy tests can be repeated in one process.
#include <tether/metrics.h>
#include <tether/safe_go.h>
#include <tether/task_group.h>
#include <tether/worker_pool.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "test_util.h"

namespace {

using namespace std::chrono_literals;
using tether::metrics::component_stats;
using tether_test::gate;

// Counts --gtest_repeat iterations (a listener: global environments are set up once unless
// --gtest_recreate_environments_when_repeating).
int g_iteration = 0;
struct iteration_counter : testing::EmptyTestEventListener {
  void OnTestIterationStart(const testing::UnitTest&, int iteration) override { g_iteration = iteration; }
};
[[maybe_unused]] const bool g_iteration_listener = [] {
  testing::UnitTest::GetInstance()->listeners().Append(new iteration_counter);  // NOLINT(cppcoreguidelines-owning-memory): gtest owns it
  return true;
}();

// A component name of this iteration's own: `base` in the first, "base#N" in later ones.
std::string name(const std::string& base) {
  return g_iteration <= 0 ? base : base + "#" + std::to_string(g_iteration);
}

struct hook_guard {
  hook_guard() {
    tether::set_error_hook([](const tether::task_error&) {});
  }
  ~hook_guard() { tether::set_error_hook({}); }
};

std::optional<component_stats> stats_of(const std::string& component) {
  for (auto& c : tether::metrics::snapshot()) {
    if (c.component == component) return c;
  }
  return std::nullopt;
}

component_stats must_stats(const std::string& component) {
  auto c = stats_of(component);
  EXPECT_TRUE(c.has_value()) << "no metrics for component " << component;
  return c.value_or(component_stats{});
}

// Submits a task that holds one of the pool's workers until `release` opens; true once it runs.
bool occupy_worker(tether::worker_pool& pool, gate& release) {
  auto busy = std::make_shared<gate>();  // shared: the task may still be inside open() when we return
  if (!pool.try_submit([busy, &release] {
        busy->open();
        release.wait();
      })) {
    return false;
  }
  return busy->wait();
}

// --- A small parser of the Prometheus text exposition format (version 0.0.4) ---

struct sample {
  std::string name;
  // Unescaped values. A sample lives in a test-local exposition's vector; the whole-program rule 4
  // counts vector elements as heap instances, so say it here.
  std::map<std::string, std::string> labels;  // NOLINT(tether-unbounded-container): short-lived
  std::uint64_t value = 0;
};

struct exposition {
  std::map<std::string, std::string> type;  // family -> counter | gauge
  std::map<std::string, std::string> help;
  std::vector<sample> samples;
};

// Parses `text`; on malformed input fails the current test with the offending line and returns what it has.
exposition parse_prometheus(const std::string& text) {
  exposition e;
  static const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
  EXPECT_TRUE(text.empty() || text.back() == '\n') << "exposition must end with a newline";
  std::size_t pos = 0;
  std::set<std::string> seen_series;
  std::string current_family;
  while (pos < text.size()) {
    const std::size_t eol = text.find('\n', pos);
    const std::string line = text.substr(pos, eol - pos);
    pos = eol == std::string::npos ? text.size() : eol + 1;
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      const std::string rest = line.substr(7);
      const std::size_t sp = rest.find(' ');
      EXPECT_NE(sp, std::string::npos) << line;
      if (sp == std::string::npos) continue;
      const std::string name = rest.substr(0, sp);
      EXPECT_TRUE(std::regex_match(name, kName)) << line;
      if (line[2] == 'H') {
        EXPECT_FALSE(e.help.count(name)) << "second HELP for " << name;
        e.help[name] = rest.substr(sp + 1);
      } else {
        EXPECT_FALSE(e.type.count(name)) << "second TYPE for " << name;
        const std::string t = rest.substr(sp + 1);
        EXPECT_TRUE(t == "counter" || t == "gauge" || t == "untyped") << line;
        e.type[name] = t;
        current_family = name;
      }
      continue;
    }
    EXPECT_NE(line[0], '#') << "unexpected comment: " << line;
    sample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = line.substr(0, i);
    EXPECT_TRUE(std::regex_match(s.name, kName)) << line;
    EXPECT_EQ(s.name, current_family) << "sample outside its family's block: " << line;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (i < line.size() && line[i] != '}') {
        const std::size_t eq = line.find('=', i);
        if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
          ADD_FAILURE() << "bad label in: " << line;
          return e;
        }
        const std::string label = line.substr(i, eq - i);
        EXPECT_TRUE(std::regex_match(label, std::regex("[a-zA-Z_][a-zA-Z0-9_]*"))) << line;
        std::string value;
        std::size_t k = eq + 2;
        for (; k < line.size() && line[k] != '"'; ++k) {
          if (line[k] == '\\') {
            ++k;
            if (k >= line.size()) break;
            if (line[k] == 'n') {
              value += '\n';
            } else if (line[k] == '\\' || line[k] == '"') {
              value += line[k];
            } else {
              ADD_FAILURE() << "bad escape \\" << line[k] << " in: " << line;
            }
          } else {
            value += line[k];
          }
        }
        if (k >= line.size()) {
          ADD_FAILURE() << "unterminated label value in: " << line;
          return e;
        }
        s.labels[label] = value;
        i = k + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      ++i;  // '}'
    }
    if (i >= line.size() || line[i] != ' ') {
      ADD_FAILURE() << "no value in: " << line;
      continue;
    }
    const std::string value = line.substr(i + 1);
    EXPECT_TRUE(std::regex_match(value, std::regex("[0-9]+"))) << line;
    s.value = std::stoull(value);
    std::string key = s.name;
    for (const auto& [k, v] : s.labels) key += "|" + k + "=" + v;
    EXPECT_TRUE(seen_series.insert(key).second) << "duplicate series: " << line;
    e.samples.push_back(std::move(s));
  }
  for (const auto& [name, t] : e.type) {
    EXPECT_TRUE(e.help.count(name)) << "no HELP for " << name;
    if (t == "counter") EXPECT_TRUE(name.size() > 6 && name.ends_with("_total")) << name;
  }
  return e;
}

std::optional<std::uint64_t> value_of(const exposition& e, const std::string& name, const std::string& component) {
  for (const auto& s : e.samples) {
    if (s.name == name && s.labels.count("component") && s.labels.at("component") == component) return s.value;
  }
  return std::nullopt;
}

// --- counting ---

// Several threads each run task_groups, safe_go tasks and worker_pool submits of shared components; some
// tasks throw, the pool rejects some. Afterwards every count equals what the test saw happen.
TEST(Metrics, CountsMatchWhatRanUnderConcurrency) {
  hook_guard quiet;
  constexpr int kThreads = 4;
  constexpr int kGroupTasks = 2000;  // per thread; every 7th throws
  constexpr int kGoTasks = 20;       // per thread; every 3rd throws
  constexpr int kSubmits = 500;      // per thread, try_submit on a small queue: some are rejected
  std::atomic<std::uint64_t> accepted{0}, rejected{0}, accepted_failing{0};
  {
    tether::worker_pool pool(tether::background(), name("mt.count.pool"), {.workers = 2, .queue_capacity = 8});
    std::vector<tether::task> spawners;
    for (int t = 0; t < kThreads; ++t) {
      spawners.push_back(tether::safe_go(tether::background(), name("mt.count.spawner"), tether::policy::keep_running, [&] {
        tether::task_group g(tether::background(), name("mt.count.group"));
        for (int i = 0; i < kGroupTasks; ++i) {
          g.spawn([i] {
            if (i % 7 == 0) throw std::runtime_error("group task failed");
          });
        }
        EXPECT_THROW(g.wait(), std::runtime_error);
        std::vector<tether::task> gos;
        for (int i = 0; i < kGoTasks; ++i) {
          gos.push_back(tether::safe_go(tether::background(), name("mt.count.go"), tether::policy::keep_running, [i] {
            if (i % 3 == 0) throw std::runtime_error("go task failed");
          }));
        }
        for (auto& h : gos) h.join();
        for (int i = 0; i < kSubmits; ++i) {
          const bool fails = i % 5 == 0;
          if (pool.try_submit([fails] {
                if (fails) throw std::runtime_error("pool task failed");
              })) {
            ++accepted;
            if (fails) ++accepted_failing;
          } else {
            ++rejected;
          }
        }
      }));
    }
    for (auto& s : spawners) s.join();
    const auto r = pool.shutdown(tether_test::kSafety);
    ASSERT_TRUE(r.clean());
    EXPECT_EQ(r.completed + r.failed, accepted.load());
  }
  const auto group = must_stats(name("mt.count.group"));
  const std::uint64_t group_failing = kThreads * ((kGroupTasks + 6) / 7);
  EXPECT_EQ(group.started, std::uint64_t{kThreads} * kGroupTasks);
  EXPECT_EQ(group.finished, group.started);
  EXPECT_EQ(group.failed, group_failing);
  EXPECT_EQ(group.running, 0U);
  EXPECT_FALSE(group.pool.has_value());

  const auto go = must_stats(name("mt.count.go"));
  EXPECT_EQ(go.started, std::uint64_t{kThreads} * kGoTasks);
  EXPECT_EQ(go.finished, go.started);
  EXPECT_EQ(go.failed, std::uint64_t{kThreads} * ((kGoTasks + 2) / 3));

  const auto spawner = must_stats(name("mt.count.spawner"));
  EXPECT_EQ(spawner.started, std::uint64_t{kThreads});
  EXPECT_EQ(spawner.failed, 0U);

  const auto pool = must_stats(name("mt.count.pool"));
  EXPECT_EQ(pool.started, accepted.load());  // the workers themselves are not tasks
  EXPECT_EQ(pool.finished, accepted.load());
  EXPECT_EQ(pool.failed, accepted_failing.load());
  ASSERT_TRUE(pool.pool.has_value());
  EXPECT_EQ(pool.pool->rejected, rejected.load());
  EXPECT_EQ(pool.pool->dropped, 0U);
  EXPECT_EQ(pool.pool->queue_depth, 0U);
  EXPECT_EQ(pool.pool->queue_capacity, 0U);  // the pool is gone
  EXPECT_EQ(pool.pool->pools, 0U);
  EXPECT_GT(accepted.load(), 0U);
}

TEST(Metrics, RunningAndQueueGauges) {
  gate release;
  std::atomic<int> started{0};
  {
    tether::task_group g(tether::background(), name("mt.gauge.group"));
    for (int i = 0; i < 3; ++i) {
      g.spawn([&] {
        ++started;
        release.wait();
      });
    }
    // How many of them run at once depends on the shared pool's threads: wait until the gauge agrees.
    ASSERT_TRUE(tether_test::eventually([&] {
      const auto s = must_stats(name("mt.gauge.group"));
      return s.running >= 1 && s.running == static_cast<std::uint64_t>(started.load());
    }));

    tether::worker_pool pool(tether::background(), name("mt.gauge.pool"), {.workers = 1, .queue_capacity = 4});
    ASSERT_TRUE(occupy_worker(pool, release));
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(pool.try_submit([] {}));
    EXPECT_FALSE(pool.try_submit([] {}));  // full
    auto p = must_stats(name("mt.gauge.pool"));
    ASSERT_TRUE(p.pool.has_value());
    EXPECT_EQ(p.pool->queue_depth, 4U);
    EXPECT_EQ(p.pool->queue_capacity, 4U);
    EXPECT_EQ(p.pool->rejected, 1U);
    EXPECT_EQ(p.pool->pools, 1U);
    EXPECT_EQ(p.running, 1U);

    release.open();
    g.wait();
    pool.shutdown(tether_test::kSafety);
    p = must_stats(name("mt.gauge.pool"));
    EXPECT_EQ(p.pool->queue_depth, 0U);
    EXPECT_EQ(p.started, 5U);
    EXPECT_EQ(p.running, 0U);
    EXPECT_EQ(p.pool->queue_capacity, 4U);  // shut down but not destroyed yet
  }
  const auto p = must_stats(name("mt.gauge.pool"));
  EXPECT_EQ(p.pool->queue_capacity, 0U);
  EXPECT_EQ(p.pool->pools, 0U);
  EXPECT_EQ(p.pool->rejected, 1U);  // counters stay
  EXPECT_EQ(must_stats(name("mt.gauge.group")).running, 0U);
  EXPECT_EQ(must_stats(name("mt.gauge.group")).finished, 3U);
}

TEST(Metrics, CancelledShutdownCountsDroppedTasks) {
  gate release;
  tether::worker_pool pool(tether::background(), name("mt.drop.pool"), {.workers = 1, .queue_capacity = 10});
  ASSERT_TRUE(occupy_worker(pool, release));
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(pool.try_submit([] {}));
  // The running task is let go only once the cancelled shutdown has dropped the queue.
  tether::task releaser = tether::safe_go(tether::background(), name("mt.drop.releaser"), tether::policy::keep_running, [&] {
    tether_test::eventually([&] { return must_stats(name("mt.drop.pool")).pool->dropped == 6; });
    release.open();
  });
  const auto r = pool.shutdown(tether_test::kSafety, tether::shutdown_mode::cancel);
  releaser.join();
  EXPECT_EQ(r.dropped, 6U);
  const auto p = must_stats(name("mt.drop.pool"));
  EXPECT_EQ(p.pool->dropped, 6U);
  EXPECT_EQ(p.pool->queue_depth, 0U);
  EXPECT_EQ(p.started, 1U);
}

TEST(Metrics, WorkersAreNotTasks) {
  {
    tether::worker_pool pool(tether::background(), name("mt.idle.pool"), {.workers = 3, .queue_capacity = 2});
    const auto p = must_stats(name("mt.idle.pool"));
    EXPECT_EQ(p.started, 0U);
    EXPECT_EQ(p.running, 0U);
    EXPECT_EQ(p.pool->pools, 1U);
  }
  EXPECT_EQ(must_stats(name("mt.idle.pool")).started, 0U);
}

TEST(Metrics, SwitchedOffCountsNothingAndNeverSkewsRunning) {
  ASSERT_TRUE(tether::metrics::enabled());
  tether::metrics::set_enabled(false);
  {
    tether::task_group g(tether::background(), name("mt.off.group"));
    for (int i = 0; i < 50; ++i) g.spawn([] {});
    g.wait();
  }
  tether::metrics::set_enabled(true);
  const auto off = stats_of(name("mt.off.group"));
  ASSERT_TRUE(off.has_value());  // interned by the group, but nothing counted
  EXPECT_EQ(off->started, 0U);

  // Switched while a task runs: it was counted at its start, so it is also counted at its end.
  gate running;
  gate release;
  tether::task t = tether::safe_go(tether::background(), name("mt.off.toggle"), tether::policy::keep_running, [&] {
    running.open();
    release.wait();
  });
  ASSERT_TRUE(running.wait());
  tether::metrics::set_enabled(false);
  release.open();
  t.join();
  tether::metrics::set_enabled(true);
  const auto toggled = must_stats(name("mt.off.toggle"));
  EXPECT_EQ(toggled.started, 1U);
  EXPECT_EQ(toggled.finished, 1U);
  EXPECT_EQ(toggled.running, 0U);
}

// More counting threads at once than there are shards (64): the rest share the last shard with atomic adds.
TEST(Metrics, MoreThreadsThanShards) {
  constexpr int kTasks = 100;
  gate release;
  std::atomic<int> in{0};
  std::vector<tether::task> tasks;
  for (int i = 0; i < kTasks; ++i) {
    tasks.push_back(tether::safe_go(tether::background(), name("mt.shards"), tether::policy::keep_running, [&] {
      ++in;
      release.wait();
    }));
  }
  ASSERT_TRUE(tether_test::eventually([&] { return in.load() == kTasks; }));
  EXPECT_EQ(must_stats(name("mt.shards")).running, std::uint64_t{kTasks});
  release.open();
  for (auto& t : tasks) t.join();
  const auto s = must_stats(name("mt.shards"));
  EXPECT_EQ(s.started, std::uint64_t{kTasks});
  EXPECT_EQ(s.finished, std::uint64_t{kTasks});
}

// Snapshots taken while tasks start, finish and fail: failed <= finished <= started in each, and every counter
// is monotonic from one snapshot to the next.
TEST(Metrics, SnapshotOrderingUnderConcurrency) {
  hook_guard quiet;
  std::atomic<bool> stop{false};
  tether::task reader = tether::safe_go(tether::background(), name("mt.order.reader"), tether::policy::keep_running, [&] {
    component_stats last;
    int snapshots = 0;
    while (!stop.load() || snapshots < 10) {
      const auto s = stats_of(name("mt.order.group"));
      ++snapshots;
      if (!s) continue;
      ASSERT_LE(s->failed, s->finished);
      ASSERT_LE(s->finished, s->started);
      ASSERT_EQ(s->running, s->started - s->finished);
      ASSERT_GE(s->started, last.started);
      ASSERT_GE(s->finished, last.finished);
      ASSERT_GE(s->failed, last.failed);
      last = *s;
    }
  });
  for (int round = 0; round < 20; ++round) {
    tether::task_group g(tether::background(), name("mt.order.group"));
    for (int i = 0; i < 500; ++i) {
      g.spawn([i] {
        if (i % 3 == 0) throw std::runtime_error("x");
      });
    }
    EXPECT_THROW(g.wait(), std::runtime_error);
  }
  stop = true;
  reader.join();
  const auto s = must_stats(name("mt.order.group"));
  EXPECT_EQ(s.started, 20U * 500U);
  EXPECT_EQ(s.failed, 20U * 167U);
}

// --- Prometheus text ---

TEST(Metrics, PrometheusTextParsesAndHasEveryFamily) {
  {
    tether::task_group g(tether::background(), name("mt.prom.group"));
    g.spawn([] {});
    g.wait();
    tether::worker_pool pool(tether::background(), name("mt.prom.pool"), {.workers = 1, .queue_capacity = 3});
    pool.submit([] {});
    pool.shutdown(tether_test::kSafety);
    const exposition e = parse_prometheus(tether::metrics::prometheus_text());
    const std::map<std::string, std::string> families = {
        {"tether_tasks_started_total", "counter"}, {"tether_tasks_finished_total", "counter"},
        {"tether_tasks_failed_total", "counter"},  {"tether_tasks_running", "gauge"},
        {"tether_pool_queue_depth", "gauge"},      {"tether_pool_queue_capacity", "gauge"},
        {"tether_pool_rejected_total", "counter"}, {"tether_pool_dropped_total", "counter"},
        {"tether_pools", "gauge"},
    };
    EXPECT_EQ(e.type, families);
    EXPECT_EQ(value_of(e, "tether_tasks_started_total", name("mt.prom.group")), 1U);
    EXPECT_EQ(value_of(e, "tether_tasks_finished_total", name("mt.prom.group")), 1U);
    EXPECT_EQ(value_of(e, "tether_tasks_running", name("mt.prom.group")), 0U);
    EXPECT_EQ(value_of(e, "tether_pool_queue_depth", name("mt.prom.group")), std::nullopt);  // not a pool component
    EXPECT_EQ(value_of(e, "tether_tasks_started_total", name("mt.prom.pool")), 1U);
    EXPECT_EQ(value_of(e, "tether_pool_queue_capacity", name("mt.prom.pool")), 3U);
    EXPECT_EQ(value_of(e, "tether_pool_queue_depth", name("mt.prom.pool")), 0U);
    EXPECT_EQ(value_of(e, "tether_pools", name("mt.prom.pool")), 1U);
  }
}

TEST(Metrics, PrometheusEscapesLabelValues) {
  const std::string base = "we\"ird\\name\nline two";
  const std::string weird = name(base);
  const std::string suffix = weird.substr(base.size());  // "#N" in later --gtest_repeat iterations
  tether::task_group g(tether::background(), weird);
  g.spawn([] {});
  g.wait();
  const std::string text = tether::metrics::prometheus_text();
  EXPECT_NE(text.find(R"(tether_tasks_started_total{component="we\"ird\\name\nline two)" + suffix + "\"} 1"),
            std::string::npos);
  const exposition e = parse_prometheus(text);
  EXPECT_EQ(value_of(e, "tether_tasks_started_total", weird), 1U);  // round-trips through the escaping
}

TEST(Metrics, PrometheusRendersAGivenSnapshotAndReplacesInvalidUtf8) {
  std::vector<component_stats> stats(3);
  stats[0].component = "bad\xff\xfe utf8";
  stats[0].started = 5;
  stats[0].finished = 4;
  stats[0].running = 1;
  stats[1].component = "caf\xc3\xa9 \xed\xa0\x80 \xe2\x82";  // valid é, a surrogate, a truncated sequence
  stats[2].component = "pool";
  stats[2].pool = component_stats::pool_stats{.queue_depth = 7, .queue_capacity = 10, .rejected = 2, .dropped = 0, .pools = 1};
  const std::string text = tether::metrics::prometheus_text(stats);
  const exposition e = parse_prometheus(text);
  EXPECT_EQ(value_of(e, "tether_tasks_started_total", "bad\xef\xbf\xbd\xef\xbf\xbd utf8"), 5U);
  EXPECT_EQ(value_of(e, "tether_tasks_running", "bad\xef\xbf\xbd\xef\xbf\xbd utf8"), 1U);
  EXPECT_TRUE(value_of(e, "tether_tasks_started_total",
                       "caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd")
                  .has_value())
      << text;
  EXPECT_EQ(value_of(e, "tether_pool_queue_depth", "pool"), 7U);
  EXPECT_EQ(value_of(e, "tether_pool_rejected_total", "pool"), 2U);
  // Families without samples still have their HELP and TYPE lines; an empty snapshot is valid too.
  const exposition empty = parse_prometheus(tether::metrics::prometheus_text({}));
  EXPECT_EQ(empty.type.size(), 9U);
  EXPECT_TRUE(empty.samples.empty());
}

// Past kMaxComponents names, new ones are counted under kOverflowComponent. Run in a child process: the
// component table is process-wide and this fills it.
TEST(MetricsDeathTest, ComponentsBeyondTheCapAreCountedAsOther) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        for (std::size_t i = 0; i < tether::metrics::kMaxComponents + 20; ++i) {
          tether::task_group g(tether::background(), "mt.cap." + std::to_string(i));
          g.spawn([] {});
          g.wait();
        }
        const auto snap = tether::metrics::snapshot();
        std::uint64_t other = 0;
        for (const auto& c : snap) {
          if (c.component == tether::metrics::kOverflowComponent) other = c.started;
        }
        // Components named before the cap keep counting under their own name.
        tether::task_group again(tether::background(), "mt.cap.0");
        again.spawn([] {});
        again.wait();
        const bool own = stats_of("mt.cap.0").value_or(component_stats{}).started == 2;
        std::exit(snap.size() <= tether::metrics::kMaxComponents + 1 && other >= 20 && own ? 0 : 1);
      },
      testing::ExitedWithCode(0), "");
}

}  // namespace
