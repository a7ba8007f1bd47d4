// RUN: %check_tidy %s tether-unguarded-loop %t
// clang-tidy drops identical diagnostics, the compiler plugin forwards each one: count them there
// to be sure every loop is reported exactly once (16 = the CHECK-MESSAGES lines below).
// RUN: %clangxx -fsyntax-only -std=c++20 -I%tether_inputs -fplugin=%tether_plugin \
// RUN:   '-fplugin-arg-tether-checks=-*,tether-unguarded-loop' %s 2>&1 \
// RUN:   | grep -c 'warning: loop never' | FileCheck %s --check-prefix=ONCE
// ONCE: {{^}}16{{$}}

// Templates are reported once, at the template, however often they are instantiated. A template
// whose verdict does not hinge on its arguments is judged by its definition (even if never
// instantiated); one whose verdict does (a dependent condition, a call on a `T` with the name of a
// cancellation check, an argument that may be a token) is judged by its instantiations in the
// translation unit. (tether-unguarded-loop-templates.cpp has more.)
// Macros are reported at the user's spelling: the macro use for a loop written inside a macro
// (once per use), the loop keyword for a loop passed as a macro argument.

#include <atomic>
#include <stop_token>
#include <thread>
#include "unguarded-loop/tether_mock.h"

void work();
bool poll();
struct Poller { void poll(); };
struct Other { void poll(); };

// --- Templates -------------------------------------------------------------------------------

template <class T> void forever_independent(T) {
  for (;;) { work(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation; check a 'std::stop_token' or 'tether::context' in it, or use 'tether::every' for periodic work [tether-unguarded-loop]
}

template <class T> void never_instantiated() {
  while (true) { work(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}

template <class T> void forever_dependent(T t) {
  for (;;) { t.poll(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}

// A call on a T that cannot be a cancellation check (not the name of one, no argument): judged as
// written, also without an instantiation.
template <class T> void dependent_not_instantiated(T t) {
  for (;;) { t.poll(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}
// The verdict hinges on T (`t.stop_requested()` may be std::stop_token's), and no instantiation
// exists: nothing to judge.
template <class T> void hinges_not_instantiated(T t) {
  for (;;) { if (t.stop_requested()) {} work(); }
}

// Generic over the context type: guarded once instantiated with a real context.
template <class Ctx> void generic_context(Ctx &ctx) {
  for (;;) {
    if (ctx.cancelled()) {}
    work();
  }
}
void step(const tether::context &ctx);
template <class Ctx> void generic_step(Ctx &ctx) {
  for (;;) step(ctx);
}
template <class Flag> void generic_flag(Flag &flag) {
  while (true) {
    if (flag) {}
    work();
  }
}

// A dependent condition: unbounded only for Forever == true.
template <bool Forever> void spin() {
  while (Forever) { work(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}
template <bool Forever> void spin_only_false() {
  while (Forever) { work(); }
}

template <class T> struct Pool {
  void run() {
    for (;;) {
    // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: loop never exits and never checks
      work();
    }
  }
  void run_guarded(std::stop_token tok) {
    for (;;) {
      if (tok.stop_requested()) return;
      work();
    }
  }
};

// Judged by the pattern, which has a way out; that some instantiations discard it is not held
// against the template.
template <class T> void maybe_break() {
  for (;;) {
    if constexpr (sizeof(T) > 1)
      break;
    work();
  }
}

// Declared first, defined after its instantiation is requested.
template <class T> void defined_late(T t);
void use_late() { defined_late(Poller{}); defined_late(Other{}); }
template <class T> void defined_late(T t) {
  for (;;) t.poll();
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}

std::atomic<bool> stop{false};
void instantiate_all() {
  forever_independent(1);
  forever_independent(2.0);
  forever_dependent(Poller{});
  forever_dependent(Other{});
  tether::context ctx;
  generic_context(ctx);
  generic_step(ctx);
  generic_flag(stop);
  spin<true>();
  spin<false>();
  spin_only_false<false>();
  maybe_break<char>();
  maybe_break<int>();
  Pool<int>().run();
  Pool<long>().run();
  Pool<int>().run_guarded({});

  // A generic lambda is a template too.
  auto generic = [](auto p) {
    for (;;) p.poll();
    // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: loop never exits and never checks
  };
  generic(Poller{});
  generic(Other{});

  // A lambda handed to a thread, in a template.
}

template <class Fn> void start_worker(Fn fn) {
  std::thread([fn] {
    for (;;) {
    // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: loop never exits and never checks
      fn();
    }
  }).detach();
}
void use_worker() {
  start_worker([] { work(); });
  start_worker(&work);
}

// An explicit specialization is its own code.
template <class T> void special() {}
template <> void special<int>() {
  for (;;) work();
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}

// --- Macros ----------------------------------------------------------------------------------

#define FOREVER for (;;)
#define SPIN_WORK() do { work(); } while (1)
#define GUARDED_LOOP(tok) while (true) { if ((tok).stop_requested()) break; work(); }
#define RUN(stmt) stmt
#define ALWAYS 1
#define BAIL break
#define STOP_IF(tok) if ((tok).stop_requested()) return

void macros(std::stop_token tok) {
  FOREVER { work(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks

  SPIN_WORK();
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
  SPIN_WORK();
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks

  GUARDED_LOOP(tok);

  RUN(for (;;) work(););
  // CHECK-MESSAGES: :[[@LINE-1]]:7: warning: loop never exits and never checks

  while (ALWAYS) { work(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks

  FOREVER { if (!poll()) BAIL; }

  FOREVER {
    STOP_IF(tok);
    work();
  }
}

// A macro in a template, instantiated twice: once.
template <class T> void macro_in_template() {
  FOREVER { work(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}
void use_macro_in_template() {
  macro_in_template<int>();
  macro_in_template<char>();
}
