// RUN: %check_tidy %s tether-raw-thread %t

// boost::thread is one of the default ThreadTypes (mock in Inputs/boost/thread.hpp).

#include <boost/thread.hpp>
#include <memory>
#include <utility>
#include <vector>

void work();
void work_with(int);

using legacy_thread = boost::thread;

struct interruptible : boost::thread {
  using boost::thread::thread;
};

void boost_threads() {
  boost::thread t(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:17: warning: raw thread creation with 'boost::thread'; spawn through 'tether::safe_go' (owned, named, cancellable) or a 'tether::task_group' instead [tether-raw-thread]
  t.join();
  boost::thread{work_with, 3}.join();
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: raw thread creation with 'boost::thread'; spawn
  legacy_thread l([] { work(); });
  // CHECK-MESSAGES: :[[@LINE-1]]:17: warning: raw thread creation with 'boost::thread'; spawn
  interruptible i(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:17: warning: raw thread creation with 'interruptible' (derived from 'boost::thread'); spawn
  auto p = std::make_shared<boost::thread>(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:12: warning: raw thread creation with 'boost::thread' via 'make_shared'; spawn
  boost::thread *raw = new boost::thread(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:28: warning: raw thread creation with 'boost::thread'; spawn
  delete raw;
  std::vector<boost::thread> v;
  v.emplace_back(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: raw thread creation with 'boost::thread' via 'emplace_back'; spawn
  v.push_back(boost::thread(work));
  // CHECK-MESSAGES: :[[@LINE-1]]:15: warning: raw thread creation with 'boost::thread'; spawn
}

void boost_negatives(boost::thread &&incoming) {
  boost::thread idle;
  boost::thread taken(std::move(incoming));
  idle = std::move(taken);
  std::vector<boost::thread> v(3);
  v.push_back(std::move(idle));
  v.emplace_back();
  interruptible quiet;
  (void)boost::thread::hardware_concurrency();
  boost::this_thread::yield();
  boost::this_thread::sleep_for(10);
  // thread_group::create_thread is not a default spawn function (see the options test).
  boost::thread_group group;
  group.create_thread(work);
  group.join_all();
}
