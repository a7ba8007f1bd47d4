// RUN: %check_tidy %s tether-raw-thread %t -- -- -std=c++14
// RUN: %check_tidy %s tether-raw-thread %t -- -- -std=c++17

// Before C++17 `std::thread t = std::thread(f);` adds an (elidable) move construction: the
// construction with the callable is still reported once, and the move is not.

#include <future>
#include <memory>
#include <thread>

void work();

void copy_initialization() {
  std::thread t = std::thread(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:19: warning: raw thread creation with 'std::thread'; spawn
  t.join();
  auto u = std::make_unique<std::thread>(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:12: warning: raw thread creation with 'std::thread' via 'make_unique'; spawn
  auto f = std::async(std::launch::deferred, work);
}

std::thread factory() {
  return std::thread(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:10: warning: raw thread creation with 'std::thread'; spawn
}
