// RUN: %check_tidy %s tether-thread-detach %t

// tether-thread-detach: detach() leaves a thread with no owner. Nothing can wait for it, cancel it
// or see it fail, and at shutdown it keeps running against destroyed objects.

#include <boost/thread.hpp>
#include <memory>
#include <pthread.h>
#include <thread>
#include <utility>
#include <vector>

void work();
void *pthread_main(void *);

void objects_references_pointers(std::thread &ref, std::thread *ptr, std::jthread &jref) {
  std::thread t(work);
  t.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'detach()' makes this thread unowned: nothing can wait for it, cancel it or see it fail; keep it owned with 'tether::safe_go' or 'tether::task_group' [tether-thread-detach]
  ref.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:7: warning: 'detach()' makes this thread unowned
  ptr->detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:8: warning: 'detach()' makes this thread unowned
  (*ptr).detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:10: warning: 'detach()' makes this thread unowned
  jref.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:8: warning: 'detach()' makes this thread unowned
  std::jthread jt(work);
  jt.detach(); // defeats the jthread's joining destructor
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: 'detach()' makes this thread unowned
}

void smart_pointers() {
  auto up = std::make_unique<std::thread>(work);
  up->detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:7: warning: 'detach()' makes this thread unowned
  std::shared_ptr<std::thread> sp = std::make_shared<std::thread>(work);
  sp->detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:7: warning: 'detach()' makes this thread unowned
  (*sp).detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: 'detach()' makes this thread unowned
}

void temporaries_and_elements(std::vector<std::thread> &v, std::size_t i) {
  std::thread(work).detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:21: warning: 'detach()' makes this thread unowned
  std::thread{work}.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:21: warning: 'detach()' makes this thread unowned
  std::thread([] { work(); }).detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:31: warning: 'detach()' makes this thread unowned
  v[i].detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:8: warning: 'detach()' makes this thread unowned
  v.back().detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:12: warning: 'detach()' makes this thread unowned
  for (auto &t : v)
    t.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:7: warning: 'detach()' makes this thread unowned
  for (std::thread &t : v) {
    if (t.joinable())
      t.detach();
    // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: 'detach()' makes this thread unowned
  }
}

// Aliases and derived classes (they inherit detach()).
using worker = std::thread;
struct my_thread : std::thread {
  using std::thread::thread;
};
struct named_thread : std::thread {
  // A wrapper that re-declares detach(): the call inside it is reported, its callers are not
  // (it is not a thread type's detach(); the wrapper is the one place to fix).
  void detach() {
    std::thread::detach();
    // CHECK-MESSAGES: :[[@LINE-1]]:18: warning: 'detach()' makes this thread unowned
  }
};

void aliases_and_derived(worker &w, my_thread &m, named_thread &n) {
  w.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'detach()' makes this thread unowned
  m.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'detach()' makes this thread unowned
  my_thread(work).detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:19: warning: 'detach()' makes this thread unowned
  n.detach(); // named_thread::detach: reported inside the wrapper above
}

void boost_threads(boost::thread &bt) {
  bt.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: 'detach()' makes this thread unowned
  boost::thread(work).detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:23: warning: 'detach()' makes this thread unowned
}

void posix_threads() {
  pthread_t pt;
  if (pthread_create(&pt, nullptr, pthread_main, nullptr) == 0)
    pthread_detach(pt);
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: 'pthread_detach()' makes this thread unowned: nothing can wait for it, cancel it or see it fail; keep it owned with 'tether::safe_go' or 'tether::task_group' [tether-thread-detach]
  ::pthread_detach(pthread_self());
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_detach()' makes this thread unowned
}

// Templates: one report per spelled site.
template <class Thread> void detach_all(std::vector<Thread> &threads) {
  for (auto &t : threads)
    t.detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:7: warning: 'detach()' makes this thread unowned
}
template <class F> void fire_and_forget(F f) {
  std::thread(f).detach();
  // CHECK-MESSAGES: :[[@LINE-1]]:18: warning: 'detach()' makes this thread unowned
}
struct session {
  void detach();
};

void instantiate() {
  std::vector<std::thread> a;
  std::vector<std::jthread> b;
  std::vector<boost::thread> c;
  std::vector<session> d; // session::detach is not a thread's: no report from this instantiation
  detach_all(a);
  detach_all(b);
  detach_all(c);
  detach_all(d);
  fire_and_forget(work);
  fire_and_forget([] {});
  fire_and_forget([] { work(); });
}

// Macros: reported at the use.
#define SPAWN(fn) std::thread(fn).detach()
#define FORGET(t) (t).detach()
#define DETACH_SELF() pthread_detach(pthread_self())

void macros(std::thread &t) {
  SPAWN(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'detach()' makes this thread unowned
  SPAWN([] {});
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'detach()' makes this thread unowned
  FORGET(t);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'detach()' makes this thread unowned
  DETACH_SELF();
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: 'pthread_detach()' makes this thread unowned
}

// ---------------------------------------------------------------------------------------------
// NOT reported.
// ---------------------------------------------------------------------------------------------

namespace mylib {
// Unrelated to std::thread despite the name.
class thread {
public:
  explicit thread(void (*)());
  void detach();
};
void pthread_detach(int);
} // namespace mylib

struct subscription {
  void detach(); // e.g. unsubscribe from an event source
};

namespace net {
struct socket {
  void detach(int fd);
};
} // namespace net

void negatives(session &s, subscription *sub, net::socket &sock, std::thread &t) {
  s.detach();
  sub->detach();
  sock.detach(3);
  mylib::thread(work).detach();
  mylib::pthread_detach(1);
  t.join();
  if (t.joinable())
    t.join();
  std::jthread owned(work); // joins in its destructor
  auto *fp = &pthread_detach; // not a call
  (void)fp;
}

// Unevaluated operands run nothing.
using detach_result = decltype(std::declval<std::thread &>().detach());
static_assert(noexcept(pthread_detach(pthread_t{})) || true);

void suppressed(std::thread &t) {
  t.detach(); // NOLINT(tether-thread-detach): process exits right after, see #42
  // NOLINTNEXTLINE(tether-thread-detach): crash-reporter thread must outlive main
  std::thread(work).detach();
}
