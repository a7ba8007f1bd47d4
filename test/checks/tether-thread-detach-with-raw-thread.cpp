// RUN: %check_tidy %s tether-raw-thread,tether-thread-detach %t

// With both checks on, `std::thread(fn).detach()` is two findings on purpose: the thread is
// created outside the runtime (tether-raw-thread) AND left unowned (tether-thread-detach). One
// tether::safe_go call fixes both.

#include <pthread.h>
#include <thread>

void work();
void *pthread_main(void *);

#define SPAWN(fn) std::thread(fn).detach()

struct cache {
  void refresh();
  void start() {
    std::thread(&cache::refresh, this).detach();
    // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: raw thread creation with 'std::thread'; spawn through 'tether::safe_go' (owned, named, cancellable) or a 'tether::task_group' instead [tether-raw-thread]
    // CHECK-MESSAGES: :[[@LINE-2]]:40: warning: 'detach()' makes this thread unowned: nothing can wait for it, cancel it or see it fail; keep it owned with 'tether::safe_go' or 'tether::task_group' [tether-thread-detach]
  }
};

void both() {
  std::thread(work).detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: raw thread creation with 'std::thread'; spawn
  // CHECK-MESSAGES: :[[@LINE-2]]:21: warning: 'detach()' makes this thread unowned
  std::thread t([] { work(); });
  // CHECK-MESSAGES: :[[@LINE-1]]:15: warning: raw thread creation with 'std::thread'; spawn
  t.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'detach()' makes this thread unowned
  SPAWN(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'detach()' makes this thread unowned
  // CHECK-MESSAGES: :[[@LINE-2]]:3: warning: raw thread creation with 'std::thread'; spawn
  pthread_t pt;
  pthread_create(&pt, nullptr, pthread_main, nullptr);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'pthread_create' starts an untracked thread
  pthread_detach(pt);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_detach()' makes this thread unowned
}
