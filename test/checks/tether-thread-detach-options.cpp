// tether-thread-detach options: ThreadTypes and DetachFunctions.

// RUN: %check_tidy -check-suffix=DEFAULT %s tether-thread-detach %t

// Custom lists replace the defaults.
// RUN: %check_tidy -check-suffix=CUSTOM %s tether-thread-detach %t -- \
// RUN:   -config="{CheckOptions: {tether-thread-detach.ThreadTypes: '::mylib::worker_thread;boost::thread', tether-thread-detach.DetachFunctions: '::mylib::detach_handle'}}"

// Empty lists turn the respective part off.
// RUN: %check_tidy -check-suffix=EMPTY %s tether-thread-detach %t -- \
// RUN:   -config="{CheckOptions: {tether-thread-detach.ThreadTypes: '', tether-thread-detach.DetachFunctions: ''}}"

// Written back for --dump-config.
// RUN: %tether_tidy --checks='-*,tether-thread-detach' --dump-config \
// RUN:   --config="{CheckOptions: {tether-thread-detach.DetachFunctions: '::pthread_detach;::mylib::detach_handle'}}" \
// RUN:   %s -- | FileCheck %s --check-prefix=DUMP
// DUMP-DAG: tether-thread-detach.DetachFunctions: '::pthread_detach;::mylib::detach_handle'
// DUMP-DAG: tether-thread-detach.ThreadTypes: '::std::thread;::std::jthread;::boost::thread'

// Bad names: configuration errors naming the option, exit code exactly 1.
// RUN: %python -c "import subprocess, sys; sys.exit(0 if subprocess.call(sys.argv[1:]) == 1 else 1)" \
// RUN:   %tether_tidy %s --checks='-*,tether-thread-detach' \
// RUN:   --config="{CheckOptions: {tether-thread-detach.ThreadTypes: 'std::thread*', tether-thread-detach.DetachFunctions: '::pthread_detach;3detach'}}" \
// RUN:   -- -std=c++20 -I%tether_inputs 2>&1 | FileCheck %s --check-prefix=BAD
// BAD-DAG: error: invalid qualified name 'std::thread*' in option 'tether-thread-detach.ThreadTypes': expected a name such as 'ns::function' or 'ns::Class::method' [clang-tidy-config]
// BAD-DAG: error: invalid qualified name '3detach' in option 'tether-thread-detach.DetachFunctions'
// The valid entries still apply (see BAD-DAG below).

#include <boost/thread.hpp>
#include <pthread.h>
#include <thread>

namespace mylib {
class worker_thread {
public:
  explicit worker_thread(void (*)());
  void detach();
};
void detach_handle(int);
} // namespace mylib

void work();

void uses(std::thread &t, boost::thread &b, mylib::worker_thread &w) {
  t.detach();
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:5: warning: 'detach()' makes this thread unowned
  b.detach();
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:5: warning: 'detach()' makes this thread unowned
  // CHECK-MESSAGES-CUSTOM: :[[@LINE-2]]:5: warning: 'detach()' makes this thread unowned
  w.detach();
  // CHECK-MESSAGES-CUSTOM: :[[@LINE-1]]:5: warning: 'detach()' makes this thread unowned
  pthread_detach(pthread_self());
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:3: warning: 'pthread_detach()' makes this thread unowned
  // BAD-DAG: :[[@LINE-2]]:3: warning: 'pthread_detach()' makes this thread unowned
  mylib::detach_handle(3);
  // CHECK-MESSAGES-CUSTOM: :[[@LINE-1]]:3: warning: 'detach_handle()' makes this thread unowned
}
