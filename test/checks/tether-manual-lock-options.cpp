// tether-manual-lock options: MutexTypes and LockFunctions.

// RUN: %check_tidy -check-suffix=DEFAULT %s tether-manual-lock %t

// Custom lists replace the defaults.
// RUN: %check_tidy -check-suffix=CUSTOM %s tether-manual-lock %t -- \
// RUN:   -config="{CheckOptions: {tether-manual-lock.MutexTypes: '::mylib::spinlock', tether-manual-lock.LockFunctions: '::mylib_lock'}}"

// Empty lists turn the check off.
// RUN: %check_tidy -check-suffix=EMPTY %s tether-manual-lock %t -- \
// RUN:   -config="{CheckOptions: {tether-manual-lock.MutexTypes: '', tether-manual-lock.LockFunctions: ''}}"

// Written back for --dump-config.
// RUN: %tether_tidy --checks='-*,tether-manual-lock' --dump-config \
// RUN:   --config="{CheckOptions: {tether-manual-lock.MutexTypes: '::std::mutex;::mylib::spinlock'}}" \
// RUN:   %s -- | FileCheck %s --check-prefix=DUMP
// DUMP-DAG: tether-manual-lock.MutexTypes: '::std::mutex;::mylib::spinlock'
// DUMP-DAG: tether-manual-lock.LockFunctions: '::pthread_mutex_lock;::pthread_mutex_trylock;::pthread_mutex_timedlock;::pthread_mutex_unlock'

// Bad names: configuration errors naming the option in full, exit code exactly 1.
// RUN: %python -c "import subprocess, sys; sys.exit(0 if subprocess.call(sys.argv[1:]) == 1 else 1)" \
// RUN:   %tether_tidy %s --checks='-*,tether-manual-lock' \
// RUN:   --config="{CheckOptions: {tether-manual-lock.MutexTypes: 'std::mutex*', tether-manual-lock.LockFunctions: '3lock'}}" \
// RUN:   -- -std=c++20 2>&1 | FileCheck %s --check-prefix=BAD
// BAD-DAG: error: invalid qualified name 'std::mutex*' in option 'tether-manual-lock.MutexTypes'
// BAD-DAG: error: invalid qualified name '3lock' in option 'tether-manual-lock.LockFunctions'

#include <mutex>
#include <pthread.h>

namespace mylib {
class spinlock {
public:
  void lock();
  void unlock();
};
} // namespace mylib
void mylib_lock(int);

std::mutex m;
mylib::spinlock s;
pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;

void f() {
  m.lock();
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:5: warning: manual 'lock()' on 'std::mutex'
  s.lock();
  // CHECK-MESSAGES-CUSTOM: :[[@LINE-1]]:5: warning: manual 'lock()' on 'mylib::spinlock'
  pthread_mutex_lock(&pm);
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:3: warning: manual 'pthread_mutex_lock()'
  mylib_lock(1);
  // CHECK-MESSAGES-CUSTOM: :[[@LINE-1]]:3: warning: manual 'mylib_lock()'
}
