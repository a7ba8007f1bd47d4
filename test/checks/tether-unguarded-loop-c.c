// RUN: %check_tidy %s tether-unguarded-loop %t -- -- -std=c17
// RUN: %check_tidy -check-suffix=STRICT %s tether-unguarded-loop %t \
// RUN:   -- -config="{CheckOptions: {tether-unguarded-loop.StrictMode: true}}" -- -std=c17

// tether-unguarded-loop in C: the same loops and exits as in C++ (break, return, goto out of the
// loop, a _Noreturn call). Cancellation checks in C: a read of an atomic bool flag
// (atomic_load, atomic_exchange, atomic_flag_test_and_set, or reading an atomic_bool in a
// condition), pthread_testcancel(), and the CancellationFunctions option.

#include <assert.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

void work(void);
_Noreturn void die(const char *why);

void unguarded(void) {
  for (;;) {
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation; check an atomic stop flag in it (or call 'pthread_testcancel') so that its owner can stop it [tether-unguarded-loop]
  // CHECK-NOTES-STRICT: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation; check an atomic stop flag
    work();
  }
}

void unguarded_while_sleep(void) {
  while (1) {
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation
  // CHECK-NOTES-STRICT: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation
    work();
    sleep(1);
    // CHECK-NOTES: :[[@LINE-1]]:5: note: sleeps without looking at cancellation; wait on a condition variable with a timeout instead, so that a stop request wakes it
    // CHECK-NOTES-STRICT: :[[@LINE-2]]:5: note: sleeps without looking at cancellation; wait on a condition variable
  }
}

#define FOREVER for (;;)
void macro_loop(void) {
  FOREVER { work(); }
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation
  // CHECK-NOTES-STRICT: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation
}

// An assertion is a bug trap, not a way out.
void assert_only(int *p) {
  do {
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation
  // CHECK-NOTES-STRICT: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation
    assert(p);
    work();
  } while (true);
}

// Exits: fine by default; StrictMode wants a cancellation check.
volatile int done;
void exits(int *n) {
  for (;;) {
  // CHECK-NOTES-STRICT: :[[@LINE-1]]:3: warning: loop never checks for cancellation (StrictMode): check an atomic stop flag in it (or call 'pthread_testcancel') so that its owner can stop it [tether-unguarded-loop]
    if (done)
      break;
    work();
  }
  while (1) {
  // CHECK-NOTES-STRICT: :[[@LINE-1]]:3: warning: loop never checks for cancellation (StrictMode)
    if (--*n == 0)
      return;
  }
  for (;;) {
  // CHECK-NOTES-STRICT: :[[@LINE-1]]:3: warning: loop never checks for cancellation (StrictMode)
    if (*n)
      goto out;
    work();
  }
out:
  while (1) {
  // CHECK-NOTES-STRICT: :[[@LINE-1]]:3: warning: loop never checks for cancellation (StrictMode)
    if (*n)
      die("stop");
  }
  for (;;) {
  // CHECK-NOTES-STRICT: :[[@LINE-1]]:3: warning: loop never checks for cancellation (StrictMode)
    if (*n)
      exit(0);
  }
}

// Cancellation checks: guarded in both modes.
atomic_bool stop_requested;
atomic_flag running = ATOMIC_FLAG_INIT;
_Atomic _Bool stop2;
void cancellation(void) {
  for (;;) {
    if (atomic_load(&stop_requested))
      break;
    work();
  }
  for (;;) {
    if (atomic_load_explicit(&stop_requested, memory_order_acquire))
      return;
    work();
  }
  while (1) {
    if (stop2) // reading an atomic bool
      return;
    work();
  }
  while (1) {
    if (!atomic_flag_test_and_set(&running))
      return;
    work();
  }
  for (;;) {
    pthread_testcancel(); // pthread_cancel() ends the thread here
    work();
  }
}

// Not unbounded.
void bounded(int n) {
  for (int i = 0; i < n; ++i)
    work();
  while (n--)
    work();
  do {
    work();
  } while (0);
  while (!atomic_load(&stop_requested))
    work();
}
