// bounded_map get/put vs std::unordered_map + std::mutex, under 1, 2 and 4 threads.
//
// Workload: 90% get / 10% put of uniformly random uint64 keys, the map holding uint64 values, over a key
// space half the capacity ("fits": every key stays resident, gets hit) or four times the capacity
// ("spills": bounded_map evicts on every put of an absent key and 3/4 of gets miss). Every map is
// filled to its steady state before timing (each key put once). The peer has no bound, so in "spills" it
// simply holds the whole key space (4x the entries): that is what it costs today, minus the leak.
//
// Variants: tether (default sharding: 16 shards at this capacity), tether_1shard (one lock, exact LRU: the
// same locking as the peer, so the difference is the LRU list and the eviction), umap_mutex (the peer).
// Target: within 1.5x of the peer.
#include "bench_util.h"

#include <tether/bounded_map.h>

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

constexpr std::size_t kCapacity = 1 << 16;
constexpr std::size_t kOps = 1 << 16;  // per-thread op stream, replayed cyclically

struct op {
  std::uint64_t key;
  bool put;
};

std::vector<op> make_ops(std::size_t keyspace, std::uint64_t seed) {
  std::vector<op> ops(kOps);
  std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + 1;
  for (auto& o : ops) {
    x = bench::spin(x, 1);
    o.key = x % keyspace;
    o.put = (x >> 40) % 10 == 0;
  }
  return ops;
}

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

using tmap = tether::bounded_map<std::uint64_t, std::uint64_t>;

template <class M>
void fill(M& m, std::size_t keyspace) {
  // Every key once, in a scrambled order (an odd multiplier permutes 0..2^k-1).
  for (std::size_t i = 0; i < keyspace; ++i) m.put((i * 0x9E3779B97F4A7C15ULL) & (keyspace - 1), i);
}

// One map per (impl, key space), built and filled once, shared by every thread count and repetition.
template <class M, int Shards>
M& shared_map(std::size_t keyspace) {
  if constexpr (std::is_same_v<M, umap_mutex>) {
    static umap_mutex fits, spills;
    static std::once_flag f1, f2;
    umap_mutex& m = keyspace <= kCapacity ? fits : spills;
    std::call_once(keyspace <= kCapacity ? f1 : f2, [&] { fill(m, keyspace); });
    return m;
  } else {
    static tmap fits(kCapacity, tmap::clock::duration::zero(), Shards);
    static tmap spills(kCapacity, tmap::clock::duration::zero(), Shards);
    static std::once_flag f1, f2;
    tmap& m = keyspace <= kCapacity ? fits : spills;
    std::call_once(keyspace <= kCapacity ? f1 : f2, [&] { fill(m, keyspace); });
    return m;
  }
}

template <class M, int Shards>
void run(benchmark::State& state, std::size_t keyspace) {
  M& m = shared_map<M, Shards>(keyspace);
  const std::vector<op> ops = make_ops(keyspace, static_cast<std::uint64_t>(state.thread_index()) + 1);
  std::size_t i = 0;
  std::uint64_t hits = 0;
  for (auto _ : state) {
    const op& o = ops[i++ & (kOps - 1)];
    if (o.put) {
      m.put(o.key, o.key);
    } else {
      hits += m.get(o.key).has_value();
    }
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

void register_all() {
  const auto reg = [](const std::string& impl, auto fn) {
    for (auto [name, keyspace] : {std::pair{"fits", kCapacity / 2}, std::pair{"spills", kCapacity * 4}}) {
      // Real time per operation at the aggregate throughput of all threads.
      benchmark::RegisterBenchmark(("bounded_map/" + impl + "/" + name).c_str(),
                                   [fn, keyspace](benchmark::State& s) { fn(s, keyspace); })
          ->Threads(1)
          ->Threads(2)
          ->Threads(4)
          ->UseRealTime();
    }
  };
  reg("tether", run<tmap, 0>);
  reg("tether_1shard", run<tmap, 1>);
  reg("umap_mutex", run<umap_mutex, 0>);
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
