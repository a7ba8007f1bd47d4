// tether-raw-thread options: ThreadTypes, SpawnFunctions, AllowedFileRegex, AllowedNamespaces.

// Defaults: everything below is reported, also in the (non-system) runtime header.
// RUN: %check_tidy -check-suffix=DEFAULT %s tether-raw-thread %t

// AllowedFileRegex: the runtime's implementation files may spawn (searched in the file path).
// RUN: %check_tidy -check-suffix=FILE %s tether-raw-thread %t -- \
// RUN:   -config="{CheckOptions: {tether-raw-thread.AllowedFileRegex: 'raw-thread-runtime/.*\.h$'}}"

// AllowedNamespaces: code inside these namespaces (and namespaces nested in them) may spawn.
// RUN: %check_tidy -check-suffix=NS %s tether-raw-thread %t -- \
// RUN:   -config="{CheckOptions: {tether-raw-thread.AllowedNamespaces: 'tether::detail; ::vetted'}}"

// ThreadTypes / SpawnFunctions replace the defaults (std:: and pthread are then not reported).
// RUN: %check_tidy -check-suffix=TYPES %s tether-raw-thread %t -- \
// RUN:   -config="{CheckOptions: {tether-raw-thread.ThreadTypes: '::mylib::worker_thread', tether-raw-thread.SpawnFunctions: '::mylib::spawn_detached;::boost::thread_group::create_thread'}}"

// Empty lists turn the respective part off.
// RUN: %check_tidy -check-suffix=EMPTY %s tether-raw-thread %t -- \
// RUN:   -config="{CheckOptions: {tether-raw-thread.ThreadTypes: '', tether-raw-thread.SpawnFunctions: ''}}"

// Every option is written back (--dump-config shows it).
// RUN: %tether_tidy --checks='-*,tether-raw-thread' --dump-config \
// RUN:   --config="{CheckOptions: {tether-raw-thread.AllowedFileRegex: 'src/runtime/', tether-raw-thread.AllowedNamespaces: 'tether::detail', tether-raw-thread.ThreadTypes: '::std::thread;::folly::thread'}}" \
// RUN:   %s -- | FileCheck %s --check-prefix=DUMP
// DUMP-DAG: tether-raw-thread.AllowedFileRegex: 'src/runtime/'
// DUMP-DAG: tether-raw-thread.AllowedNamespaces: 'tether::detail'
// DUMP-DAG: tether-raw-thread.SpawnFunctions: '::pthread_create;::thrd_create;::std::async'
// DUMP-DAG: tether-raw-thread.ThreadTypes: '::std::thread;::folly::thread'

// Bad values are configuration errors: a clear message, and clang-tidy exits with 1 (asserted
// exactly by the wrapper). The run still completes.
// RUN: %python -c "import subprocess, sys; sys.exit(0 if subprocess.call(sys.argv[1:]) == 1 else 1)" \
// RUN:   %tether_tidy %s --checks='-*,tether-raw-thread' \
// RUN:   --config="{CheckOptions: {tether-raw-thread.AllowedFileRegex: 'runtime/(impl'}}" \
// RUN:   -- -std=c++20 -I%tether_inputs 2>&1 | FileCheck %s --check-prefix=BADREGEX
// BADREGEX: error: invalid regular expression 'runtime/(impl' for option 'tether-raw-thread.AllowedFileRegex': parentheses not balanced [clang-tidy-config]
// BADREGEX: Found compiler error(s).

// RUN: %python -c "import subprocess, sys; sys.exit(0 if subprocess.call(sys.argv[1:]) == 1 else 1)" \
// RUN:   %tether_tidy %s --checks='-*,tether-raw-thread' \
// RUN:   --config="{CheckOptions: {tether-raw-thread.ThreadTypes: '::std::thread;std::vector<std::thread>', tether-raw-thread.SpawnFunctions: 'pthread create', tether-raw-thread.AllowedNamespaces: 'tether::'}}" \
// RUN:   -- -std=c++20 -I%tether_inputs 2>&1 | FileCheck %s --check-prefix=BADNAMES
// BADNAMES-DAG: error: invalid qualified name 'std::vector<std::thread>' in option 'tether-raw-thread.ThreadTypes'
// BADNAMES-DAG: error: invalid qualified name 'pthread create' in option 'tether-raw-thread.SpawnFunctions'
// BADNAMES-DAG: error: invalid qualified name 'tether::' in option 'tether-raw-thread.AllowedNamespaces'

#include "raw-thread-runtime/spawn_impl.h"
// CHECK-MESSAGES-DEFAULT: spawn_impl.h:10:10: warning: raw thread creation with 'std::thread'; spawn
// CHECK-MESSAGES-NS: spawn_impl.h:10:10: warning: raw thread creation with 'std::thread'; spawn

#include <boost/thread.hpp>
#include <future>
#include <pthread.h>
#include <thread>

void work();
void *pthread_main(void *);

namespace mylib {
class worker_thread {
public:
  worker_thread();
  explicit worker_thread(void (*fn)());
  void join();
};
void spawn_detached(void (*fn)());
} // namespace mylib

void user_code() {
  std::thread t(work);
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:15: warning: raw thread creation with 'std::thread'; spawn
  // CHECK-MESSAGES-FILE: :[[@LINE-2]]:15: warning: raw thread creation with 'std::thread'; spawn
  // CHECK-MESSAGES-NS: :[[@LINE-3]]:15: warning: raw thread creation with 'std::thread'; spawn
  t.join();
  runtime_impl::start_worker(work).join(); // the spawn is in the header

  pthread_t pt;
  pthread_create(&pt, nullptr, pthread_main, nullptr);
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:3: warning: call to 'pthread_create' starts
  // CHECK-MESSAGES-FILE: :[[@LINE-2]]:3: warning: call to 'pthread_create' starts
  // CHECK-MESSAGES-NS: :[[@LINE-3]]:3: warning: call to 'pthread_create' starts
  auto f = std::async(work);
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:12: warning: call to 'std::async' starts
  // CHECK-MESSAGES-FILE: :[[@LINE-2]]:12: warning: call to 'std::async' starts
  // CHECK-MESSAGES-NS: :[[@LINE-3]]:12: warning: call to 'std::async' starts

  mylib::worker_thread w(work);
  // CHECK-MESSAGES-TYPES: :[[@LINE-1]]:24: warning: raw thread creation with 'mylib::worker_thread'; spawn
  mylib::worker_thread idle;
  mylib::spawn_detached(work);
  // CHECK-MESSAGES-TYPES: :[[@LINE-1]]:3: warning: call to 'mylib::spawn_detached' starts an untracked thread
  boost::thread_group group;
  group.create_thread(work);
  // CHECK-MESSAGES-TYPES: :[[@LINE-1]]:9: warning: call to 'boost::thread_group::create_thread' starts an untracked thread
  group.join_all();
}

namespace tether::detail {
// The runtime's own spawning code: allowed by AllowedNamespaces=tether::detail.
inline std::thread start(void (*fn)()) { return std::thread(fn); }
// CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:49: warning: raw thread creation with 'std::thread'; spawn
// CHECK-MESSAGES-FILE: :[[@LINE-2]]:49: warning: raw thread creation with 'std::thread'; spawn
namespace impl {
// Nested namespaces are allowed too; so are lambdas and classes inside them.
struct pool {
  std::thread member{work};
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:21: warning: raw thread creation with 'std::thread'; spawn
  // CHECK-MESSAGES-FILE: :[[@LINE-2]]:21: warning: raw thread creation with 'std::thread'; spawn
  void grow();
};
} // namespace impl
} // namespace tether::detail

// An out-of-line member definition belongs to its class's namespace.
void tether::detail::impl::pool::grow() {
  auto spawn = [] {
    pthread_t pt;
    pthread_create(&pt, nullptr, pthread_main, nullptr);
    // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:5: warning: call to 'pthread_create' starts
    // CHECK-MESSAGES-FILE: :[[@LINE-2]]:5: warning: call to 'pthread_create' starts
  };
  spawn();
}

namespace tether {
// Only tether::detail is allowed, not all of tether.
inline void not_detail() { std::thread(work).join(); }
// CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:28: warning: raw thread creation with 'std::thread'; spawn
// CHECK-MESSAGES-FILE: :[[@LINE-2]]:28: warning: raw thread creation with 'std::thread'; spawn
// CHECK-MESSAGES-NS: :[[@LINE-3]]:28: warning: raw thread creation with 'std::thread'; spawn
} // namespace tether

namespace vetted {
// Anchored '::vetted': allowed.
inline void ok() { std::thread(work).join(); }
// CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:20: warning: raw thread creation with 'std::thread'; spawn
// CHECK-MESSAGES-FILE: :[[@LINE-2]]:20: warning: raw thread creation with 'std::thread'; spawn
} // namespace vetted

namespace outer::vetted {
// ...but '::vetted' does not allow an 'outer::vetted'.
inline void not_ok() { std::thread(work).join(); }
// CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:24: warning: raw thread creation with 'std::thread'; spawn
// CHECK-MESSAGES-FILE: :[[@LINE-2]]:24: warning: raw thread creation with 'std::thread'; spawn
// CHECK-MESSAGES-NS: :[[@LINE-3]]:24: warning: raw thread creation with 'std::thread'; spawn
} // namespace outer::vetted

namespace outer::tether::detail {
// Unanchored 'tether::detail' matches in any enclosing namespace.
inline void nested() { std::thread(work).join(); }
// CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:24: warning: raw thread creation with 'std::thread'; spawn
// CHECK-MESSAGES-FILE: :[[@LINE-2]]:24: warning: raw thread creation with 'std::thread'; spawn
} // namespace outer::tether::detail

// Boost is a default thread type.
void boost_default() {
  boost::thread bt(work);
  // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:17: warning: raw thread creation with 'boost::thread'; spawn
  // CHECK-MESSAGES-FILE: :[[@LINE-2]]:17: warning: raw thread creation with 'boost::thread'; spawn
  // CHECK-MESSAGES-NS: :[[@LINE-3]]:17: warning: raw thread creation with 'boost::thread'; spawn
  bt.join();
}
