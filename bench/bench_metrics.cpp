// What tether::metrics costs: the same workloads with counting on and off (tether::metrics::set_enabled, a
// run-time switch), interleaved in one run so that both see the same machine load. Off, a task still pays
// one relaxed load and a branch; on, it adds two plain stores to its thread's own cache line of the
// component's counter block (metrics_internal.h).
//
// Cases: task_group spawn + wait of N empty tasks (the hot path: the per-task cost is smallest there, so
// counting weighs most), worker_pool submit + run of N empty tasks, and one safe_go spawn + join.
#include "bench_util.h"
#include "mutex_pool.h"  // bench::wait_group

#include <tether/context.h>
#include <tether/metrics.h>
#include <tether/safe_go.h>
#include <tether/task_group.h>
#include <tether/worker_pool.h>

#include <algorithm>
#include <string>
#include <thread>

namespace {

struct switched {
  explicit switched(bool on) { tether::metrics::set_enabled(on); }
  ~switched() { tether::metrics::set_enabled(true); }
};

void group(benchmark::State& state, bool on, std::uint64_t n) {
  const switched s(on);
  const tether::context bg = tether::background();
  for (auto _ : state) {
    tether::task_group g(bg, "bench");
    for (std::uint64_t i = 0; i < n; ++i) g.spawn([] {});
    g.wait();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

tether::worker_pool& the_worker_pool() {
  static tether::worker_pool p(tether::background(), "bench",
                               tether::worker_pool::options{.workers = std::max(1U, std::thread::hardware_concurrency()),
                                                            .queue_capacity = 1024});
  return p;
}

void pool(benchmark::State& state, bool on, std::uint64_t n) {
  const switched s(on);
  tether::worker_pool& p = the_worker_pool();
  for (auto _ : state) {
    bench::wait_group wg;
    wg.add(n);
    for (std::uint64_t i = 0; i < n; ++i) {
      if (!p.submit([&wg] { wg.done(); })) {
        state.SkipWithError("worker_pool::submit returned false");
        return;
      }
    }
    wg.wait();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

void go(benchmark::State& state, bool on) {
  const switched s(on);
  const tether::context bg = tether::background();
  for (auto _ : state) tether::safe_go(bg, "bench", tether::policy::keep_running, [] {}).join();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

}  // namespace

int main(int argc, char** argv) {
  for (const bool on : {true, false}) {
    const std::string impl = on ? "on" : "off";
    for (std::uint64_t n : {10'000ULL, 100'000ULL}) {
      benchmark::RegisterBenchmark(("metrics/" + impl + "/task_group_empty/n:" + std::to_string(n)).c_str(),
                                   [on, n](benchmark::State& s) { group(s, on, n); })
          ->UseRealTime()
          ->MeasureProcessCPUTime()
          ->Unit(benchmark::kMillisecond);
    }
    benchmark::RegisterBenchmark(("metrics/" + impl + "/worker_pool_empty/n:10000").c_str(),
                                 [on](benchmark::State& s) { pool(s, on, 10'000); })
        ->UseRealTime()
        ->MeasureProcessCPUTime()
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("metrics/" + impl + "/safe_go").c_str(), [on](benchmark::State& s) { go(s, on); })
        ->UseRealTime()
        ->MeasureProcessCPUTime()
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
