// RUN: %check_tidy %s tether-raw-thread %t -- -- -std=c17
// RUN: %check_tidy -check-suffix=ALLOWED %s tether-raw-thread %t \
// RUN:   -- -config="{CheckOptions: {tether-raw-thread.AllowedFileRegex: 'raw-thread-c\.c$'}}" -- -std=c17
// RUN: %check_tidy -check-suffix=C89 %s tether-raw-thread %t -- -- -std=gnu89

// tether-raw-thread in C: the spawn functions (pthread_create, thrd_create) are reported in .c
// files as in C++. C has no thread types, so that part of the check has nothing to do.

#include <pthread.h>
#include <stddef.h>
#include <threads.h>

static void *worker(void *arg) { return arg; }
static int c11_worker(void *arg) { return arg != NULL; }

void spawns(void) {
  pthread_t t;
  pthread_create(&t, NULL, worker, NULL);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'pthread_create' starts an untracked thread; start it from the C++ side with 'tether::safe_go' or a 'tether::task_group' instead [tether-raw-thread]
  // CHECK-MESSAGES-C89: :[[@LINE-2]]:3: warning: call to 'pthread_create' starts an untracked thread
  thrd_t t2;
  if (thrd_create(&t2, c11_worker, NULL) != thrd_success)
    // CHECK-MESSAGES: :[[@LINE-1]]:7: warning: call to 'thrd_create' starts an untracked thread
    // CHECK-MESSAGES-C89: :[[@LINE-2]]:7: warning: call to 'thrd_create' starts an untracked thread
    return;
  (void)pthread_create(&t, NULL, worker, &t);
  // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: call to 'pthread_create' starts an untracked thread
  // CHECK-MESSAGES-C89: :[[@LINE-2]]:9: warning: call to 'pthread_create' starts an untracked thread
}

// A spawn written in a macro is reported where the macro is used.
#define START_WORKER(t) pthread_create(&(t), NULL, worker, NULL)
void macro_use(void) {
  pthread_t t;
  START_WORKER(t);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'pthread_create' starts an untracked thread
  // CHECK-MESSAGES-C89: :[[@LINE-2]]:3: warning: call to 'pthread_create' starts an untracked thread
}

// Not spawns: nothing runs, or it is not the library function.
struct thread_ops {
  int (*pthread_create)(void); // a member that happens to have the name
};
int my_pthread_create(pthread_t *t);
void look_alikes(struct thread_ops *ops, pthread_t *t) {
  int (*fp)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *) = pthread_create;
  (void)fp;                                           // taking the address starts nothing
  ops->pthread_create();                              // a call through a member pointer
  my_pthread_create(t);                               // another function
  (void)sizeof(pthread_create(t, NULL, worker, NULL)); // unevaluated
  __typeof__(thrd_create(NULL, c11_worker, NULL)) r = 0; // unevaluated
  (void)r;
}
