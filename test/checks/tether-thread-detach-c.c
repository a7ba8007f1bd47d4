// RUN: %check_tidy %s tether-thread-detach %t -- -- -std=c17
// RUN: %check_tidy -check-suffix=NOFN %s tether-thread-detach %t \
// RUN:   -- -config="{CheckOptions: {tether-thread-detach.DetachFunctions: ''}}" -- -std=c17

// tether-thread-detach in C: pthread_detach, thrd_detach and a PTHREAD_CREATE_DETACHED thread
// attribute. C has no thread types, so the detach() part of the check has nothing to do.

#include <pthread.h>
#include <stddef.h>
#include <threads.h>

static void *worker(void *arg) { return arg; }

void detach_functions(pthread_t t, thrd_t t2) {
  pthread_detach(t);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_detach()' makes this thread unowned: nothing can wait for it, cancel it or see it fail; keep it joinable and join it from the code that owns what it uses [tether-thread-detach]
  thrd_detach(t2);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'thrd_detach()' makes this thread unowned
  pthread_detach(pthread_self());
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_detach()' makes this thread unowned
}

// The attribute is reported whatever DetachFunctions says (it is not a detach function).
void detached_attribute(void) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread created with this attribute unowned: nothing can wait for them, cancel them or see them fail; leave them joinable and join them from the code that owns what they use [tether-thread-detach]
  // CHECK-MESSAGES-NOFN: :[[@LINE-2]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  pthread_t t;
  pthread_create(&t, &attr, worker, NULL);
  pthread_attr_destroy(&attr);
}

// Constants that evaluate to PTHREAD_CREATE_DETACHED are the same thing.
enum { kDetached = PTHREAD_CREATE_DETACHED };
static const int kState = PTHREAD_CREATE_DETACHED;
void detached_constants(pthread_attr_t *attr) {
  pthread_attr_setdetachstate(attr, kDetached);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  // CHECK-MESSAGES-NOFN: :[[@LINE-2]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  (void)pthread_attr_setdetachstate(attr, 1 ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE);
  // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  // CHECK-MESSAGES-NOFN: :[[@LINE-2]]:9: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  // Not a constant expression in C, but a const object initialized with a constant: its value
  // cannot change, and clang folds it.
  pthread_attr_setdetachstate(attr, kState);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  // CHECK-MESSAGES-NOFN: :[[@LINE-2]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
}

// A macro that detaches is reported where it is used.
#define MAKE_DETACHED(a) pthread_attr_setdetachstate((a), PTHREAD_CREATE_DETACHED)
#define DETACH(t) pthread_detach(t)
void macros(pthread_attr_t *attr, pthread_t t) {
  MAKE_DETACHED(attr);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  // CHECK-MESSAGES-NOFN: :[[@LINE-2]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  DETACH(t);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_detach()' makes this thread unowned
}

// Not detaches.
void not_detached(pthread_attr_t *attr, pthread_t t, int state, int detached) {
  pthread_attr_setdetachstate(attr, PTHREAD_CREATE_JOINABLE); // joinable: the default, owned
  pthread_attr_setdetachstate(attr, state);                   // only known at run time
  pthread_attr_setdetachstate(attr, detached ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE);
  int st = 0;
  pthread_attr_getdetachstate(attr, &st);                     // reading it
  (void)sizeof(pthread_detach(t));                            // unevaluated
  (void)sizeof(pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED));
  int (*fp)(pthread_t) = pthread_detach;                      // not called
  (void)fp;
}
