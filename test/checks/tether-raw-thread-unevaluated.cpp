// RUN: %check_tidy %s tether-raw-thread %t

// tether-raw-thread: unevaluated operands start nothing, code right next to them does.
//
// The check records each unevaluated operator (sizeof, alignof, noexcept, typeid, decltype,
// typeof, requires) as the match finder reaches it, instead of asking the parent map (a traversal
// of the whole translation unit) for every spawn. That relies on the finder matching an operator
// before anything inside it. Every "not reported" case below is a spawn matched *inside* such an
// operator: had the operator not been recorded first, it would be reported and this test would
// fail. Statements, declarations, types, template instantiations and macros are all covered.

#include <future>
#include <pthread.h>
#include <thread>
#include <typeinfo>
#include <utility>

void work();
void *pthread_main(void *);

// ---------------------------------------------------------------------------------------------
// Each operator, with a real spawn on the same line.
// ---------------------------------------------------------------------------------------------

void each_operator() {
  (void)sizeof(std::thread(work)); std::thread(work).join();
  // CHECK-MESSAGES: :[[@LINE-1]]:36: warning: raw thread creation with 'std::thread'; spawn
  (void)sizeof std::thread(work);
  (void)__alignof__(std::thread(work));
  (void)alignof(decltype(std::thread(work)));
  bool nothrow = noexcept(std::thread(work)); std::thread t(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:59: warning: raw thread creation with 'std::thread'; spawn
  (void)nothrow;
  t.join();
  (void)typeid(std::thread(work));
  using spawned = decltype(std::async(work));
  __typeof__(pthread_create(nullptr, nullptr, pthread_main, nullptr)) rc = 0;
  (void)rc;
  if constexpr (requires { std::thread(work); }) {
    std::thread inside(work); // the requires-expression is the condition, not this branch
    // CHECK-MESSAGES: :[[@LINE-1]]:17: warning: raw thread creation with 'std::thread'; spawn
    inside.join();
  }
  // Nested: a type inside an operator, an operator inside a type.
  (void)sizeof(decltype(std::thread(work)));
  using nested = decltype(sizeof(std::thread(work)));
}

// typeid evaluates its operand when it is a glvalue of polymorphic class type.
struct polymorphic {
  virtual ~polymorphic();
};
polymorphic &owner_of(std::thread &&);
struct plain {};
plain &plain_owner_of(std::thread &&);

void typeid_operands() {
  (void)typeid(owner_of(std::thread(work)));
  // CHECK-MESSAGES: :[[@LINE-1]]:25: warning: raw thread creation with 'std::thread'; spawn
  (void)typeid(plain_owner_of(std::thread(work)));
  (void)typeid(decltype(owner_of(std::thread(work))));
}

// ---------------------------------------------------------------------------------------------
// Declarations and types at namespace and class scope.
// ---------------------------------------------------------------------------------------------

static_assert(sizeof(std::thread(work)) >= sizeof(std::thread));
using async_future = decltype(std::async(std::launch::async, work));
decltype(pthread_create(nullptr, nullptr, pthread_main, nullptr)) last_rc = 0;

struct probes {
  static constexpr bool spawns_nothrow = noexcept(std::thread(work));
  decltype(std::thread(work)) member; // a default-constructed member: no spawn
  char buffer[sizeof(std::thread(work))];
  auto make() -> decltype(std::thread(work)) { return std::thread(work); }
  // CHECK-MESSAGES: :[[@LINE-1]]:55: warning: raw thread creation with 'std::thread'; spawn
};

// ---------------------------------------------------------------------------------------------
// Templates: the pattern and every instantiation.
// ---------------------------------------------------------------------------------------------

template <class F> void probe_then_spawn(F f) {
  static_assert(sizeof(std::thread(f)) > 0);
  using result = decltype(std::async(f));
  std::thread(f).join();
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: raw thread creation with 'std::thread'; spawn
}

template <class F> auto spawn_result(F f) -> decltype(std::thread(f)) {
  return std::thread(f);
  // CHECK-MESSAGES: :[[@LINE-1]]:10: warning: raw thread creation with 'std::thread'; spawn
}

template <class T> struct worker {
  void start();
  static constexpr bool nothrow = noexcept(std::thread(work));
};

// An out-of-line member of a class template: its instantiation is reached through the class
// template, before this definition.
template <class T> void worker<T>::start() {
  using probe = decltype(std::thread(work));
  (void)sizeof(std::thread(work));
  std::thread(work).join();
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: raw thread creation with 'std::thread'; spawn
}

template <class F> concept spawnable = requires(F f) {
  std::thread(f);
  std::async(f);
  pthread_create(nullptr, nullptr, pthread_main, nullptr);
};

template <class F>
  requires requires(F f) { std::thread(f); }
void constrained(F f) {
  f();
}

void instantiate() {
  probe_then_spawn(work);
  probe_then_spawn([] {});
  spawn_result(work).join();
  worker<int>().start();
  worker<long>().start();
  static_assert(spawnable<void (*)()>);
  constrained(work);
}

// ---------------------------------------------------------------------------------------------
// Macros: the operator, the spawn or both come from a macro. A site from a macro body is reported
// at the macro's use, which can be shared with an unevaluated probe in the same macro.
// ---------------------------------------------------------------------------------------------

#define SIZE_OF(x) sizeof(x)
#define TYPE_OF(x) decltype(x)
#define NOEXCEPT(x) noexcept(x)
#define SPAWN(f) std::thread(f)
#define PROBE_THEN_SPAWN(f) static_assert(sizeof(std::thread(f)) > 0); std::thread(f).join()
#define SPAWN_THEN_PROBE(f) std::thread(f).join(); static_assert(NOEXCEPT(std::thread(f)) || true)
#define PROBE_ONLY(f) static_assert(SIZE_OF(SPAWN(f)) > 0)
#define REQUIRES(x) requires { x; }
#define SPAWNABLE(f) requires { std::thread(f); }

void macros() {
  static_assert(SIZE_OF(std::thread(work)) > 0);
  using t1 = TYPE_OF(std::thread(work));
  using t2 = TYPE_OF(SPAWN(work));
  static_assert(NOEXCEPT(SPAWN(work)) || true);
  (void)sizeof(SPAWN(work));
  PROBE_ONLY(work);
  static_assert(REQUIRES(std::thread(work)));
  static_assert(SPAWNABLE(work));
  static_assert(REQUIRES(SPAWN(work)));
  (void)SIZE_OF(0); SPAWN(work).join();
  // CHECK-MESSAGES: :[[@LINE-1]]:21: warning: raw thread creation with 'std::thread'; spawn
  PROBE_THEN_SPAWN(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: raw thread creation with 'std::thread'; spawn
  SPAWN_THEN_PROBE(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: raw thread creation with 'std::thread'; spawn
}

// ---------------------------------------------------------------------------------------------
// Limitation (documented): a lambda written inside an unevaluated operand counts as part of it,
// although a closure type taken with decltype can later be called.
// ---------------------------------------------------------------------------------------------

using closure = decltype([] { std::thread(work).join(); });
using closure_with_local = decltype([] {
  std::thread t(work);
  t.join();
});
