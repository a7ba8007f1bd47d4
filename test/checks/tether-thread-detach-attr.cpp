// RUN: %check_tidy %s tether-thread-detach %t
// RUN: %check_tidy -check-suffix=NUMERIC %s tether-thread-detach %t -- -- -std=c++20 -DNUMERIC_MACROS

// tether-thread-detach: pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED) makes every
// thread created with that attribute start detached, exactly like pthread_create followed by
// pthread_detach. Reported when the state argument is a constant equal to PTHREAD_CREATE_DETACHED
// (glibc: an enumerator; musl, macOS, BSDs: a numeric macro, see NUMERIC); a state known only at
// run time is not reported.

#ifdef NUMERIC_MACROS
#include "thread-detach/numeric_pthread.h"
#else
#include <pthread.h>
#endif

void *worker(void *);

void detached(pthread_attr_t *attr) {
  pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread created with this attribute unowned: nothing can wait for them, cancel them or see them fail; keep them owned with 'tether::safe_go' or 'tether::task_group' [tether-thread-detach]
  // CHECK-MESSAGES-NUMERIC: :[[@LINE-2]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  ::pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  // CHECK-MESSAGES-NUMERIC: :[[@LINE-2]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
}

// Constants with the detached value.
constexpr int kState = PTHREAD_CREATE_DETACHED;
struct config {
  static constexpr bool detach = true;
};
void constants(pthread_attr_t *attr) {
  pthread_attr_setdetachstate(attr, kState);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  // CHECK-MESSAGES-NUMERIC: :[[@LINE-2]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  pthread_attr_setdetachstate(attr, config::detach ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  // CHECK-MESSAGES-NUMERIC: :[[@LINE-2]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
}

// A macro is reported where it is used.
#define DETACHED_ATTR(a) pthread_attr_setdetachstate(&(a), PTHREAD_CREATE_DETACHED)
void macro_use() {
  pthread_attr_t a;
  pthread_attr_init(&a);
  DETACHED_ATTR(a);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  // CHECK-MESSAGES-NUMERIC: :[[@LINE-2]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
}

// Templates: the instantiations decide; a site is reported once.
template <int State> void set_state(pthread_attr_t *attr) {
  pthread_attr_setdetachstate(attr, State);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  // CHECK-MESSAGES-NUMERIC: :[[@LINE-2]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
}
template <int State> void joinable_only(pthread_attr_t *attr) {
  pthread_attr_setdetachstate(attr, State);
}
void instantiate(pthread_attr_t *attr) {
  set_state<PTHREAD_CREATE_JOINABLE>(attr);
  set_state<PTHREAD_CREATE_DETACHED>(attr);
  set_state<PTHREAD_CREATE_DETACHED>(attr);
  joinable_only<PTHREAD_CREATE_JOINABLE>(attr);
}

// Not detaches.
namespace mine {
int pthread_attr_setdetachstate(pthread_attr_t *, int);
struct attr_builder {
  int pthread_attr_setdetachstate(pthread_attr_t *, int);
};
} // namespace mine
void not_detached(pthread_attr_t *attr, int state, bool detach, mine::attr_builder &b) {
  pthread_attr_setdetachstate(attr, PTHREAD_CREATE_JOINABLE);   // joinable: owned
  pthread_attr_setdetachstate(attr, state);                     // only known at run time
  pthread_attr_setdetachstate(attr, detach ? PTHREAD_CREATE_DETACHED : PTHREAD_CREATE_JOINABLE);
  mine::pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED); // a namesake in a namespace
  b.pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED);     // a member namesake
  using result = decltype(pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED)); // unevaluated
  (void)sizeof(pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED));
  auto *fp = &pthread_attr_setdetachstate; // not called
  (void)fp;
}

// NOLINT works as for every finding.
void suppressed(pthread_attr_t *attr) {
  pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED); // NOLINT(tether-thread-detach): fire-and-forget logger, process exits via _exit
}
