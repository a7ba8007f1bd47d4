// RUN: %check_tidy %s tether-unguarded-loop %t
// RUN: %check_tidy -check-suffix=OPT %s tether-unguarded-loop %t -- \
// RUN:   -config="{CheckOptions: {tether-unguarded-loop.CancellationFunctions: '::app::stopper::should_stop'}}"
// clang-tidy drops identical diagnostics, the compiler plugin forwards each one: count them there
// to be sure every loop is reported exactly once although some templates are instantiated twice.
// RUN: %clangxx -fsyntax-only -std=c++20 -I%tether_inputs -fplugin=%tether_plugin \
// RUN:   '-fplugin-arg-tether-checks=-*,tether-unguarded-loop' %s 2>&1 \
// RUN:   | grep -c 'warning: ' | FileCheck %s --check-prefix=ONCE
// ONCE: {{^}}8{{$}}

// Templates are judged as written, also where no translation unit instantiates them. A loop with no
// exit is unguarded unless a call in it could be a cancellation check: a call whose candidates include
// a check (an overload set, `tether::sleep_for(ctx_, d)`), a member of a dependent type with the name
// of one (`tok_.stop_requested()`, `flag_.load()`, a CancellationFunctions name), a call that may
// receive a token (an argument of a dependent type, unless no candidate can take one), or a flag of a
// dependent type read as a condition. Those hinge on the template arguments and are judged by the
// instantiations in the translation unit, if any.

#include <atomic>
#include <chrono>
#include <thread>
#include "unguarded-loop/tether_mock.h"

void work();
void accept_one();
namespace app {
struct stopper {
  bool should_stop();
};
} // namespace app

// --- A header-only server: member templates nothing calls ---------------------------------------

template <class Handler> class basic_server {
public:
  void run_async() {
    std::thread([this] {
      for (;;) {
      // CHECK-NOTES: :[[@LINE-1]]:7: warning: loop never exits and never checks for cancellation
      // CHECK-MESSAGES-OPT: :[[@LINE-2]]:7: warning: loop never exits and never checks for cancellation
        accept_one();
        m_handler.handle();
      }
    }).detach();
  }
  template <class Fn> void serve(Fn fn) {
    while (true) {
    // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop never exits and never checks for cancellation
    // CHECK-MESSAGES-OPT: :[[@LINE-2]]:5: warning: loop never exits and never checks for cancellation
      fn();
      ++m_served;
    }
  }
  void tick() {
    for (;;) {
    // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop never exits and never checks for cancellation
    // CHECK-NOTES: :[[@LINE--2]]:7: note: sleeps without looking at cancellation
    // CHECK-MESSAGES-OPT: :[[@LINE-3]]:5: warning: loop never exits and never checks for cancellation
      std::this_thread::sleep_for(m_interval);
      m_handler.flush();
    }
  }
  void stop_by_option() {
    for (;;) {
    // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop never exits and never checks for cancellation
      m_stopper.should_stop();
      work();
    }
  }

private:
  Handler m_handler;
  typename Handler::request m_pending;
  typename Handler::counter m_served;
  typename Handler::interval m_interval;
  typename Handler::stopper m_stopper;
};

// A thread pool class template in a header: its worker loop.
template <class Task> class thread_pool {
public:
  void worker() {
    for (;;) {
    // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop never exits and never checks for cancellation
    // CHECK-MESSAGES-OPT: :[[@LINE-2]]:5: warning: loop never exits and never checks for cancellation
      Task t = m_queue.pop();
      t();
    }
  }

private:
  struct queue {
    Task pop();
  } m_queue;
};

// --- Instantiated and written: once, with the verdict as written ----------------------------------

struct fatal_handler {
  [[noreturn]] void handle();
};
struct plain_handler {
  void handle();
};
template <class H> struct dispatcher {
  void run() {
    for (;;) m_h.handle();
    // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop never exits and never checks for cancellation
    // CHECK-MESSAGES-OPT: :[[@LINE-2]]:5: warning: loop never exits and never checks for cancellation
  }
  H m_h;
};
// As written the loop has no exit; an instantiation whose handle() is noreturn does not make every
// other translation unit (which may not instantiate it) wrong: reported once.
template struct dispatcher<fatal_handler>;
template struct dispatcher<plain_handler>;

// --- Macros ------------------------------------------------------------------------------------------

#define SERVE_FOREVER(q) for (;;) (q).poll()
template <class Q> struct poller {
  void run() { SERVE_FOREVER(m_q); }
  // CHECK-NOTES: :[[@LINE-1]]:16: warning: loop never exits and never checks for cancellation
  // CHECK-MESSAGES-OPT: :[[@LINE-2]]:16: warning: loop never exits and never checks for cancellation
  void again() { SERVE_FOREVER(m_q); }
  // CHECK-NOTES: :[[@LINE-1]]:18: warning: loop never exits and never checks for cancellation
  // CHECK-MESSAGES-OPT: :[[@LINE-2]]:18: warning: loop never exits and never checks for cancellation
  Q m_q;
};

// --- The verdict hinges on a template argument: not judged as written --------------------------------

template <class Token> struct hinges {
  void by_name() {
    for (;;) {
      if (m_tok.stop_requested()) {}
      work();
    }
  }
  void by_atomic_member() {
    while (true) {
      m_flag.load();
      work();
    }
  }
  void by_flag() {
    for (;;) {
      if (!m_flag) {}
      work();
    }
  }
  void by_argument() {
    for (;;) {
      step(m_tok); // argument-dependent lookup may find a step(std::stop_token)
      work();
    }
  }
  void by_member_argument() {
    for (;;) m_worker.process(m_tok); // a member of unknown type, given what may be a token
  }
  void by_overload() {
    for (;;) tether::sleep_for(m_ctx, std::chrono::milliseconds(10));
  }
  void by_condition() {
    while (Token::forever) work();
  }
  Token m_tok;
  Token m_flag;
  Token m_ctx;
  Token m_worker;
};
