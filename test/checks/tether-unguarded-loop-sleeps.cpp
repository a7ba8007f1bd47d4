// RUN: %check_tidy %s tether-unguarded-loop %t
// The same through stock clang-tidy with the module loaded (its name lookups resolve there too).
// RUN: %clang_tidy_load %s --checks='-*,tether-unguarded-loop' -- -std=c++20 -I%tether_inputs 2>&1 \
// RUN:   | FileCheck %s --check-prefix=LOAD
// LOAD-COUNT-5: warning: loop never exits and never checks for cancellation
// LOAD-NOT: warning:

// Periodic workers that sleep without looking at cancellation leak most: every sleep inside a
// flagged loop gets a note pointing at the cancellable replacement. Notes are checked here.

#include <chrono>
#include <thread>
#include <time.h>
#include <unistd.h>
#include "unguarded-loop/tether_mock.h"

void work();
bool poll();
using namespace std::chrono_literals;

void periodic_sleep_for() {
  for (;;) {
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation; check a 'std::stop_token' or 'tether::context' in it, or use 'tether::every' for periodic work [tether-unguarded-loop]
    work();
    std::this_thread::sleep_for(5s);
    // CHECK-NOTES: :[[@LINE-1]]:5: note: sleeps without looking at cancellation; use 'tether::sleep_for(ctx, d)' which returns early on cancellation
  }
}

void periodic_sleep_until() {
  auto next = std::chrono::steady_clock::now();
  while (true) {
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    next += 1s;
    std::this_thread::sleep_until(next);
    // CHECK-NOTES: :[[@LINE-1]]:5: note: sleeps without looking at cancellation
  }
}

void posix_sleeps() {
  for (;;) {
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    ::sleep(1);
    // CHECK-NOTES: :[[@LINE-1]]:5: note: sleeps without looking at cancellation
    usleep(1000);
    // CHECK-NOTES: :[[@LINE-1]]:5: note: sleeps without looking at cancellation
    timespec ts{0, 1000};
    nanosleep(&ts, nullptr);
    // CHECK-NOTES: :[[@LINE-1]]:5: note: sleeps without looking at cancellation
  }
}

// A sleep in a nested loop still runs in the flagged loop.
void sleep_in_nested_loop() {
  for (;;) {
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    for (int i = 0; i < 3; ++i) {
      if (poll())
        break;
      std::this_thread::sleep_for(10ms);
      // CHECK-NOTES: :[[@LINE-1]]:7: note: sleeps without looking at cancellation
    }
  }
}

// No note for a sleep in a lambda: it is not the loop's own code.
void sleep_in_lambda() {
  for (;;) {
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    auto later = [] { std::this_thread::sleep_for(1s); };
    (void)later;
  }
}

// No warning at all, so no note: the loop has a way out, or sleeps cancellably.
void guarded_sleeps(const tether::context &ctx) {
  for (;;) {
    if (!poll())
      break;
    std::this_thread::sleep_for(1s);
  }
  for (;;) {
    work();
    tether::sleep_for(ctx, 1s);
  }
}

// The replacement the message suggests: no loop at all.
void replacement(const tether::context &ctx) {
  tether::every(ctx, 5s, [] { work(); });
}
