// RUN: %check_tidy %s tether-background-context %t
// clang-tidy drops identical diagnostics, the compiler plugin forwards each one: count them there.
// RUN: %clangxx -fsyntax-only -std=c++20 -I%tether_inputs -fplugin=%tether_plugin \
// RUN:   '-fplugin-arg-tether-checks=-*,tether-background-context' %s 2>&1 \
// RUN:   | grep -c 'warning: ' | FileCheck %s --check-prefix=ONCE
// ONCE: {{^}}3{{$}}

// Templates (as tether-raw-thread): a call with dependent arguments is unresolved in the template as
// written. When its overload set is one function and argument-dependent lookup cannot add others
// (a qualified call), that function is the callee whatever the template arguments are: a root passed
// to it is judged as written, also where nothing instantiates the template, and reported once with
// the instantiations.

#include "unguarded-loop/tether_mock.h"

template <class T> struct service {
  void start() {
    tether::safe_go(tether::background(), "service", tether::policy::keep_running, [this] { run(); });
    // CHECK-NOTES: :[[@LINE-1]]:21: warning: 'tether::background()' passed to 'tether::safe_go' is never cancelled; derive from the caller's context
  }
  void run();
};

template <class F> void go(F f) {
  tether::safe_go(tether::context{}, "go", tether::policy::keep_running, f);
  // CHECK-NOTES: :[[@LINE-1]]:19: warning: default-constructed 'tether::context' passed to 'tether::safe_go' is never cancelled; derive from the caller's context
}

// Instantiated twice: once.
template <class F> void twice(F f) {
  tether::safe_go(tether::background(), "twice", tether::policy::keep_running, f);
  // CHECK-NOTES: :[[@LINE-1]]:19: warning: 'tether::background()' passed to 'tether::safe_go' is never cancelled; derive from the caller's context
}
void use() {
  twice([] {});
  twice(+[] {});
}

// Unqualified with dependent arguments: argument-dependent lookup may find another function, which
// only an instantiation shows.
namespace app {
void start(const tether::context &, int);
}
template <class T> void adl(T t) {
  using app::start;
  start(tether::background(), t);
}
