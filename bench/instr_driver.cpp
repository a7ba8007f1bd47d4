// A plain driver for bench/instructions.py: runs COUNT operations of one case, nothing else, so that
// callgrind's instruction totals of a COUNT run and a 2*COUNT run differ by exactly COUNT operations.
// Instruction counts do not depend on the machine's load, unlike the Google Benchmark timings.
//
//   instr_driver CASE COUNT      (CASE: see the table in main; instr_driver --list)
#include "bench_util.h"
#include "mutex_pool.h"

#include <tether/bounded_map.h>
#include <tether/safe_go.h>
#include <tether/task_group.h>
#include <tether/worker_pool.h>

#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

namespace {

constexpr std::size_t kCapacity = 1 << 16;

struct empty_body {
  void operator()() const noexcept {}
};

struct umap_mutex {
  std::mutex m;
  std::unordered_map<std::uint64_t, std::uint64_t> map;
  std::optional<std::uint64_t> get(std::uint64_t k) {
    std::lock_guard lk(m);
    auto it = map.find(k);
    if (it == map.end()) return std::nullopt;
    return it->second;
  }
  void put(std::uint64_t k, std::uint64_t v) {
    std::lock_guard lk(m);
    map.insert_or_assign(k, v);
  }
};

// The same 90% get / 10% put stream as bench_bounded_map.cpp, after filling the map to steady state. The
// fill is the same for every COUNT, so it cancels out of the difference.
template <class M>
void map_ops(M& m, std::size_t keyspace, std::size_t count) {
  for (std::size_t i = 0; i < keyspace; ++i) m.put((i * 0x9E3779B97F4A7C15ULL) & (keyspace - 1), i);
  std::uint64_t x = 1, hits = 0;
  for (std::size_t i = 0; i < count; ++i) {
    x = bench::spin(x, 1);
    const std::uint64_t key = x % keyspace;
    if ((x >> 40) % 10 == 0) {
      m.put(key, key);
    } else {
      hits += m.get(key).has_value();
    }
  }
  benchmark::DoNotOptimize(hits);
}

using tmap = tether::bounded_map<std::uint64_t, std::uint64_t>;

}  // namespace

int main(int argc, char** argv) {
  static const char* const cases[] = {
      "safe_go/tether",       "safe_go/std_thread",      "task_group/tether",          "task_group/tbb",
      "task_group/pool",      "worker_pool/tether",      "worker_pool/pool_limit",     "worker_pool/tbb_arena",
      "bounded_map/tether/fits", "bounded_map/umap_mutex/fits", "bounded_map/tether/spills",
      "bounded_map/umap_mutex/spills"};
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    for (const char* c : cases) std::puts(c);
    return 0;
  }
  if (argc != 3) {
    std::fprintf(stderr, "usage: instr_driver CASE COUNT | --list\n");
    return 2;
  }
  const std::string c = argv[1];
  const auto n = static_cast<std::size_t>(std::strtoull(argv[2], nullptr, 10));
  const tether::context bg = tether::background();
  if (c == "safe_go/tether") {
    for (std::size_t i = 0; i < n; ++i) tether::safe_go(bg, "bench", tether::policy::keep_running, [] {}).join();
  } else if (c == "safe_go/std_thread") {
    for (std::size_t i = 0; i < n; ++i) std::thread([] {}).join();  // NOLINT(tether-raw-thread): peer
  } else if (c == "task_group/tether") {
    tether::task_group g(bg, "bench");
    for (std::size_t i = 0; i < n; ++i) g.spawn(empty_body{});
    g.wait();
  } else if (c == "task_group/tbb") {
    tbb::task_group g;
    for (std::size_t i = 0; i < n; ++i) g.run(empty_body{});
    g.wait();
  } else if (c == "task_group/pool") {
    bench::mutex_pool pool;
    bench::wait_group wg;
    for (std::size_t i = 0; i < n; ++i) {
      wg.add();
      pool.submit([&wg] { wg.done(); });
    }
    wg.wait();
  } else if (c.starts_with("worker_pool/")) {
    // As bench_worker_pool.cpp: hardware_concurrency() workers, a queue of kQueue, completion counted by the
    // tasks; the pools are created inside the measured run (fixed cost: cancels out of the difference).
    constexpr std::size_t kQueue = 1024;
    const std::size_t workers = std::max(1U, std::thread::hardware_concurrency());
    bench::wait_group wg;
    wg.add(n);
    const auto task = [&wg] { wg.done(); };
    if (c == "worker_pool/tether") {
      tether::worker_pool p(bg, "bench", {.workers = workers, .queue_capacity = kQueue});
      for (std::size_t i = 0; i < n; ++i) p.submit(task);
      wg.wait();
    } else if (c == "worker_pool/pool_limit") {
      bench::mutex_pool p(workers, kQueue + workers);
      for (std::size_t i = 0; i < n; ++i) p.submit(task);
      wg.wait();
    } else {
      tbb::task_arena a(static_cast<int>(workers));
      for (std::size_t i = 0; i < n; ++i) a.enqueue(task);
      wg.wait();
    }
  } else if (c.starts_with("bounded_map/")) {
    const std::size_t keyspace = c.ends_with("/fits") ? kCapacity / 2 : kCapacity * 4;
    if (c.find("/tether/") != std::string::npos) {
      tmap m(kCapacity);
      map_ops(m, keyspace, n);
    } else {
      umap_mutex m;
      map_ops(m, keyspace, n);
    }
  } else {
    std::fprintf(stderr, "instr_driver: unknown case '%s' (--list)\n", c.c_str());
    return 2;
  }
  return 0;
}
