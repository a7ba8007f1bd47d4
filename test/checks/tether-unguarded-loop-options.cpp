// Defaults.
// RUN: %check_tidy -check-suffix=DEFAULT %s tether-unguarded-loop %t
//
// StrictMode: only a cancellation check guards a loop; break/return/throw/... no longer do.
// RUN: %check_tidy -check-suffix=STRICT %s tether-unguarded-loop %t -- \
// RUN:   -config="{CheckOptions: {tether-unguarded-loop.StrictMode: true}}" -- -std=c++20
//
// CancellationFunctions: project functions that look at cancellation, added to the built-in ones.
// RUN: %check_tidy -check-suffix=CANCEL %s tether-unguarded-loop %t -- \
// RUN:   -config="{CheckOptions: {tether-unguarded-loop.CancellationFunctions: '::app::Worker::should_stop; app::interruption_point'}}" -- -std=c++20
//
// SleepFunctions: which calls get the "sleeps without looking at cancellation" note (replaces the default list).
// RUN: %check_tidy -check-suffix=SLEEP %s tether-unguarded-loop %t -- \
// RUN:   -config="{CheckOptions: {tether-unguarded-loop.SleepFunctions: 'app::nap'}}" -- -std=c++20
//
// Every option is written back (--dump-config shows it).
// RUN: %tether_tidy %s --checks='-*,tether-unguarded-loop' --dump-config -- -std=c++20 | FileCheck %s --check-prefix=DUMP
// DUMP-DAG: tether-unguarded-loop.StrictMode: 'false'
// DUMP-DAG: tether-unguarded-loop.CancellationFunctions: ''
// DUMP-DAG: tether-unguarded-loop.SleepFunctions: '::std::this_thread::sleep_for;::std::this_thread::sleep_until;::sleep;::usleep;::nanosleep'
// RUN: %tether_tidy %s --checks='-*,tether-unguarded-loop' --dump-config \
// RUN:   --config="{CheckOptions: {tether-unguarded-loop.StrictMode: true, tether-unguarded-loop.CancellationFunctions: 'a::b;c::d'}}" \
// RUN:   -- -std=c++20 | FileCheck %s --check-prefix=DUMP-SET
// DUMP-SET-DAG: tether-unguarded-loop.StrictMode: 'true'
// DUMP-SET-DAG: tether-unguarded-loop.CancellationFunctions: 'a::b;c::d'
//
// Bad values are configuration errors (clang-tidy exits non-zero), never silently ignored.
// RUN: not %tether_tidy %s --checks='-*,tether-unguarded-loop' \
// RUN:   --config="{CheckOptions: {tether-unguarded-loop.StrictMode: maybe}}" -- -std=c++20 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BAD-STRICT
// BAD-STRICT: error: invalid configuration value 'maybe' for option 'tether-unguarded-loop.StrictMode': expected a bool ('true' or 'false') [clang-tidy-config]
// RUN: not %tether_tidy %s --checks='-*,tether-unguarded-loop' \
// RUN:   --config="{CheckOptions: {tether-unguarded-loop.CancellationFunctions: 'app::ok;app::;9lives'}}" -- -std=c++20 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BAD-CANCEL
// BAD-CANCEL-DAG: error: invalid qualified name 'app::' in option 'tether-unguarded-loop.CancellationFunctions': expected a name such as 'ns::function' or 'ns::Class::method' [clang-tidy-config]
// BAD-CANCEL-DAG: error: invalid qualified name '9lives' in option 'tether-unguarded-loop.CancellationFunctions'
// RUN: not %tether_tidy %s --checks='-*,tether-unguarded-loop' \
// RUN:   --config="{CheckOptions: {tether-unguarded-loop.SleepFunctions: 'std::this_thread::sleep for'}}" -- -std=c++20 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BAD-SLEEP
// BAD-SLEEP: error: invalid qualified name 'std::this_thread::sleep for' in option 'tether-unguarded-loop.SleepFunctions'
//
// Other spellings of a bool are accepted, as clang-tidy accepts them for its own options.
// RUN: %check_tidy -check-suffix=STRICT %s tether-unguarded-loop %t -- \
// RUN:   -config="{CheckOptions: {tether-unguarded-loop.StrictMode: 'On'}}" -- -std=c++20
// RUN: %check_tidy -check-suffix=DEFAULT %s tether-unguarded-loop %t -- \
// RUN:   -config="{CheckOptions: {tether-unguarded-loop.StrictMode: '0'}}" -- -std=c++20

#include <coroutine>
#include <exception>
#include <stdexcept>
#include <stop_token>
#include <thread>
#include "unguarded-loop/tether_mock.h"

void work();
bool poll();
[[noreturn]] void fatal();

namespace app {
struct Worker {
  bool should_stop() const;
  void run();
};
void interruption_point(); // throws when the thread was interrupted
void nap(int seconds);
} // namespace app

// No exit, no check: flagged in every mode.
void no_guard() {
  for (;;) { work(); }
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation; check a 'std::stop_token' or 'tether::context' in it, or use 'tether::every' for periodic work [tether-unguarded-loop]
  // CHECK-MESSAGES-STRICT: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation; check
  // CHECK-MESSAGES-CANCEL: :[[@LINE-3]]:3: warning: loop never exits and never checks for cancellation; check
  // CHECK-NOTES-SLEEP: :[[@LINE-4]]:3: warning: loop never exits and never checks for cancellation; check
}

// Exits but no cancellation check: fine by default, flagged in StrictMode.
void exits_only() {
  for (;;) {
  // CHECK-MESSAGES-STRICT: :[[@LINE-1]]:3: warning: loop never checks for cancellation (StrictMode): check a 'std::stop_token' or 'tether::context' in it, or use 'tether::every' for periodic work [tether-unguarded-loop]
    if (!poll()) break;
  }
  while (true) {
  // CHECK-MESSAGES-STRICT: :[[@LINE-1]]:3: warning: loop never checks for cancellation (StrictMode)
    if (!poll()) return;
  }
}
void exits_only_throw() {
  do {
  // CHECK-MESSAGES-STRICT: :[[@LINE-1]]:3: warning: loop never checks for cancellation (StrictMode)
    if (!poll()) throw std::runtime_error("x");
  } while (1);
}
void exits_only_noreturn() {
  for (;;) {
  // CHECK-MESSAGES-STRICT: :[[@LINE-1]]:3: warning: loop never checks for cancellation (StrictMode)
    if (!poll()) fatal();
  }
}

// A cancellation check guards the loop in every mode, with or without other exits.
void cancellation(std::stop_token tok) {
  for (;;) {
    if (tok.stop_requested()) break;
    work();
  }
  for (;;) {
    if (tok.stop_requested()) {}
    work();
  }
}

// Project-specific cancellation checks: flagged unless configured.
void project_checks(app::Worker &w) {
  while (true) {
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:3: warning: loop never exits and never checks
  // CHECK-MESSAGES-STRICT: :[[@LINE-2]]:3: warning: loop never exits and never checks
  // CHECK-NOTES-SLEEP: :[[@LINE-3]]:3: warning: loop never exits and never checks
    if (w.should_stop()) {}
    w.run();
  }
  for (;;) {
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:3: warning: loop never exits and never checks
  // CHECK-MESSAGES-STRICT: :[[@LINE-2]]:3: warning: loop never exits and never checks
  // CHECK-NOTES-SLEEP: :[[@LINE-3]]:3: warning: loop never exits and never checks
    app::interruption_point();
    work();
  }
}

// Built-in checks still count when CancellationFunctions is set: the option adds, not replaces.
void builtin_still_counts(const tether::context &ctx) {
  for (;;) {
    if (ctx.cancelled()) {}
    work();
  }
}

// SleepFunctions only changes the notes, not what is flagged (the SLEEP run checks notes too).
void sleeper() {
  for (;;) {
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:3: warning: loop never exits and never checks
  // CHECK-MESSAGES-STRICT: :[[@LINE-2]]:3: warning: loop never exits and never checks
  // CHECK-MESSAGES-CANCEL: :[[@LINE-3]]:3: warning: loop never exits and never checks
  // CHECK-NOTES-SLEEP: :[[@LINE-4]]:3: warning: loop never exits and never checks
    app::nap(1);
    // CHECK-NOTES-SLEEP: :[[@LINE-1]]:5: note: sleeps without looking at cancellation; use 'tether::sleep_for(ctx, d)' which returns early on cancellation
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

// An infinite generator: its co_yield is a way out by default, but not in StrictMode.
template <class T> struct generator {
  struct promise_type {
    generator get_return_object() { return {}; }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    std::suspend_always yield_value(T) { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
};
generator<int> naturals() {
  for (int i = 0;; ++i)
  // CHECK-MESSAGES-STRICT: :[[@LINE-1]]:3: warning: loop never checks for cancellation (StrictMode)
    co_yield i;
}
