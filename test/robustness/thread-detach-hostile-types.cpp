// RUN: %check_tidy %s tether-thread-detach %t

// Hostile inputs for tether-thread-detach: user 'detach' members, user classes named 'thread',
// detach reached through odd expressions, and calls whose callable or arguments the dangling notes
// cannot see. Nothing may crash; only detach() of a real thread type is reported.

#include <functional>
#include <memory>
#include <pthread.h>
#include <thread>

void work();
void work_ref(int &);

// User 'detach' members on classes that are not thread types.
struct Session { void detach(); static void detach(int); };
struct Handle { int detach; };
namespace user { struct thread { template <class F> explicit thread(F &&); void detach(); }; }
void user_detach(Session &s, Handle &h, user::thread &t) {
  s.detach();
  Session::detach(1);
  h.detach = 1;
  t.detach();
}

// A class deriving from std::thread that hides detach() with its own: not std::thread's.
struct Owned : std::thread { using std::thread::thread; void detach(); };
// A class deriving from std::thread that inherits it: std::thread's detach().
struct Plain : std::thread { using std::thread::thread; };
void derived(Owned &o, Plain &p) {
  o.detach();
  p.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'detach()' makes this thread unowned
}

// Through a pointer to member, std::invoke and std::mem_fn: not a member call expression, so not
// reported (a documented gap); none of them may crash the notes.
void indirect(std::thread &t) {
  void (std::thread::*pm)() = &std::thread::detach;
  (t.*pm)();
  std::invoke(&std::thread::detach, t);
  std::mem_fn(&std::thread::detach)(t);
}

// Threads built from things the notes cannot follow: a parameter, a call result, a conditional,
// a thread constructed with no arguments, a moved-from thread.
std::thread make();
void unknown_callables(std::thread param, bool b) {
  param.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: 'detach()' makes this thread unowned
  make().detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:10: warning: 'detach()' makes this thread unowned
  std::thread a(work), c(work);
  (b ? a : c).detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:15: warning: 'detach()' makes this thread unowned
  std::thread empty;
  empty.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: 'detach()' makes this thread unowned
  std::thread moved(std::move(a));
  moved.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: 'detach()' makes this thread unowned
  int local = 0;
  std::thread byref(work_ref, std::ref(local));
  byref.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: 'detach()' makes this thread unowned
  c.join();
}

// User functions named like the C ones, in other scopes or with other signatures.
namespace mine { int pthread_detach(pthread_t); }
struct Lib { static int pthread_detach(pthread_t); };
void other_detach_functions(pthread_t t) {
  mine::pthread_detach(t);
  Lib::pthread_detach(t);
  ::pthread_detach(t);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_detach()' makes this thread unowned
}

// In a template: the object's type is dependent; the instantiations decide.
template <class T> void detach_any(T &t) { t.detach(); }
// CHECK-MESSAGES: :[[@LINE-1]]:46: warning: 'detach()' makes this thread unowned
void instantiate(Session &s, std::thread &t) {
  detach_any(s);
  detach_any(t);
}
