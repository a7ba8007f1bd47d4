// Test helpers: no timed assertions; every wait has a long safety timeout so a bug fails instead of hanging.
#pragma once

#include <tether/context.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace tether_test {

using namespace std::chrono_literals;

// Generous upper bound for "this must happen": only hit when the behaviour is broken.
inline constexpr auto kSafety = std::chrono::seconds(20);

// A one-shot gate tasks can block on.
class gate {
 public:
  void open() {
    {
      std::lock_guard lk(m_);
      open_ = true;
    }
    cv_.notify_all();
  }
  // Returns false if the safety timeout passed first.
  bool wait(std::chrono::steady_clock::duration timeout = kSafety) {
    std::unique_lock lk(m_);
    return cv_.wait_for(lk, timeout, [this] { return open_; });
  }
  bool is_open() {
    std::lock_guard lk(m_);
    return open_;
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  bool open_ = false;
};

// Polls `pred` until true or the safety timeout; returns pred's last value.
inline bool eventually(const std::function<bool()>& pred, std::chrono::steady_clock::duration timeout = kSafety) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// Waits (bounded) until the context is done, by observing its stop_token like any std consumer would.
inline bool wait_done(const tether::context& c, std::chrono::steady_clock::duration timeout = kSafety) {
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lk(m);
  const std::stop_token tok = c.stop_token();
  cv.wait_for(lk, tok, timeout, [] { return false; });
  return tok.stop_requested();
}

}  // namespace tether_test
