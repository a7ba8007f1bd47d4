#include "rate_limiter.h"

#include <algorithm>

rate_limiter::rate_limiter(double per_second, double burst) : per_second_(per_second), burst_(burst) {}

bool rate_limiter::allow(const std::string &client_ip) {
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  auto [it, fresh] = buckets_.try_emplace(client_ip, bucket{burst_, now});
  bucket &b = it->second;
  if (!fresh) {
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * per_second_);
    b.last = now;
  }
  if (b.tokens < 1.0)
    return false;
  b.tokens -= 1.0;
  return true;
}
