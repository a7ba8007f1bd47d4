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
/// message lists each live task (component, kind, spawn file:line and function, age). Live tasks that
/// snapshot() cannot list (spawned while tracking was off, or a spawn still in progress) are counted.
inline ::testing::AssertionResult expect_no_leaks(
    std::chrono::steady_clock::duration timeout = std::chrono::seconds(1)) {
  if (registry::wait_idle(timeout)) return ::testing::AssertionSuccess();
  auto live = registry::snapshot();
  const std::size_t count = registry::live_count();
  if (!live.empty()) {
    auto r = ::testing::AssertionFailure() << format_leaks(live);
    if (count > live.size()) r << "\n  and " << (count - live.size()) << " task(s) not listed";
    return r;
  }
  if (count == 0) return ::testing::AssertionSuccess();  // the last one ended after the wait
  auto r = ::testing::AssertionFailure() << count << " task(s) still live but not listed by registry::snapshot()";
  if (registry::tracking()) {
    // Tracking is on now: a spawn may still be in progress, or tracking was off when they started.
    return r << " (being spawned, or spawned while tracking was off)";
  }
  return r << " (registry tracking is off)";
}

/// Records the tasks alive at construction; check() (or the destructor) reports tasks started since then
/// that are still alive after waiting up to `timeout` for them to end. Holds a registry::tracking_scope for
/// its whole life, so every task started since construction is tracked and identified by id, even if the
/// process turned tracking off (tasks are never compared by count). Not thread-safe itself; tasks on any
/// thread are seen.
class leak_check {
 public:
  explicit leak_check(std::chrono::steady_clock::duration timeout = std::chrono::seconds(1)) : timeout_(timeout) {
    // scope_ is already in force: a task not in this snapshot was spawned after it, so it is tracked.
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
      if (left.empty()) return ::testing::AssertionSuccess();
      if (std::chrono::steady_clock::now() >= deadline) return ::testing::AssertionFailure() << format_leaks(left);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

  /// Forget the check (e.g. the test hands the tasks to a later one on purpose).
  void dismiss() noexcept { checked_ = true; }

 private:
  registry::tracking_scope scope_;  // first: in force before the baseline is taken
  std::chrono::steady_clock::duration timeout_;
  std::unordered_set<std::uint64_t> baseline_;
  bool checked_ = false;
};

}  // namespace tether::testing
