#include <tether/sleep.h>

#include <mutex>

namespace tether {

bool sleep_until(const context& ctx, std::chrono::steady_clock::time_point deadline) {
  const std::stop_token token = ctx.stop_token();
  if (token.stop_requested()) return false;
  // A private mutex/cv pair: only the stop_token's callback ever notifies it.
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lk(m);
  const auto never = [] { return false; };
  if (deadline == std::chrono::steady_clock::time_point::max()) {
    cv.wait(lk, token, never);  // returns only once stop is requested
    return false;
  }
  cv.wait_until(lk, token, deadline, never);
  return !token.stop_requested();
}

}  // namespace tether
