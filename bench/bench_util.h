// Shared helpers for the runtime benchmarks.
//
// Benchmark names follow "<topic>/<impl>/<case>" (Google Benchmark may append "/real_time" or
// "/threads:N"): bench/report.py pairs every tether impl with each peer impl of the same topic and case.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdint>

namespace bench {

// "A few hundred ns of arithmetic": a dependent chain of multiply-xorshift steps that the compiler can
// neither vectorize nor fold. kSmallWork steps take ~250-350 ns on a ~3 GHz core (see docs/performance.md).
inline constexpr int kSmallWork = 160;

inline std::uint64_t spin(std::uint64_t x, int steps) noexcept {
  for (int i = 0; i < steps; ++i) {
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ULL;
    x ^= x >> 32;
  }
  return x;
}

// The small task body used by every implementation.
inline void small_task(std::uint64_t seed) noexcept {
  std::uint64_t r = spin(seed | 1, kSmallWork);
  benchmark::DoNotOptimize(r);
}

}  // namespace bench
