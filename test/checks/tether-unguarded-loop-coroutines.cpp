// RUN: %check_tidy %s tether-unguarded-loop %t

// Coroutines: `co_return` leaves the loop and `co_yield` hands control back to the owner (which may
// destroy the coroutine), but `co_await` of something that does not look at cancellation does not
// help: a coroutine awaiting a timer forever leaks exactly like a thread.

#include <chrono>
#include <coroutine>
#include <exception>
#include <stop_token>
#include "unguarded-loop/tether_mock.h"

struct task {
  struct promise_type {
    task get_return_object() { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
};

template <class T> struct generator {
  struct promise_type {
    T value;
    generator get_return_object() { return {}; }
    std::suspend_always initial_suspend() noexcept { return {}; }
    std::suspend_always final_suspend() noexcept { return {}; }
    std::suspend_always yield_value(T v) { value = v; return {}; }
    void return_void() {}
    void unhandled_exception() { std::terminate(); }
  };
};

struct timer_awaitable {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() const noexcept {}
};
timer_awaitable async_sleep(std::chrono::milliseconds d);
timer_awaitable async_sleep(std::stop_token tok, std::chrono::milliseconds d);
timer_awaitable async_sleep(const tether::context &ctx, std::chrono::milliseconds d);
void work();
bool poll();

task ticker() {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation; check a 'std::stop_token' or 'tether::context' in it, or use 'tether::every' for periodic work [tether-unguarded-loop]
    co_await async_sleep(std::chrono::milliseconds(100));
    work();
  }
}

task ticker_co_return() {
  for (;;) {
    co_await async_sleep(std::chrono::milliseconds(100));
    if (!poll())
      co_return;
  }
}

task ticker_token(std::stop_token tok) {
  while (true) {
    co_await async_sleep(tok, std::chrono::milliseconds(100));
    work();
  }
}

task ticker_context(tether::context ctx) {
  while (true) {
    co_await async_sleep(ctx, std::chrono::milliseconds(100));
    work();
  }
}

task ticker_checks_token(std::stop_token tok) {
  for (;;) {
    co_await async_sleep(std::chrono::milliseconds(100));
    if (tok.stop_requested())
      co_return;
  }
}

// co_return in a lambda coroutine started inside the loop is not the loop's exit.
task ticker_lambda_co_return() {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    auto once = []() -> task { co_return; };
    once();
    co_await async_sleep(std::chrono::milliseconds(100));
  }
}

// An infinite generator is fine: the consumer decides how long it runs.
generator<int> naturals() {
  for (int i = 0;; ++i)
    co_yield i;
}

// A coroutine template: judged once.
template <class D> task tick_every(D d) {
  for (;;) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks
    co_await async_sleep(std::chrono::duration_cast<std::chrono::milliseconds>(d));
    work();
  }
}
void start_ticks() {
  tick_every(std::chrono::seconds(1));
  tick_every(std::chrono::milliseconds(5));
}
