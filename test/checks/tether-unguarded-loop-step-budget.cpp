// RUN: %check_tidy %s tether-unguarded-loop %t

// tether-unguarded-loop decides whether a loop condition is constantly true with clang's
// evaluator on a small step budget (4096 steps; clang's own limit for constant expressions is
// 1,048,576). A condition that needs more is treated as an ordinary, non-constant condition: the
// check does not pay for a long constexpr computation per loop and per template instantiation.
// Literals, constexpr variables (whose values clang has computed already) and small constexpr
// functions are decided as before.

void work();

constexpr bool forever() { return true; }
constexpr bool small_loop() {
  int x = 0;
  for (int i = 0; i < 100; ++i) // a few hundred steps
    x += i;
  return x > 0;
}
constexpr bool expensive() {
  unsigned long long x = 0;
  for (unsigned i = 0; i < 20000; ++i) // tens of thousands of steps: over the budget
    x += i % 7;
  return x != 0;
}
constexpr bool kExpensive = expensive(); // computed by clang while parsing

void decided() {
  while (forever()) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation
    work();
  }
  while (small_loop()) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation
    work();
  }
  while (kExpensive) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation
    work();
  }
}

// Over the budget: treated as not constant, so not reported.
void over_budget() {
  while (expensive())
    work();
  for (; expensive();)
    work();
}

template <int N> void templated() {
  while (expensive())
    work();
  while (small_loop() && N > 0) {
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: loop never exits and never checks for cancellation
    work();
  }
}
template void templated<1>();
template void templated<2>();
