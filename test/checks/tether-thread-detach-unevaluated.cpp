// RUN: %check_tidy %s tether-thread-detach %t

// tether-thread-detach: a detach() or pthread_detach() in an unevaluated operand (sizeof,
// noexcept, decltype, typeid, requires) runs nothing; one right next to it does.
//
// The check records each unevaluated operator as the match finder reaches it, before anything
// inside it (instead of asking the parent map, a traversal of the whole translation unit). Every
// "not reported" case below is a detach matched inside such an operator: had the operator not been
// recorded first, it would be reported and this test would fail.

#include <pthread.h>
#include <thread>
#include <typeinfo>
#include <utility>

void work();

void each_operator(std::thread &t, pthread_t id) {
  (void)sizeof((t.detach(), 0)); t.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:36: warning: 'detach()' makes this thread unowned
  static_assert(noexcept(t.detach()) || true);
  using result = decltype(pthread_detach(id));
  (void)typeid(pthread_detach(id));
  if constexpr (requires { t.detach(); }) {
    pthread_detach(id);
    // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'pthread_detach()' makes this thread unowned
  }
}

template <class Thread> void probe_then_detach(Thread &t) {
  using probe = decltype(t.detach());
  static_assert(sizeof(decltype(std::declval<Thread &>().detach()) *) > 0);
  t.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'detach()' makes this thread unowned
}

void instantiate(std::thread &t, std::jthread &j) {
  probe_then_detach(t);
  probe_then_detach(j);
}

#define NOEXCEPT(x) noexcept(x)
#define DETACH(t) (t).detach()
#define PROBE_THEN_DETACH(t) static_assert(noexcept(DETACH(t)) || true); DETACH(t)

void macros(std::thread &t) {
  static_assert(NOEXCEPT(t.detach()) || true);
  static_assert(NOEXCEPT(DETACH(t)) || true);
  PROBE_THEN_DETACH(t);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'detach()' makes this thread unowned
}
