// RUN: %check_tidy %s tether-unguarded-loop %t

// The core rule: an unbounded loop (no condition, or a constant-true one) with no exit of its own
// and no cancellation check is flagged at its keyword. Each guard form and each exit form has a
// negative case, and the exits that do NOT belong to the loop have positive ones.

#include <atomic>
#include <cassert>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <thread>
#include "unguarded-loop/tether_mock.h"

void work();
bool poll();
int next();
[[noreturn]] void fatal(const char *why);
void observe(std::stop_token tok);
void observe_ref(const std::stop_token &tok);
void observe_ptr(std::stop_token *tok);
void run_step(tether::context &ctx);
void run_step_ptr(const tether::context *ctx);

// ---------------------------------------------------------------------------------------------
// Unbounded loops without a guard: flagged.

void forever_for() {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation; check a 'std::stop_token' or 'tether::context' in it, or use 'tether::every' for periodic work [tether-unguarded-loop]
    work();
  }
}

void forever_while_true() {
  while (true)
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    work();
}

void forever_while_one() {
  while (1) { work(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}

constexpr bool kForever = true;
void forever_constexpr() {
  while (kForever) { work(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}

void forever_do() {
  do {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    work();
  } while (true);
}

void forever_for_true_with_init() {
  for (int i = 0; true; ++i) { work(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}

void forever_for_no_cond_with_inc() {
  for (int i = 0;; ++i) { work(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}

void forever_constant_expression() {
  while (sizeof(int) > 0 && kForever) { work(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}

void forever_comma_condition() {
  while ((void)poll(), true) { work(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}

void forever_empty_body() {
  for (;;);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
}

// The worker lambda handed to a thread is where these loops usually live.
void worker_thread() {
  std::thread t([] {
    for (;;) {
    // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: loop never exits and never checks
      work();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  t.join();
}

void worker_jthread_ignoring_token() {
  std::jthread t([](std::stop_token) {
    while (true) { work(); }
    // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: loop never exits and never checks
  });
}

// ---------------------------------------------------------------------------------------------
// Not unbounded: not this check's business (bugprone-infinite-loop's territory).

bool running = true;
std::atomic<bool> stop_flag{false};

void bounded_loops(int n) {
  while (running) { work(); }
  while (!stop_flag) { work(); }
  while (poll()) { work(); }
  for (int i = 0; i < n; ++i) { work(); }
  do { work(); } while (false);
  while (0) { work(); }
  while (int v = next()) { work(); }
  for (int x : {1, 2, 3}) { work(); }
  constexpr bool kNever = false;
  while (kNever) { work(); }
}

// ---------------------------------------------------------------------------------------------
// Guarded by an exit of its own: not flagged.

void exit_break() {
  for (;;) {
    if (!poll())
      break;
  }
}

void exit_break_after_nested_loop() {
  while (true) {
    for (int i = 0; i < 3; ++i)
      work();
    if (!poll())
      break;
  }
}

void exit_break_in_do() {
  do {
    if (!poll()) break;
  } while (1);
}

int exit_return() {
  while (true) {
    int v = next();
    if (v > 0)
      return v;
  }
}

void exit_throw() {
  for (;;) {
    if (!poll())
      throw std::runtime_error("gone");
  }
}

void exit_throw_not_caught_by_inner_handler() {
  for (;;) {
    try {
      if (!poll())
        throw std::runtime_error("gone");
    } catch (const std::logic_error &) {
    }
  }
}

void exit_rethrow_from_handler() {
  for (;;) {
    try {
      work();
    } catch (...) {
      throw;
    }
  }
}

void exit_goto_out() {
  for (;;) {
    if (!poll())
      goto done;
  }
done:
  work();
}

void exit_noreturn_user() {
  for (;;) {
    if (!poll())
      fatal("lost");
  }
}

void exit_noreturn_std() {
  while (true) {
    if (!poll())
      std::abort();
  }
}

void exit_noreturn_exit() {
  while (true) {
    if (!poll())
      std::exit(1);
  }
}

void exit_noreturn_terminate() {
  while (true) {
    if (!poll())
      std::terminate();
  }
}

// return / throw / noreturn inside a nested loop or switch still leave the outer loop.
int exit_return_from_nested_loop() {
  for (;;) {
    for (int i = 0; i < 10; ++i)
      if (next() == i)
        return i;
  }
}

void exit_throw_from_switch() {
  for (;;) {
    switch (next()) {
    case 0:
      throw std::runtime_error("zero");
    default:
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Exits that do NOT belong to the loop: still flagged.

void not_exit_inner_break() {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    while (true) {
      if (!poll())
        break; // leaves the inner loop only
    }
  }
}

void not_exit_inner_for_break() {
  while (true) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    for (int i = 0; i < 10; ++i)
      if (i == next())
        break;
  }
}

void not_exit_switch_break() {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    switch (next()) {
    case 0:
      break; // leaves the switch only
    default:
      work();
    }
  }
}

void not_exit_lambda_return() {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    auto step = [] {
      if (!poll())
        return; // returns from the lambda
      work();
    };
    step();
  }
}

void not_exit_lambda_throw_and_noreturn() {
  while (true) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    auto a = [] { throw std::runtime_error("x"); };
    auto b = [] { std::abort(); };
    (void)a;
    (void)b;
  }
}

void not_exit_local_class() {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    struct Step {
      void operator()() {
        if (!poll())
          return;
        throw 1;
      }
    };
    Step{}();
  }
}

void not_exit_goto_inside() {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    if (poll())
      goto again;
    work();
  again:
    work();
  }
}

void not_exit_goto_own_label() {
restart:
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    if (!poll())
      goto restart; // re-enters the same loop
  }
}

void not_exit_throw_caught_inside() {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    try {
      if (!poll())
        throw std::runtime_error("retry");
    } catch (const std::exception &e) {
      work();
    }
  }
}

void not_exit_throw_caught_by_catch_all() {
  while (true) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    try {
      for (int i = 0; i < 3; ++i)
        if (next() == i)
          throw 42;
    } catch (...) {
    }
  }
}

// A failed assertion aborts, but it is a bug trap, not the loop's way out: noreturn calls from
// assertion macros (any macro whose name contains "assert") do not count.
#define APP_ASSERT(x) do { if (!(x)) fatal(#x); } while (0)
void not_exit_assert() {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    int v = next();
    assert(v >= 0);
    APP_ASSERT(v < 100);
    work();
  }
}
#define FAIL_IF(x) do { if (x) fatal(#x); } while (0)
void exit_noreturn_in_other_macro() {
  for (;;) {
    FAIL_IF(!poll());
  }
}

void not_exit_continue() {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    if (poll())
      continue;
    work();
  }
}

// ---------------------------------------------------------------------------------------------
// Guarded by a cancellation check: not flagged.

void cancel_stop_token(std::stop_token tok) {
  for (;;) {
    if (tok.stop_requested()) {
      // cleanup happens elsewhere; looking at the token is enough
    }
    work();
  }
}

void cancel_stop_token_loop_exit(std::stop_token tok) {
  while (true) {
    if (tok.stop_requested())
      return;
    work();
  }
}

void cancel_stop_source(std::stop_source &src) {
  for (;;) {
    if (src.stop_requested()) {}
    work();
  }
}

void cancel_jthread() {
  std::jthread t([](std::stop_token st) {
    for (;;) {
      if (st.stop_requested()) {}
      work();
    }
  });
}

void cancel_context(tether::context &ctx) {
  for (;;) {
    if (ctx.cancelled()) {}
    work();
  }
}

void cancel_context_err(const tether::context &ctx) {
  while (true) {
    if (ctx.err()) {}
    work();
  }
}

void cancel_tether_sleep(const tether::context &ctx) {
  for (;;) {
    work();
    tether::sleep_for(ctx, std::chrono::seconds(1));
  }
}

void cancel_tether_sleep_until(const tether::context &ctx) {
  for (;;) {
    work();
    tether::sleep_until(ctx, std::chrono::steady_clock::now() + std::chrono::seconds(1));
  }
}

void cancel_tether_wait(const tether::context &ctx, std::condition_variable_any &cv,
                        std::mutex &m) {
  for (;;) {
    std::unique_lock<std::mutex> lock(m);
    tether::wait(ctx, cv, lock, [] { return poll(); });
    work();
  }
}

void cancel_atomic_load() {
  for (;;) {
    if (stop_flag.load()) {}
    work();
  }
}

void cancel_atomic_implicit_conversion() {
  while (true) {
    if (stop_flag) {}
    work();
  }
}

void cancel_atomic_explicit_operator_bool() {
  while (true) {
    bool s = stop_flag.operator bool();
    (void)s;
    work();
  }
}

void cancel_atomic_exchange() {
  while (true) {
    if (stop_flag.exchange(false)) {}
    work();
  }
}

void cancel_atomic_bool_alias(std::atomic_bool *flag) {
  for (;;) {
    if (flag->load(std::memory_order_acquire)) {}
    work();
  }
}

void cancel_atomic_load_free_function() {
  for (;;) {
    if (std::atomic_load(&stop_flag)) {}
    work();
  }
}

std::atomic_flag keep_going = ATOMIC_FLAG_INIT;
void cancel_atomic_flag_test_and_set() {
  for (;;) {
    if (!keep_going.test_and_set()) {}
    work();
  }
}

void cancel_atomic_flag_test() {
  for (;;) {
    if (keep_going.test()) {}
    work();
  }
}

void cancel_cv_any_with_token(std::stop_token tok, std::condition_variable_any &cv,
                              std::mutex &m) {
  for (;;) {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, tok, [] { return poll(); });
    work();
  }
}

void cancel_call_receiving_token(std::stop_token tok) {
  for (;;) observe(tok);
}

void cancel_call_receiving_token_ref(std::stop_token tok) {
  for (;;) observe_ref(tok);
}

void cancel_call_receiving_token_ptr(std::stop_token tok) {
  for (;;) observe_ptr(&tok);
}

void cancel_call_receiving_context(tether::context &ctx) {
  while (true) run_step(ctx);
}

void cancel_call_receiving_context_ptr(tether::context &ctx) {
  while (true) run_step_ptr(&ctx);
}

void cancel_call_receiving_token_from_context(tether::context &ctx) {
  while (true) observe(ctx.stop_token());
}

void cancel_in_nested_loop(std::stop_token tok) {
  for (;;) {
    for (int i = 0; i < 10; ++i)
      if (tok.stop_requested()) {}
    work();
  }
}

void cancel_in_condition_of_nested(std::stop_token tok) {
  for (;;) {
    while (!tok.stop_requested())
      work();
  }
}

// ---------------------------------------------------------------------------------------------
// Things that look like a cancellation check but are not one: flagged.

std::atomic<int> counter{0};
void not_cancel_atomic_int() {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    if (counter.load() > 10) {}
    work();
  }
}

void not_cancel_atomic_store() {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    stop_flag.store(false);
    work();
  }
}

void not_cancel_copying_token(std::stop_token tok) {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    std::stop_token copy = tok;
    (void)copy;
    work();
  }
}

void not_cancel_stop_possible(std::stop_token tok) {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    if (tok.stop_possible()) {}
    work();
  }
}

void not_cancel_check_in_lambda(std::stop_token tok) {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    auto stopped = [&] { return tok.stop_requested(); };
    (void)stopped;
    work();
  }
}

// Unevaluated operands never run.
void not_cancel_unevaluated(std::stop_token tok) {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    constexpr auto size = sizeof(tok.stop_requested());
    bool nothrow = noexcept(tok.stop_requested());
    using R = decltype(tok.stop_requested());
    (void)size; (void)nothrow; (void)R{};
    work();
  }
}

// A constant condition that calls something still observes it each iteration.
void cancel_in_constant_condition(std::stop_token tok) {
  while ((void)tok.stop_requested(), true) { work(); }
}

void not_cancel_plain_bool(bool &stop) {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    if (stop) {}
    work();
  }
}

void not_cancel_cv_without_token(std::condition_variable &cv, std::mutex &m) {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [] { return poll(); });
    work();
  }
}

// Each loop is judged on its own: the guarded inner loop does not guard the outer one.
void nested_unbounded(std::stop_token tok) {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    for (;;) {
      if (!poll())
        break;
    }
    for (;;) {
    // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: loop never exits and never checks
      work();
    }
  }
}

// Type aliases of the token, context and atomic types are seen through.
using Token = std::stop_token;
typedef tether::context Ctx;
using Flag = std::atomic<bool>;
void observe_alias(const Token &t);
void aliases(Token tok, Ctx &ctx, Flag &flag) {
  for (;;) observe_alias(tok);
  for (;;) { if (ctx.cancelled()) {} }
  for (;;) { if (flag) {} }
}

// Suppression.
void suppressed() {
  for (;;) { work(); } // NOLINT(tether-unguarded-loop): the process's main loop, ended by exit()
  // NOLINTNEXTLINE(tether-unguarded-loop): same
  while (true) { work(); }
}
