// RUN: %check_tidy %s tether-blocking-under-lock %t -- -- -std=c++20 -I%tether_inputs/unguarded-loop

// A call that blocks while a lock is held: from a scoped lock's declaration (or a manual lock) to the
// end of its block or to its unlock(). The note shows where the lock was taken.

#include "tether_mock.h"
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <pthread.h>
#include <shared_mutex>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;

std::mutex m, other;
std::shared_mutex sm;
std::condition_variable cv;
std::condition_variable_any cva;
pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;
bool ready;
int fd;

void sleeps_under_guard() {
  std::lock_guard<std::mutex> lk(m);
  std::this_thread::sleep_for(10ms);
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: 'std::this_thread::sleep_for' blocks while a lock is held: every thread waiting for the lock waits as long; release the lock first, or move the call out of the critical section [tether-blocking-under-lock]
  // CHECK-NOTES: :[[@LINE-3]]:31: note: the lock is taken here by 'lk'
}

void io_under_scoped_lock(char *buf) {
  std::scoped_lock lk(m, other);
  if (read(fd, buf, 16) < 0)
    // CHECK-NOTES: :[[@LINE-1]]:7: warning: 'read' blocks while a lock is held
    // CHECK-NOTES: :[[@LINE-3]]:20: note: the lock is taken here by 'lk'
    return;
  send(fd, buf, 16, 0);
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: 'send' blocks while a lock is held
  // CHECK-NOTES: :[[@LINE-7]]:20: note: the lock is taken here by 'lk'
}

void joins_and_futures(std::thread &t, std::future<int> &f, std::shared_future<int> &sf,
                       tether::task_group &g) {
  std::shared_lock lk(sm);
  t.join();
  // CHECK-NOTES: :[[@LINE-1]]:5: warning: 'std::thread::join' blocks while a lock is held
  // CHECK-NOTES: :[[@LINE-3]]:20: note: the lock is taken here by 'lk'
  f.wait();
  // CHECK-NOTES: :[[@LINE-1]]:5: warning: 'std::future::wait' blocks while a lock is held
  // CHECK-NOTES: :[[@LINE-6]]:20: note: the lock is taken here by 'lk'
  (void)sf.get();
  // CHECK-NOTES: :[[@LINE-1]]:12: warning: 'std::shared_future::get' blocks while a lock is held
  // CHECK-NOTES: :[[@LINE-9]]:20: note: the lock is taken here by 'lk'
  g.wait();
  // CHECK-NOTES: :[[@LINE-1]]:5: warning: 'tether::task_group::wait' blocks while a lock is held
  // CHECK-NOTES: :[[@LINE-12]]:20: note: the lock is taken here by 'lk'
}

void manual_lock() {
  m.lock();
  usleep(100);
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: 'usleep' blocks while a lock is held
  // CHECK-NOTES: :[[@LINE-3]]:3: note: the lock is taken here
  m.unlock();
  usleep(100); // released
  pthread_mutex_lock(&pm);
  sleep(1);
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: 'sleep' blocks while a lock is held
  // CHECK-NOTES: :[[@LINE-3]]:3: note: the lock is taken here
  pthread_mutex_unlock(&pm);
  sleep(1); // released
}

void unique_lock_released(std::thread &t) {
  std::unique_lock<std::mutex> lk(m);
  ready = true;
  lk.unlock();
  t.join(); // released
  lk.lock();
  t.join();
  // CHECK-NOTES: :[[@LINE-1]]:5: warning: 'std::thread::join' blocks while a lock is held
  // CHECK-NOTES: :[[@LINE-7]]:32: note: the lock is taken here by 'lk'
}

void released_in_a_branch(std::thread &t) {
  std::unique_lock<std::mutex> lk(m);
  if (!ready) {
    lk.unlock();
    t.join(); // released on this branch
    return;
  }
}

// A condition-variable wait on the held lock releases it; a wait on another lock does not.
void cv_waits() {
  std::unique_lock<std::mutex> lk(m);
  cv.wait(lk, [] { return ready; });
  cv.wait_for(lk, 10ms);
  {
    std::unique_lock<std::mutex> inner(other);
    cv.wait(inner);
    // CHECK-NOTES: :[[@LINE-1]]:8: warning: 'std::condition_variable::wait' releases only the lock it is given; the lock held here stays locked while it waits; release the lock first, or move the call out of the critical section
    // CHECK-NOTES: :[[@LINE-7]]:32: note: the lock is taken here by 'lk'
  }
}
void cv_any_on_mutex() {
  m.lock();
  cva.wait(m, [] { return ready; }); // condition_variable_any on the held mutex itself
  m.unlock();
}
void tether_wait(const tether::context &ctx) {
  std::unique_lock<std::mutex> lk(m);
  tether::wait(ctx, cva, lk, [] { return ready; });
}

// Calls to functions defined in this file are followed one level deep.
void backoff() { std::this_thread::sleep_for(50ms); }
void two_levels() { backoff(); }
void wait_on(std::unique_lock<std::mutex> &lk) { cv.wait(lk); }
void helpers(std::unique_lock<std::mutex> &held) {
  std::lock_guard<std::mutex> lk(other);
  backoff();
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: call to 'backoff' blocks while a lock is held (it calls 'std::this_thread::sleep_for'); release the lock first
  // CHECK-NOTES: :[[@LINE-7]]:18: note: blocks here
  // CHECK-NOTES: :[[@LINE-4]]:31: note: the lock is taken here by 'lk'
  two_levels(); // two levels deep: not followed
  wait_on(held); // the helper waits on a lock it is given
}

// --- Not reported -----------------------------------------------------------------------------

void no_lock(std::thread &t) {
  std::this_thread::sleep_for(1ms);
  t.join();
}
void deferred(std::thread &t) {
  std::unique_lock<std::mutex> lk(m, std::defer_lock);
  t.join();
  std::unique_lock<std::mutex> tried(other, std::try_to_lock);
  t.join();
}
void after_scope(std::thread &t) {
  {
    std::lock_guard<std::mutex> lk(m);
    ready = true;
  }
  t.join();
}
void lambda_under_lock(std::thread &t) {
  std::lock_guard<std::mutex> lk(m);
  auto later = [&] { t.join(); }; // runs elsewhere
  (void)later;
  (void)sizeof(sleep(1));
}
void cancellable_sleep(const tether::context &ctx) {
  std::lock_guard<std::mutex> lk(m);
  // Not a look-alike problem: tether::sleep_for is in the list (it still blocks the lock's waiters).
  tether::sleep_for(ctx, 1ms);
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: 'tether::sleep_for{{.*}}' blocks while a lock is held
  // CHECK-NOTES: :[[@LINE-4]]:31: note: the lock is taken here by 'lk'
}
struct not_a_lock {
  explicit not_a_lock(std::mutex &) {}
};
void look_alike(std::thread &t) {
  not_a_lock l(m);
  t.join();
}

// --- Macros and templates ---------------------------------------------------------------------

#define NAP() std::this_thread::sleep_for(1ms)
void macro() {
  std::lock_guard<std::mutex> lk(m);
  NAP();
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: 'std::this_thread::sleep_for' blocks while a lock is held
  // CHECK-NOTES: :[[@LINE-3]]:31: note: the lock is taken here by 'lk'
}

template <class Mutex, class Joinable> void generic(Mutex &mu, Joinable &j) {
  std::lock_guard<Mutex> lk(mu);
  j.join();
  // CHECK-NOTES: :[[@LINE-1]]:5: warning: 'std::thread::join' blocks while a lock is held
  // CHECK-NOTES: :[[@LINE-3]]:26: note: the lock is taken here by 'lk'
}
struct fake_joinable {
  void join();
};
void instantiate(std::thread &t, fake_joinable &f) {
  generic(m, t); // reported once, at the template
  generic(m, f); // not a blocking function
}
