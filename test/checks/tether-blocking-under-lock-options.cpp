// tether-blocking-under-lock options: BlockingFunctions (added to the defaults), LockTypes, MutexTypes.

// RUN: %check_tidy -check-suffix=DEFAULT %s tether-blocking-under-lock %t

// RUN: %check_tidy -check-suffix=CUSTOM %s tether-blocking-under-lock %t -- \
// RUN:   -config="{CheckOptions: {tether-blocking-under-lock.BlockingFunctions: '::mylib::http_get;::mylib::client::call', tether-blocking-under-lock.LockTypes: '::std::lock_guard;::mylib::guard', tether-blocking-under-lock.MutexTypes: '::mylib::spinlock'}}"

// Written back for --dump-config.
// RUN: %tether_tidy --checks='-*,tether-blocking-under-lock' --dump-config \
// RUN:   --config="{CheckOptions: {tether-blocking-under-lock.BlockingFunctions: '::mylib::http_get'}}" \
// RUN:   %s -- | FileCheck %s --check-prefix=DUMP
// DUMP-DAG: tether-blocking-under-lock.BlockingFunctions: '::mylib::http_get'
// DUMP-DAG: tether-blocking-under-lock.LockTypes: '::std::lock_guard;::std::scoped_lock;::std::unique_lock;::std::shared_lock'
// DUMP-DAG: tether-blocking-under-lock.MutexTypes: '::std::mutex;::std::recursive_mutex;::std::timed_mutex;::std::recursive_timed_mutex;::std::shared_mutex;::std::shared_timed_mutex;::boost::mutex'

// Bad names: configuration errors naming the option in full, exit code exactly 1.
// RUN: %python -c "import subprocess, sys; sys.exit(0 if subprocess.call(sys.argv[1:]) == 1 else 1)" \
// RUN:   %tether_tidy %s --checks='-*,tether-blocking-under-lock' \
// RUN:   --config="{CheckOptions: {tether-blocking-under-lock.BlockingFunctions: '3sleep', tether-blocking-under-lock.LockTypes: 'std::lock_guard<int>'}}" \
// RUN:   -- -std=c++20 2>&1 | FileCheck %s --check-prefix=BAD
// BAD-DAG: error: invalid qualified name '3sleep' in option 'tether-blocking-under-lock.BlockingFunctions'
// BAD-DAG: error: invalid qualified name 'std::lock_guard<int>' in option 'tether-blocking-under-lock.LockTypes'

#include <mutex>
#include <thread>

namespace mylib {
void http_get(const char *url);
struct client {
  void call();
};
struct derived_client : client {};
class spinlock {
public:
  void lock();
  void unlock();
};
class guard {
public:
  explicit guard(spinlock &);
  ~guard();
};
} // namespace mylib

std::mutex m;
mylib::spinlock s;

void f(mylib::derived_client &c) {
  std::lock_guard<std::mutex> lk(m);
  mylib::http_get("/keys");
  // CHECK-MESSAGES-CUSTOM: :[[@LINE-1]]:3: warning: 'mylib::http_get' blocks while a lock is held
  c.call(); // inherited from a listed class
  // CHECK-MESSAGES-CUSTOM: :[[@LINE-1]]:5: warning: 'mylib::derived_client::call' blocks while a lock is held
  std::this_thread::sleep_for(std::chrono::milliseconds(1)); // the defaults stay
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:3: warning: 'std::this_thread::sleep_for' blocks while a lock is held
  // CHECK-MESSAGES-CUSTOM: :[[@LINE-2]]:3: warning: 'std::this_thread::sleep_for' blocks while a lock is held
}

void g() {
  mylib::guard gd(s);
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // CHECK-MESSAGES-CUSTOM: :[[@LINE-1]]:3: warning: 'std::this_thread::sleep_for' blocks while a lock is held
}

void h() {
  s.lock();
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // CHECK-MESSAGES-CUSTOM: :[[@LINE-1]]:3: warning: 'std::this_thread::sleep_for' blocks while a lock is held
  s.unlock();
}
