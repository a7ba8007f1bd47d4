// tether/testing.h - goroutine-leak checks for GoogleTest (like Go's goleak). Header-only; link
// tether::testing (tether::runtime + GTest). Not part of the runtime library itself.
//
//   TEST(Service, StopsCleanly) {
//     tether::testing::leak_check leaks;           // fails the test if tasks spawned from here outlive it
//     ...
//   }
//   TEST(Service, Idle) { EXPECT_TRUE(tether::testing::expect_no_leaks()); }
#pragma once

#include <tether/registry.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace tether::testing {

/// "N leaked task(s):" followed by one describe() line per task.
inline std::string format_leaks(const std::vector<task_info>& leaked) {
  std::string s = std::to_string(leaked.size()) + " leaked task(s):";
  for (const auto& t : leaked) s += "\n  " + describe(t);
  return s;
}

/// Waits up to `timeout` for every registered task to end. Success if none is left; otherwise the failure
/// message lists each live task (component, kind, spawn file:line and function, age).
inline ::testing::AssertionResult expect_no_leaks(
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(1)) {
  if (registry::wait_idle(timeout)) return ::testing::AssertionSuccess();
  auto live = registry::snapshot();
  if (live.empty()) {
    return ::testing::AssertionFailure() << registry::live_count()
                                         << " task(s) still live (registry tracking was off when they started)";
  }
  return ::testing::AssertionFailure() << format_leaks(live);
}

/// Records the tasks alive at construction; check() (or the destructor) reports tasks started since then
/// that are still alive after waiting up to `timeout` for them to end.
class leak_check {
 public:
  explicit leak_check(std::chrono::steady_clock::duration timeout = std::chrono::seconds(1))
      : timeout_(timeout), baseline_count_(registry::live_count()) {
    for (const auto& t : registry::snapshot()) baseline_.insert(t.id);
  }

  leak_check(const leak_check&) = delete;
  leak_check& operator=(const leak_check&) = delete;

  /// Adds a test failure (ADD_FAILURE) for the leaks, unless check() was already called.
  ~leak_check() {
    if (!checked_) {
      auto r = check();
      if (!r) ADD_FAILURE() << "tether::testing::leak_check: " << r.message();
    }
  }

  /// Tasks started since construction that are still alive (no waiting).
  std::vector<task_info> leaked() const {
    std::vector<task_info> out;
    for (auto& t : registry::snapshot()) {
      if (!baseline_.contains(t.id)) out.push_back(std::move(t));
    }
    return out;
  }

  /// Waits up to the timeout for the new tasks to end; success if they all did. Marks the check done.
  ::testing::AssertionResult check() {
    checked_ = true;
    const auto deadline = std::chrono::steady_clock::now() + timeout_;
    // Polling keeps this helper independent of the runtime's internals; it only runs in tests.
    for (;;) {
      auto left = leaked();
      const bool untracked_left = !registry::tracking() && registry::live_count() > baseline_count_;
      if (left.empty() && !untracked_left) return ::testing::AssertionSuccess();
      if (std::chrono::steady_clock::now() >= deadline) {
        if (left.empty()) {
          return ::testing::AssertionFailure()
                 << (registry::live_count() - baseline_count_) << " new task(s) still live (tracking off)";
        }
        return ::testing::AssertionFailure() << format_leaks(left);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  /// Forget the check (e.g. the test hands the tasks to a later one on purpose).
  void dismiss() noexcept { checked_ = true; }

 private:
  std::chrono::steady_clock::duration timeout_;
  std::size_t baseline_count_;
  std::unordered_set<std::uint64_t> baseline_;
  bool checked_ = false;
};

}  // namespace tether::testing
