// A per-client token bucket. Not thread-safe by itself: the service only touches it inside
// bounded_map::with(), i.e. under the map's shard lock.
#pragma once

#include <algorithm>
#include <chrono>

namespace fixed {

class token_bucket {
 public:
  using clock = std::chrono::steady_clock;

  token_bucket(double rate_per_s, double burst) : rate_(rate_per_s), burst_(burst), tokens_(burst), last_(clock::now()) {}

  bool allow() {
    const auto now = clock::now();
    tokens_ = std::min(burst_, tokens_ + std::chrono::duration<double>(now - last_).count() * rate_);
    last_ = now;
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  clock::time_point last_;
};

}  // namespace fixed
