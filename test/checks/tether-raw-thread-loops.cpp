// tether-raw-thread notes the loop that starts one thread per iteration with no bound (the same
// trip-count rules as tether-spawn-in-loop, which leaves raw spawns to this check).
// RUN: %check_tidy %s tether-raw-thread %t
//
// Together with tether-spawn-in-loop: the raw spawns in loops stay with tether-raw-thread, so
// tether-spawn-in-loop reports only the runtime's spawn (no line is reported twice).
// RUN: %tether_tidy %s --checks='-*,tether-raw-thread,tether-spawn-in-loop' --quiet -- -std=c++20 -I%tether_inputs \
// RUN:   | FileCheck %s --check-prefix=BOTH --implicit-check-not='[tether-spawn-in-loop]'
// BOTH: loops.cpp:[[#@LINE+45]]:5: warning: 'tether::safe_go' in a loop {{.*}} [tether-spawn-in-loop]

#include <future>
#include <pthread.h>
#include <thread>
#include <vector>
#include "unguarded-loop/tether_mock.h"

struct event { int id; };
void deliver(const event &);
void *worker(void *);

void per_event(const std::vector<event> &events) {
  for (const event &e : events)
    std::thread([e] { deliver(e); }).detach();
  // CHECK-NOTES: :[[@LINE-1]]:5: warning: raw thread creation with 'std::thread'; spawn through 'tether::safe_go' (owned, named, cancellable) or a 'tether::task_group' instead [tether-raw-thread]
  // CHECK-NOTES: :[[@LINE-3]]:3: note: this loop starts one thread per iteration, with no bound
}

void pool_per_item(const std::vector<event> &events) {
  std::vector<std::thread> workers;
  for (size_t i = 0; i < events.size(); ++i)
    workers.emplace_back([&events, i] { deliver(events[i]); });
  // CHECK-NOTES: :[[@LINE-1]]:13: warning: raw thread creation with 'std::thread' via 'emplace_back'
  // CHECK-NOTES: :[[@LINE-3]]:3: note: this loop starts one thread per iteration, with no bound
  for (std::thread &w : workers)
    w.join();
}

void c_style(int n, pthread_t *ids) {
  while (n-- > 0)
    pthread_create(&ids[n], nullptr, worker, nullptr);
  // CHECK-NOTES: :[[@LINE-1]]:5: warning: call to 'pthread_create' starts an untracked thread
  // CHECK-NOTES: :[[@LINE-3]]:3: note: this loop starts one thread per iteration, with no bound
}

void futures(const std::vector<event> &events, std::vector<std::future<void>> &out) {
  for (const event &e : events)
    out.push_back(std::async(std::launch::async, [e] { deliver(e); }));
  // CHECK-NOTES: :[[@LINE-1]]:19: warning: call to 'std::async' starts an untracked thread
  // CHECK-NOTES: :[[@LINE-3]]:3: note: this loop starts one thread per iteration, with no bound
}

void runtime_spawn(const tether::context &ctx, const std::vector<event> &events) {
  for (const event &e : events)
    tether::safe_go(ctx, "webhook", tether::policy::keep_running, [e] { deliver(e); });
}

// Macros and templates: the note goes with the warning, once.
#define START(fn) std::thread(fn).detach()
template <class F> void start_each(const std::vector<F> &fns) {
  for (const F &f : fns)
    START(f);
  // CHECK-NOTES: :[[@LINE-1]]:5: warning: raw thread creation with 'std::thread'
  // CHECK-NOTES: :[[@LINE-3]]:3: note: this loop starts one thread per iteration, with no bound
}
void instantiate() {
  start_each(std::vector<void (*)()>{});
  start_each(std::vector<std::function<void()>>{});
}

// No note: bounded loops, and code that is not repeated by the loop.
void bounded(std::vector<std::thread> &pool) {
  for (unsigned i = 0; i < std::thread::hardware_concurrency(); ++i)
    pool.emplace_back([] {});
  // CHECK-NOTES: :[[@LINE-1]]:10: warning: raw thread creation with 'std::thread' via 'emplace_back'
  for (int i = 0; i < 4; ++i)
    pool.emplace_back([] {});
  // CHECK-NOTES: :[[@LINE-1]]:10: warning: raw thread creation with 'std::thread' via 'emplace_back'
  for (const event &e : std::vector<event>{}) {
    auto later = [e] { std::thread([e] { deliver(e); }).join(); };
    // CHECK-NOTES: :[[@LINE-1]]:24: warning: raw thread creation with 'std::thread'
  }
}
