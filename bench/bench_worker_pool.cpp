// worker_pool: submit N tasks (empty, or ~300 ns of arithmetic) to a running pool and wait until they have
// all run, vs the mutex + condition-variable pool with a bounded queue (mutex_pool.h, the pool people write
// today) and oneTBB's tbb::task_arena::enqueue (fire-and-forget tasks on an arena of the same size).
//
// Every pool has hardware_concurrency() workers and lives across iterations (started once, like a service's
// pool). The submitting thread is the benchmark thread; completion is counted by the tasks themselves
// (bench::wait_group: one atomic decrement per task, the mutex only for the last one), the same for every
// implementation, so the time covers submission, queueing, wake-ups, execution and the wait.
//
// Bounds: worker_pool's queue holds kCapacity tasks (tasks being run are not counted), so the mutex pool gets
// kCapacity + workers in flight (queued + running), the same bound; submit() blocks for room in both. oneTBB's
// arena has no bound (enqueue never blocks): an upper bound on what a queue costs without back-pressure.
//
// Impls: tether (submit(), blocking for room), pool_limit (mutex_pool with the bound), tbb_arena.
#include "bench_util.h"
#include "mutex_pool.h"

#include <tether/context.h>
#include <tether/worker_pool.h>

#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr std::size_t kCapacity = 1024;

std::size_t workers() { return std::max(1U, std::thread::hardware_concurrency()); }

enum class work { empty, small };

template <work W>
struct body {
  std::uint64_t i;
  bench::wait_group* wg;
  void operator()() const noexcept {
    if constexpr (W == work::small) bench::small_task(i);
    wg->done();
  }
};

tether::worker_pool& the_worker_pool() {
  static tether::worker_pool p(tether::background(), "bench",
                               tether::worker_pool::options{.workers = workers(), .queue_capacity = kCapacity});
  return p;
}

bench::mutex_pool& the_mutex_pool() {
  static bench::mutex_pool p(workers(), kCapacity + workers());
  return p;
}

tbb::task_arena& the_arena() {
  static tbb::task_arena a(static_cast<int>(workers()));
  return a;
}

// One iteration: submit n tasks through `submit(task)`, then wait until they have all run.
template <work W, class Submit>
void run_batches(benchmark::State& state, std::uint64_t n, Submit submit) {
  for (auto _ : state) {
    bench::wait_group wg;
    wg.add(n);
    for (std::uint64_t i = 0; i < n; ++i) {
      if (!submit(body<W>{i, &wg})) {
        state.SkipWithError("submit returned false");
        return;
      }
    }
    wg.wait();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
}

template <work W>
void tether_pool(benchmark::State& state, std::uint64_t n) {
  tether::worker_pool& p = the_worker_pool();
  run_batches<W>(state, n, [&p](body<W> b) { return p.submit(b); });
}

template <work W>
void mutex_pool(benchmark::State& state, std::uint64_t n) {
  bench::mutex_pool& p = the_mutex_pool();
  run_batches<W>(state, n, [&p](body<W> b) {
    p.submit(b);
    return true;
  });
}

template <work W>
void tbb_arena(benchmark::State& state, std::uint64_t n) {
  tbb::task_arena& a = the_arena();
  run_batches<W>(state, n, [&a](body<W> b) {
    a.enqueue(b);
    return true;
  });
}

// Real time is the figure of merit; process CPU time (all threads) is reported too (see bench_task_group).
template <work W>
void register_all(const char* w) {
  const auto reg = [w](const std::string& impl, auto fn) {
    for (std::uint64_t n : {10'000ULL, 100'000ULL}) {
      benchmark::RegisterBenchmark(("worker_pool/" + impl + "/" + w + "/n:" + std::to_string(n)).c_str(),
                                   [fn, n](benchmark::State& s) { fn(s, n); })
          ->UseRealTime()
          ->MeasureProcessCPUTime()
          ->Unit(benchmark::kMillisecond);
    }
  };
  using S = benchmark::State;
  using N = std::uint64_t;
  reg("tether", [](S& s, N n) { tether_pool<W>(s, n); });
  reg("pool_limit", [](S& s, N n) { mutex_pool<W>(s, n); });
  reg("tbb_arena", [](S& s, N n) { tbb_arena<W>(s, n); });
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
