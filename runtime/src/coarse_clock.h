// Internal: a cheap "now" for timestamps that only feed ages shown to people (a group task's spawn time, a
// worker_pool task's start): task_group.cpp and worker_pool.cpp.
//
// The precise clock costs ~40 ns per read on some VMs (kvm-clock), as much as the rest of a spawn; the
// coarse monotonic clock costs a few ns, has a resolution of a few ms and is never later than the precise
// one (it is the same clock, read at the last tick), so ages are never understated. Thread-safe; the first
// call checks once that the coarse clock shares steady_clock's epoch (else steady_clock::now() is used).
#pragma once

#include <chrono>
#include <ctime>

namespace tether::detail {

inline std::chrono::steady_clock::time_point coarse_now() noexcept {
#if defined(__linux__) && defined(CLOCK_MONOTONIC_COARSE)
  static const bool usable = [] {
    // steady_clock is CLOCK_MONOTONIC on Linux; check that it shares the coarse clock's epoch.
    timespec ts{};
    if (clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) != 0) return false;
    const auto coarse = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
    const auto fine = std::chrono::steady_clock::now().time_since_epoch();
    return coarse <= fine && fine - coarse < std::chrono::seconds(1);
  }();
  timespec ts{};
  if (usable && clock_gettime(CLOCK_MONOTONIC_COARSE, &ts) == 0) {
    return std::chrono::steady_clock::time_point(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
  }
#endif
  return std::chrono::steady_clock::now();
}

}  // namespace tether::detail
