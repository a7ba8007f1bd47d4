// tether-raw-thread: AllowedNamespaces, for every way code can belong to a namespace.
//
// The check finds a spawn's namespaces from the namespace-level declaration (function, class,
// variable, template) whose source range holds it, not from the parent map (a traversal of the
// whole translation unit). These cases pin down that both give the same answer: out-of-line
// definitions belong to their class's namespace, template instantiations to their template's, and
// macros that expand to whole namespaces are resolved (one expansion holding declarations of
// different namespaces falls back to the parent map).

// Without the option everything is reported.
// RUN: %check_tidy -check-suffix=ALL %s tether-raw-thread %t
// RUN: %check_tidy -check-suffix=NS %s tether-raw-thread %t -- \
// RUN:   -config="{CheckOptions: {tether-raw-thread.AllowedNamespaces: '::vetted'}}"

#include <pthread.h>
#include <thread>

void work();
void *pthread_main(void *);

namespace vetted {
inline void plain() { std::thread(work).join(); }
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:23: warning: raw thread creation
void declared_here_defined_outside();
struct pool {
  std::thread member{work};
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:21: warning: raw thread creation
  static std::thread shared;
  void run() {
    auto job = [] { std::thread(work).join(); };
    // CHECK-MESSAGES-ALL: :[[@LINE-1]]:21: warning: raw thread creation
    job();
    struct local {
      void go() { std::thread(work).join(); }
      // CHECK-MESSAGES-ALL: :[[@LINE-1]]:19: warning: raw thread creation
    };
  }
  void grow();
  friend void befriended() { std::thread(work).join(); }
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:30: warning: raw thread creation
};
template <class F> void go(F f) { std::thread(f).join(); }
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:35: warning: raw thread creation
template <class T> struct box {
  void start();
};
inline auto starter = [] { std::thread(work).join(); };
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:28: warning: raw thread creation
extern "C++" {
inline void in_linkage_block() { std::thread(work).join(); }
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:34: warning: raw thread creation
}
namespace inner {
inline void nested() { pthread_t id; pthread_create(&id, nullptr, pthread_main, nullptr); }
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:38: warning: call to 'pthread_create'
} // namespace inner
} // namespace vetted

// Out-of-line definitions, written at global scope, belong to their class's namespace.
void vetted::declared_here_defined_outside() { std::thread(work).join(); }
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:48: warning: raw thread creation
std::thread vetted::pool::shared{work};
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:27: warning: raw thread creation
void vetted::pool::grow() { std::thread(work).join(); }
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:29: warning: raw thread creation
template <class T> void vetted::box<T>::start() { std::thread(work).join(); }
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:51: warning: raw thread creation
template struct vetted::box<int>;

extern "C++" {
namespace vetted {
inline void linkage_block_outside() { std::thread(work).join(); }
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:39: warning: raw thread creation
} // namespace vetted
}

// Not vetted: other namespaces, a template outside instantiated with vetted code, and code that
// merely calls into the vetted namespace.
namespace other {
template <class F> void go(F f) { std::thread(f).join(); }
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:35: warning: raw thread creation
// CHECK-MESSAGES-NS: :[[@LINE-2]]:35: warning: raw thread creation
namespace vetted {
inline void not_the_global_one() { std::thread(work).join(); }
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:36: warning: raw thread creation
// CHECK-MESSAGES-NS: :[[@LINE-2]]:36: warning: raw thread creation
} // namespace vetted
} // namespace other

void user() {
  vetted::go(work);
  other::go([] { vetted::plain(); });
  vetted::box<long>().start();
  std::thread t(work);
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:15: warning: raw thread creation
  // CHECK-MESSAGES-NS: :[[@LINE-2]]:15: warning: raw thread creation
  t.join();
}

// Macros that expand to whole namespaces: reported (or not) at the macro's use.
#define VETTED_WORKER(name) namespace vetted { inline void name() { std::thread(work).join(); } }
#define OTHER_WORKER(name) namespace other { inline void name() { std::thread(work).join(); } }
#define TWO_WORKERS(a, b) VETTED_WORKER(a) OTHER_WORKER(b)
#define VETTED_TWICE(a, b) VETTED_WORKER(a) VETTED_WORKER(b)
#define VETTED_WORKER_AND_OTHER(a, b) VETTED_WORKER(a) namespace other { inline void b() {} }
#define OTHER_WORKER_AND_VETTED(a, b) OTHER_WORKER(a) namespace vetted { inline void b() {} }

VETTED_WORKER(from_macro)
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:1: warning: raw thread creation
OTHER_WORKER(from_macro)
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:1: warning: raw thread creation
// CHECK-MESSAGES-NS: :[[@LINE-2]]:1: warning: raw thread creation
TWO_WORKERS(first, second)
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:1: warning: raw thread creation
// CHECK-MESSAGES-NS: :[[@LINE-2]]:1: warning: raw thread creation
VETTED_TWICE(third, fourth)
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:1: warning: raw thread creation
VETTED_WORKER_AND_OTHER(fifth, sixth)
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:1: warning: raw thread creation
OTHER_WORKER_AND_VETTED(seventh, eighth)
// CHECK-MESSAGES-ALL: :[[@LINE-1]]:1: warning: raw thread creation
// CHECK-MESSAGES-NS: :[[@LINE-2]]:1: warning: raw thread creation
