// safe_go spawn-to-finish of an empty task vs a raw std::thread create + join.
//
// safe_go does everything std::thread does plus: a child context linked to the caller's context and to the
// process-exit stop token, a registry entry (tracking on, the default), a type-erased body and a shared
// task state. Target: within 1.1x of std::thread.
#include "bench_util.h"

#include <tether/registry.h>
#include <tether/safe_go.h>

#include <thread>

namespace {

void safe_go_join(benchmark::State& state) {
  const tether::context bg = tether::background();
  for (auto _ : state) {
    tether::task t = tether::safe_go(bg, "bench", tether::policy::keep_running, [] {});
    t.join();
  }
}

// Same, with a body taking the task's context (what real bodies do).
void safe_go_ctx_join(benchmark::State& state) {
  const tether::context bg = tether::background();
  for (auto _ : state) {
    tether::task t = tether::safe_go(bg, "bench", tether::policy::keep_running,
                                     [](const tether::context& c) { benchmark::DoNotOptimize(c.cancelled()); });
    t.join();
  }
}

// Registry tracking off: what linking the registry entry costs.
void safe_go_notrack_join(benchmark::State& state) {
  const tether::context bg = tether::background();
  tether::registry::set_tracking(false);
  for (auto _ : state) {
    tether::task t = tether::safe_go(bg, "bench", tether::policy::keep_running, [] {});
    t.join();
  }
  tether::registry::set_tracking(true);
}

void std_thread_join(benchmark::State& state) {
  for (auto _ : state) {
    std::thread t([] {});  // NOLINT(tether-raw-thread): the peer being measured
    t.join();
  }
}

void std_jthread_join(benchmark::State& state) {
  for (auto _ : state) {
    std::jthread t([](std::stop_token st) { benchmark::DoNotOptimize(st.stop_requested()); });  // NOLINT(tether-raw-thread): peer
    t.join();
  }
}

}  // namespace

// Real time: the work happens on the new thread. Process CPU time (all threads) is reported too.
BENCHMARK(safe_go_join)->Name("safe_go/tether/empty")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(safe_go_ctx_join)->Name("safe_go/tether_ctx/empty")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(safe_go_notrack_join)->Name("safe_go/tether_notrack/empty")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(std_thread_join)->Name("safe_go/std_thread/empty")->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK(std_jthread_join)->Name("safe_go/std_jthread/empty")->UseRealTime()->MeasureProcessCPUTime();

BENCHMARK_MAIN();
