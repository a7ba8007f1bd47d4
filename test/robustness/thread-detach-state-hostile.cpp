// RUN: %check_tidy %s tether-thread-detach,tether-unguarded-loop %t
// RUN: %check_tidy %s tether-thread-detach,tether-unguarded-loop %t -- -- -std=c++20 -fconstexpr-steps=0 -DUNLIMITED
// RUN: %check_tidy -check-suffix=MEMBER %s tether-thread-detach,tether-unguarded-loop %t -- -- -std=c++20 -DMEMBER_NAMES

// Hostile inputs for the detached-state argument and the loop-condition step budget: the name
// PTHREAD_CREATE_DETACHED used for unrelated things, states whose evaluation never ends, a
// -fconstexpr-steps of 0 (unlimited to clang: the checks keep their own budget), a condition
// whose evaluation recurses forever. Nothing may crash or hang. (With -fconstexpr-steps=0 clang
// itself never finishes evaluating `while (spin(kHuge))` while parsing, so UNLIMITED leaves the loops
// out.)

typedef struct { int opaque; } pthread_attr_t;
extern "C" int pthread_attr_setdetachstate(pthread_attr_t *, int);

#ifdef MEMBER_NAMES
// Only as a member and a function: no global value for the detached state.
struct flags { static constexpr int PTHREAD_CREATE_DETACHED = 1; };
int PTHREAD_CREATE_DETACHED();
#else
// A global variable of the name that is not a constant: its value is unknown.
int PTHREAD_CREATE_DETACHED = 1;
#endif

constexpr int forever(int n) { return n < 0 ? 0 : forever(n + 1) + 1; } // never ends
constexpr int spin(int n) {
  int x = 0;
  for (int i = 0; i < n; ++i)
    ++x;
  return x;
}
constexpr int kHuge = 1 << 30; // spin(kHuge): a billion steps

void states(pthread_attr_t *a) {
#ifdef MEMBER_NAMES
  pthread_attr_setdetachstate(a, flags::PTHREAD_CREATE_DETACHED); // a member of that name: by name
  // CHECK-MESSAGES-MEMBER: :[[@LINE-1]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  pthread_attr_setdetachstate(a, 1); // no global value known: not reported
#else
  pthread_attr_setdetachstate(a, PTHREAD_CREATE_DETACHED); // named: reported by name
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread
  pthread_attr_setdetachstate(a, 1); // the variable is not const: its value is unknown
#endif
  pthread_attr_setdetachstate(a, forever(0)); // over the budget: not a known constant
  pthread_attr_setdetachstate(a, spin(kHuge)); // a billion steps: over the budget
}

#ifndef UNLIMITED
void loops() {
  while (forever(0))
    ;
  while (spin(kHuge))
    ;
  for (; forever(1) > 0;)
    ;
}
#endif
