// RUN: %check_tidy %s tether-background-context %t
//
// RootFunctions: where a root is allowed (replaces the default, main).
// RUN: %check_tidy -check-suffix=ROOTS %s tether-background-context %t -- \
// RUN:   -config="{CheckOptions: {tether-background-context.RootFunctions: 'main;app::service_main'}}" -- -std=c++20
//
// TestFileRegex: files of test code (this file is one when the regex says so).
// RUN: %check_tidy -check-suffix=TESTFILE %s tether-background-context %t -- \
// RUN:   -config="{CheckOptions: {tether-background-context.TestFileRegex: 'background-context\.cpp$'}}" -- -std=c++20
//
// The default TestFileRegex knows common test file and directory names; an empty one knows none.
// RUN: %tether_tidy --checks='-*,tether-background-context' --quiet %tether_inputs/background-context/audit_test.cpp \
// RUN:   %tether_inputs/background-context/tests/poller.cpp -- -std=c++20 -I%tether_inputs 2>&1 \
// RUN:   | not grep 'warning:'
// RUN: %tether_tidy --checks='-*,tether-background-context' --quiet %tether_inputs/background-context/audit_test.cpp \
// RUN:   %tether_inputs/background-context/tests/poller.cpp --config="{CheckOptions: {tether-background-context.TestFileRegex: ''}}" \
// RUN:   -- -std=c++20 -I%tether_inputs 2>&1 | FileCheck %s --check-prefix=NO-TESTS
// NO-TESTS: audit_test.cpp:4:19: warning: 'tether::background()' passed to 'tether::safe_go' is never cancelled
// NO-TESTS: poller.cpp:4:33: warning: default-constructed 'tether::context' passed to 'poll_once' is never cancelled
//
// Every option is written back as written; bad values are configuration errors naming the option in full.
// RUN: %tether_tidy %s --checks='-*,tether-background-context' --dump-config -- -std=c++20 | FileCheck %s --check-prefix=DUMP
// DUMP-DAG: tether-background-context.RootFunctions: main
// DUMP-DAG: tether-background-context.TestFileRegex: '(^|/)(tests|unittests?|testing)/|[_-](unit)?tests?\.[^./]+$|(^|/)test_[^/]*$'
// RUN: %tether_tidy %s --checks='-*,tether-background-context' --dump-config \
// RUN:   --config="{CheckOptions: {tether-background-context.RootFunctions: 'main; app::run ', tether-background-context.TestFileRegex: ''}}" \
// RUN:   -- -std=c++20 | FileCheck %s --check-prefix=DUMP-SET
// DUMP-SET-DAG: tether-background-context.RootFunctions: 'main; app::run '
// DUMP-SET-DAG: tether-background-context.TestFileRegex: ''
// RUN: not %tether_tidy %s --checks='-*,tether-background-context' \
// RUN:   --config="{CheckOptions: {tether-background-context.RootFunctions: 'main;app::', tether-background-context.TestFileRegex: '(unbalanced'}}" \
// RUN:   -- -std=c++20 2>&1 | FileCheck %s --check-prefix=BAD
// BAD-DAG: error: invalid qualified name 'app::' in option 'tether-background-context.RootFunctions'
// BAD-DAG: error: invalid regular expression '(unbalanced' for option 'tether-background-context.TestFileRegex': parentheses not balanced

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stop_token>
#include <thread>
#include "unguarded-loop/tether_mock.h"

using namespace std::chrono_literals;
using tether::policy;
void write_audit_record();
void check_pool(const tether::context &ctx);

// --- The incidents. -----------------------------------------------------------------------------

// CRITICAL-4: an audit write started on the background context instead of the request's.
void handle_request(const tether::context &request_ctx) {
  tether::safe_go(tether::background(), "audit", policy::keep_running, [] { write_audit_record(); });
  // CHECK-MESSAGES: :[[@LINE-1]]:19: warning: 'tether::background()' passed to 'tether::safe_go' is never cancelled; derive from the caller's context [tether-background-context]
  // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:19: warning: 'tether::background()' passed to 'tether::safe_go'
}

// CRITICAL-2: a pool monitor nothing can ever cancel.
class pool {
public:
  void start_monitor() {
    monitor_ = tether::safe_go(tether::context(), "pool-monitor", policy::keep_running,
    // CHECK-MESSAGES: :[[@LINE-1]]:32: warning: default-constructed 'tether::context' passed to 'tether::safe_go' is never cancelled; derive from the caller's context [tether-background-context]
    // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:32: warning: default-constructed 'tether::context'
                               [](const tether::context &ctx) { tether::every(ctx, 1s, [&] { check_pool(ctx); }); });
  }

private:
  tether::task monitor_;
};

void every_and_groups() {
  tether::every(tether::background(), 1s, [] {});
  // CHECK-MESSAGES: :[[@LINE-1]]:17: warning: 'tether::background()' passed to 'tether::every' is never cancelled
  // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:17: warning: 'tether::background()' passed to 'tether::every'
  tether::task_group group(tether::background(), "batch", 4);
  // CHECK-MESSAGES: :[[@LINE-1]]:28: warning: 'tether::background()' passed to 'tether::task_group' is never cancelled
  // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:28: warning: 'tether::background()' passed to 'tether::task_group'
  tether::task_group braced{{}, "batch"};
  // CHECK-MESSAGES: :[[@LINE-1]]:29: warning: default-constructed 'tether::context' passed to 'tether::task_group' is never cancelled
  // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:29: warning: default-constructed 'tether::context'
}

// Any parameter of type tether::context, by reference or by value.
void refresh(const tether::context &ctx);
void refresh_copy(tether::context ctx);
struct cache {
  void warm(const tether::context &ctx, int n);
};
void plain_calls(cache &c) {
  refresh(tether::background());
  // CHECK-MESSAGES: :[[@LINE-1]]:11: warning: 'tether::background()' passed to 'refresh' is never cancelled
  // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:11: warning: 'tether::background()' passed to 'refresh'
  refresh_copy(tether::background());
  // CHECK-MESSAGES: :[[@LINE-1]]:16: warning: 'tether::background()' passed to 'refresh_copy' is never cancelled
  // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:16: warning: 'tether::background()' passed to 'refresh_copy'
  c.warm(tether::background(), 3);
  // CHECK-MESSAGES: :[[@LINE-1]]:10: warning: 'tether::background()' passed to 'cache::warm' is never cancelled
  // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:10: warning: 'tether::background()' passed to 'cache::warm'
}

// Through a local variable that is never changed.
void through_variable() {
  auto ctx = tether::background();
  refresh(ctx);
  // CHECK-MESSAGES: :[[@LINE-1]]:11: warning: 'tether::background()' passed to 'refresh' is never cancelled
  // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:11: warning: 'tether::background()' passed to 'refresh'
  tether::context fresh;
  refresh_copy(fresh);
  // CHECK-MESSAGES: :[[@LINE-1]]:16: warning: default-constructed 'tether::context' passed to 'refresh_copy' is never cancelled
  // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:16: warning: default-constructed 'tether::context'
}

// std::stop_token: a default-constructed one can never be stopped.
void wait_for_work(std::stop_token st);
void tokens(std::condition_variable_any &cv, std::mutex &m) {
  wait_for_work(std::stop_token{});
  // CHECK-MESSAGES: :[[@LINE-1]]:17: warning: default-constructed 'std::stop_token' passed to 'wait_for_work' can never be stopped; pass the caller's token [tether-background-context]
  // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:17: warning: default-constructed 'std::stop_token'
  std::unique_lock lock(m);
  cv.wait(lock, std::stop_token(), [] { return true; });
  // CHECK-MESSAGES: :[[@LINE-1]]:17: warning: default-constructed 'std::stop_token' passed to 'std::condition_variable_any::wait' can never be stopped
  // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:17: warning: default-constructed 'std::stop_token'
}

// A parameter that defaults to a root: every caller omitting it gets one.
void poll_feeds(const tether::context &ctx = tether::background());
// CHECK-MESSAGES: :[[@LINE-1]]:46: warning: 'tether::background()' as the default of parameter 'ctx' is never cancelled: every caller that omits it starts work nothing can stop; make callers pass their context [tether-background-context]
// CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:46: warning: 'tether::background()' as the default of parameter 'ctx'

template <class T> void poll_typed(T feed, const tether::context &ctx = tether::context());
// CHECK-MESSAGES: :[[@LINE-1]]:73: warning: default-constructed 'tether::context' as the default of parameter 'ctx' is never cancelled
// CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:73: warning: default-constructed 'tether::context' as the default
void use_poll_typed() {
  poll_typed(1);
  poll_typed('c');
}

// Macros: reported where the macro is used.
#define DETACHED(name, fn) tether::safe_go(tether::background(), name, policy::keep_running, fn)
void macro_use() {
  DETACHED("reaper", [] {});
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'tether::background()' passed to 'tether::safe_go' is never cancelled
  // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:3: warning: 'tether::background()' passed to 'tether::safe_go'
}

// Templates: judged per instantiation, reported once.
template <class F> tether::task start_detached(F f) {
  return tether::safe_go(tether::background(), "detached", policy::keep_running, f);
  // CHECK-MESSAGES: :[[@LINE-1]]:26: warning: 'tether::background()' passed to 'tether::safe_go' is never cancelled
  // CHECK-MESSAGES-ROOTS: :[[@LINE-2]]:26: warning: 'tether::background()' passed to 'tether::safe_go'
}
void instantiate() {
  start_detached([] {});
  start_detached([] { write_audit_record(); });
}

namespace app {
// Only a root function when RootFunctions names it.
void service_main() {
  auto root = tether::with_cancel(tether::background());
  tether::safe_go(tether::background(), "janitor", policy::keep_running, [] {});
  // CHECK-MESSAGES: :[[@LINE-1]]:19: warning: 'tether::background()' passed to 'tether::safe_go' is never cancelled
}
} // namespace app

// --- Not reported. ------------------------------------------------------------------------------

int main() {
  // The one root of the program, and whatever main starts on it.
  auto root = tether::with_cancel(tether::background());
  tether::safe_go(tether::background(), "main-loop", policy::keep_running, [] {});
  auto lambda_in_main = [] { refresh(tether::background()); };
  refresh(root.ctx);
  return 0;
}

void derivations(const tether::context &parent) {
  // A derived child is cancellable by its own cancel function, deadline or token.
  auto [ctx, cancel] = tether::with_cancel(tether::background());
  auto timed = tether::with_timeout(tether::background(), std::chrono::seconds(5));
  std::stop_source source;
  auto linked = tether::with_stop_token(tether::background(), source.get_token());
  refresh(ctx);
  refresh(timed.ctx);
}

struct service {
  tether::context ctx_;
  void reset() { ctx_ = tether::background(); } // storing, not using
  bool is_root() const { return ctx_ == tether::context(); }
};

void caller_context(const tether::context &ctx) {
  tether::safe_go(ctx, "child", policy::keep_running, [] {});
  tether::every(ctx, 1s, [] {});
  tether::task_group group(ctx, "batch", 4);
  std::stop_source src;
  wait_for_work(src.get_token());
}

void modified_variable(const tether::context &parent) {
  tether::context ctx = tether::background();
  ctx = parent; // reassigned: not followed
  refresh(ctx);
}

void unevaluated() {
  (void)sizeof(tether::safe_go(tether::background(), "probe", policy::keep_running, [] {}));
  using T = decltype(refresh(tether::background()));
  static_assert(noexcept(tether::background()) || true);
}

// Look-alikes: not tether's context.
namespace other {
struct context {};
context background();
void run(const context &);
} // namespace other
void look_alikes() {
  other::run(other::background());
  other::run(other::context{});
}
