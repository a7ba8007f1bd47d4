// tether-plain-stop-flag options: ThreadTypes, SpawnFunctions, ThreadBodies (what runs on another
// thread), LockTypes (a read under one is synchronized), SafeTypes (typedefs that are safe flags),
// IntegerFlags (integers and enums as flags).

// RUN: %check_tidy -check-suffix=DEFAULT %s tether-plain-stop-flag %t -- -- -std=c++20

// RUN: %check_tidy -check-suffix=CUSTOM %s tether-plain-stop-flag %t -- \
// RUN:   -config="{CheckOptions: {tether-plain-stop-flag.ThreadTypes: '::mylib::thread', tether-plain-stop-flag.SpawnFunctions: '::mylib::run_async;::mylib::pool::submit', tether-plain-stop-flag.ThreadBodies: '::mylib::runnable::run', tether-plain-stop-flag.LockTypes: '::mylib::guard', tether-plain-stop-flag.SafeTypes: '::mylib::safe_flag_t', tether-plain-stop-flag.IntegerFlags: false}}" \
// RUN:   -- -std=c++20

// Written back for --dump-config.
// RUN: %tether_tidy --checks='-*,tether-plain-stop-flag' --dump-config \
// RUN:   --config="{CheckOptions: {tether-plain-stop-flag.ThreadBodies: '::mylib::runnable::run', tether-plain-stop-flag.IntegerFlags: 'false'}}" \
// RUN:   %s -- | FileCheck %s --check-prefix=DUMP
// DUMP-DAG: tether-plain-stop-flag.ThreadBodies: '::mylib::runnable::run'
// DUMP-DAG: tether-plain-stop-flag.IntegerFlags: 'false'
// DUMP-DAG: tether-plain-stop-flag.ThreadTypes: '::std::thread;::std::jthread;::boost::thread'
// DUMP-DAG: tether-plain-stop-flag.SpawnFunctions: '::pthread_create;::thrd_create;::std::async'
// DUMP-DAG: tether-plain-stop-flag.LockTypes: '::std::lock_guard;::std::scoped_lock;::std::unique_lock;::std::shared_lock'
// DUMP-DAG: tether-plain-stop-flag.SafeTypes: ''

// Bad values: configuration errors naming the option in full, exit code exactly 1.
// RUN: %python -c "import subprocess, sys; sys.exit(0 if subprocess.call(sys.argv[1:]) == 1 else 1)" \
// RUN:   %tether_tidy %s --checks='-*,tether-plain-stop-flag' \
// RUN:   --config="{CheckOptions: {tether-plain-stop-flag.ThreadBodies: '3run', tether-plain-stop-flag.SafeTypes: 'flag<int>', tether-plain-stop-flag.IntegerFlags: 'maybe'}}" \
// RUN:   -- -std=c++20 2>&1 | FileCheck %s --check-prefix=BAD
// BAD-DAG: error: invalid qualified name '3run' in option 'tether-plain-stop-flag.ThreadBodies'
// BAD-DAG: error: invalid qualified name 'flag<int>' in option 'tether-plain-stop-flag.SafeTypes'
// BAD-DAG: error: invalid configuration value 'maybe' for option 'tether-plain-stop-flag.IntegerFlags'

// --verify-config sees them too.
// RUN: %python -c "import subprocess, sys; sys.exit(0 if subprocess.call(sys.argv[1:]) == 1 else 1)" \
// RUN:   %tether_tidy --verify-config --checks='-*,tether-plain-stop-flag' \
// RUN:   --config="{CheckOptions: {tether-plain-stop-flag.LockTypes: '::a::;b'}}" 2>&1 | FileCheck %s --check-prefix=VERIFY
// VERIFY: error: invalid qualified name '::a::' in option 'tether-plain-stop-flag.LockTypes'

#include <mutex>
#include <thread>

void work();

namespace mylib {
class thread {
public:
  template <class F>
  explicit thread(F &&f);
};
template <class F>
void run_async(F &&f) {}
class pool {
public:
  template <class F>
  void submit(F &&f) {}
};
class runnable {
public:
  virtual ~runnable() = default;
  virtual void run() = 0;
};
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
typedef bool safe_flag_t; // e.g. a single-core target's flag, written with barriers
} // namespace mylib

// ThreadTypes: a project's own thread class.
class OwnThread {
public:
  OwnThread() : t_([this] { loop(); }) {}
  void stop() { running_ = false; }

private:
  void loop() {
    while (running_)
      // CHECK-MESSAGES-CUSTOM: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'running_'
      work();
  }
  bool running_ = true;
  mylib::thread t_;
};

// SpawnFunctions: a free function and a member function that run their argument on another thread.
bool g_stop_async, g_stop_pool;
void stop_all() {
  g_stop_async = true;
  g_stop_pool = true;
}
void start(mylib::pool &p) {
  mylib::run_async([] {
    while (!g_stop_async)
      // CHECK-MESSAGES-CUSTOM: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'g_stop_async'
      work();
  });
  p.submit([] {
    while (!g_stop_pool)
      // CHECK-MESSAGES-CUSTOM: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'g_stop_pool'
      work();
  });
}

// ThreadBodies: an override of the runnable interface runs on a thread of its own.
class Task : public mylib::runnable {
public:
  void run() override {
    while (!cancelled_)
      // CHECK-MESSAGES-CUSTOM: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'cancelled_'
      work();
  }
  void cancel() { cancelled_ = true; }

private:
  bool cancelled_ = false;
};

// LockTypes: a read under the project's own guard is synchronized.
class Guarded {
public:
  Guarded() : t_([this] { loop(); }) {}
  void stop() { stop_ = true; }

private:
  void loop() {
    mylib::guard g(lock_);
    while (!stop_)
      // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'stop_'
      work();
  }
  mylib::spinlock lock_;
  bool stop_ = false;
  std::thread t_;
};

// SafeTypes and IntegerFlags.
class Typed {
public:
  Typed() : t_([this] { a(); b(); }) {}
  void stop() {
    safe_ = true;
    level_ = 0;
  }

private:
  void a() {
    while (!safe_)
      // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:5: warning: loop waits for plain 'mylib::safe_flag_t' (aka 'bool') flag 'safe_'
      work();
  }
  void b() {
    while (level_)
      // CHECK-MESSAGES-DEFAULT: :[[@LINE-1]]:5: warning: loop waits for plain 'int' flag 'level_'
      work();
  }
  mylib::safe_flag_t safe_ = false;
  int level_ = 1;
  std::thread t_;
};
