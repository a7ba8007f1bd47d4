// RUN: %check_tidy %s tether-raw-thread,tether-thread-detach,tether-unguarded-loop %t -- -- -std=gnu89 -Wno-implicit-function-declaration -Wno-int-conversion
// RUN: %check_tidy -check-suffix=K %s tether-raw-thread,tether-thread-detach,tether-unguarded-loop %t -- -- -std=gnu89 -DKR -Wno-implicit-function-declaration -Wno-int-conversion

// Hostile C for the checks that run on C: no headers, implicit declarations (C89), K&R
// declarations with no prototype called with the wrong number of arguments, a detached-state
// macro that is not a number, and loops whose condition is not a constant. Nothing may crash;
// what is reported is the global function of the configured name, however it was declared.

typedef unsigned long pthread_t;
typedef struct { int opaque; } pthread_attr_t;

#ifdef KR
int pthread_attr_setdetachstate();         /* no prototype: any arguments */
#define PTHREAD_CREATE_DETACHED "detached" /* not a number: the value is unknown */
#else
#define PTHREAD_CREATE_DETACHED            /* empty */
#endif

void *worker();

void implicit_declarations(pthread_t t) {
  pthread_create(&t, 0, worker, 0); /* implicitly declared: still the global function */
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'pthread_create' starts an untracked thread
  // CHECK-MESSAGES-K: :[[@LINE-2]]:3: warning: call to 'pthread_create' starts an untracked thread
  pthread_detach(t);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_detach()' makes this thread unowned
  // CHECK-MESSAGES-K: :[[@LINE-2]]:3: warning: 'pthread_detach()' makes this thread unowned
  thrd_create();
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'thrd_create' starts an untracked thread
  // CHECK-MESSAGES-K: :[[@LINE-2]]:3: warning: call to 'thrd_create' starts an untracked thread
}

void odd_attribute_calls(pthread_attr_t *a) {
  /* Wrong arity: one or three arguments are not the two-argument call: not reported. */
  pthread_attr_setdetachstate(a);
  pthread_attr_setdetachstate(a, 1, 2);
  /* The state's value is not known (no enumerator, macro not a number): a literal is not
     compared with anything, so not reported. */
  pthread_attr_setdetachstate(a, 1);
#ifdef KR
  pthread_attr_setdetachstate(a, PTHREAD_CREATE_DETACHED); /* a string: not an integer */
#endif
}

/* Loops: conditions that are not constants, or constants the evaluator cannot decide. */
extern int flag;
int (*fp)(void);
void loops(void) {
  while (flag)
    ;
  while (fp())
    ;
  while (sizeof(int) == 4) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation
  // CHECK-MESSAGES-K: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation
  }
  for (;; flag++)
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation
  // CHECK-MESSAGES-K: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation
    ;
}
