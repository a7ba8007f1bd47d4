// task_group spawn + wait of N tasks (empty, or ~300 ns of arithmetic) vs oneTBB's tbb::task_group, a
// plain mutex + condition-variable pool (mutex_pool.h) and, at N = 10^4 only, std::async (one thread per
// task: at larger N it measures thread creation, and 10^6 live threads is not something anyone does).
//
// Each iteration builds a fresh group, spawns N tasks from the benchmark thread and waits for all of them,
// so the time covers submission, scheduling, execution, completion and the wait. The pools (tether's,
// TBB's, mutex_pool's) are process-wide and already running; the first iterations warm them.
//
// Variants: tether (no limit, registry tracking on: the default), tether_limit (limit kLimit),
// tether_notrack (registry tracking off: what the registry costs), pool / pool_limit (the same kLimit of
// queued + running tasks).
#include "bench_util.h"
#include "mutex_pool.h"

#include <tether/registry.h>
#include <tether/task_group.h>

#include <oneapi/tbb/task_group.h>

#include <future>
#include <string>
#include <vector>

namespace {

constexpr std::size_t kLimit = 64;

enum class work { empty, small };

template <work W>
struct body {
  std::uint64_t i;
  void operator()() const noexcept {
    if constexpr (W == work::small) bench::small_task(i);
  }
};

template <work W>
void tether_group(benchmark::State& state, std::uint64_t n, std::optional<std::size_t> limit, bool track) {
  const tether::context bg = tether::background();
  tether::registry::set_tracking(track);
  for (auto _ : state) {
    tether::task_group g(bg, "bench", limit);
    for (std::uint64_t i = 0; i < n; ++i) g.spawn(body<W>{i});
    g.wait();
  }
  tether::registry::set_tracking(true);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

template <work W>
void tbb_group(benchmark::State& state, std::uint64_t n) {
  for (auto _ : state) {
    tbb::task_group g;
    for (std::uint64_t i = 0; i < n; ++i) g.run(body<W>{i});
    g.wait();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

template <work W>
void pool_group(benchmark::State& state, std::uint64_t n, bench::mutex_pool& pool) {
  for (auto _ : state) {
    bench::wait_group wg;
    for (std::uint64_t i = 0; i < n; ++i) {
      wg.add();
      pool.submit([&wg, i] {
        body<W>{i}();
        wg.done();
      });
    }
    wg.wait();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

template <work W>
void async_group(benchmark::State& state, std::uint64_t n) {
  std::vector<std::future<void>> fs;
  fs.reserve(n);
  for (auto _ : state) {
    for (std::uint64_t i = 0; i < n; ++i) fs.push_back(std::async(std::launch::async, body<W>{i}));  // NOLINT(tether-raw-thread): peer
    for (auto& f : fs) f.get();
    fs.clear();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

bench::mutex_pool& unlimited_pool() {
  static bench::mutex_pool p;
  return p;
}
bench::mutex_pool& limited_pool() {
  static bench::mutex_pool p(std::max(1U, std::thread::hardware_concurrency()), kLimit);
  return p;
}

// Real time is the figure of merit (the work runs on other threads); process CPU time (all threads) is
// reported too: it shows spinning and is less disturbed by other load on a shared machine.
template <work W>
void register_all(const char* w) {
  const auto reg = [w](const std::string& impl, auto fn, std::vector<std::uint64_t> sizes) {
    for (std::uint64_t n : sizes) {
      benchmark::RegisterBenchmark(("task_group/" + impl + "/" + w + "/n:" + std::to_string(n)).c_str(),
                                   [fn, n](benchmark::State& s) { fn(s, n); })
          ->UseRealTime()
          ->MeasureProcessCPUTime()
          ->Unit(benchmark::kMillisecond);
    }
  };
  using S = benchmark::State;
  using N = std::uint64_t;
  const std::vector<N> all{10'000, 100'000, 1'000'000};
  reg("tether", [](S& s, N n) { tether_group<W>(s, n, std::nullopt, true); }, all);
  reg("tether_limit", [](S& s, N n) { tether_group<W>(s, n, kLimit, true); }, all);
  reg("tether_notrack", [](S& s, N n) { tether_group<W>(s, n, std::nullopt, false); }, all);
  reg("tbb", [](S& s, N n) { tbb_group<W>(s, n); }, all);
  reg("pool", [](S& s, N n) { pool_group<W>(s, n, unlimited_pool()); }, all);
  reg("pool_limit", [](S& s, N n) { pool_group<W>(s, n, limited_pool()); }, all);
  reg("std_async", [](S& s, N n) { async_group<W>(s, n); }, {10'000});
}

}  // namespace

int main(int argc, char** argv) {
  register_all<work::empty>("empty");
  register_all<work::small>("small");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
