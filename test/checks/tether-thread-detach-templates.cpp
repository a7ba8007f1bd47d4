// RUN: %check_tidy %s tether-thread-detach %t
// clang-tidy drops identical diagnostics, the compiler plugin forwards each one: count them there
// to be sure every site is reported exactly once although some templates are instantiated twice.
// RUN: %clangxx -fsyntax-only -std=c++20 -I%tether_inputs -fplugin=%tether_plugin \
// RUN:   '-fplugin-arg-tether-checks=-*,tether-thread-detach' %s 2>&1 \
// RUN:   | grep -c 'warning: ' | FileCheck %s --check-prefix=ONCE
// ONCE: {{^}}13{{$}}

// Templates are judged as written, also where no translation unit instantiates them. `m_thread.detach()`
// on a member of type std::thread is resolved in the template (also as `this->m_thread`, whose object
// expression depends on the template arguments): it is a detach whatever they are. The notes on what
// the thread may leave dangling are read from the template as written too (a `[&]` lambda's uses of
// dependent variables, which clang captures per instantiation only), so they do not depend on which
// occurrence is reported.

#include <pthread.h>
#include <string>
#include <thread>
#include <utility>
#include <vector>

void work();
void use(int);

// --- Never instantiated ---------------------------------------------------------------------------

template <class Task> class thread_pool {
public:
  void start() {
    m_thread = std::thread(&thread_pool::run, this);
    m_thread.detach();
    // CHECK-NOTES: :[[@LINE-1]]:14: warning: 'detach()' makes this thread unowned
  }
  void stop() { this->m_thread.detach(); }
  // CHECK-NOTES: :[[@LINE-1]]:32: warning: 'detach()' makes this thread unowned
  void fire() { std::thread(&thread_pool::run, this).detach(); }
  // CHECK-NOTES: :[[@LINE-1]]:54: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:48: note: the detached thread is given 'this'; the object may be destroyed while the thread still runs
  void fire_lambda() { std::thread([this] { run(); }).detach(); }
  // CHECK-NOTES: :[[@LINE-1]]:55: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:37: note: the detached thread captures 'this'; the object may be destroyed while the thread still runs
  void fire_local(Task t) {
    std::thread th([&] { t.run(); });
    th.detach();
    // CHECK-NOTES: :[[@LINE-1]]:8: warning: 'detach()' makes this thread unowned
    // CHECK-NOTES: :[[@LINE-3]]:26: note: 't' is captured by reference and may go out of scope while the detached thread still runs
  }
  void fire_ptr() { m_heap->detach(); }
  // CHECK-NOTES: :[[@LINE-1]]:29: warning: 'detach()' makes this thread unowned
  void posix() { pthread_detach(m_task.handle()); }
  // CHECK-NOTES: :[[@LINE-1]]:18: warning: 'pthread_detach()' makes this thread unowned
  void posix_attr(pthread_attr_t *attr) {
    m_task.prepare(attr);
    pthread_attr_setdetachstate(m_task.attr(), PTHREAD_CREATE_DETACHED);
    // CHECK-NOTES: :[[@LINE-1]]:5: warning: 'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' makes every thread created with this attribute unowned
  }

private:
  void run();
  std::thread m_thread;
  std::thread *m_heap = nullptr;
  Task m_task;
};

// The construction may be a move (one forwarded argument), but the thread is detached either way.
template <class F> void go(F &&f) { std::thread(std::forward<F>(f)).detach(); }
// CHECK-NOTES: :[[@LINE-1]]:69: warning: 'detach()' makes this thread unowned

// A header-only server's run_async() that nothing calls.
template <class Handler> class basic_server {
public:
  void run_async() {
    std::thread t([this] { listen(); });
    t.detach();
    // CHECK-NOTES: :[[@LINE-1]]:7: warning: 'detach()' makes this thread unowned
    // CHECK-NOTES: :[[@LINE-3]]:20: note: the detached thread captures 'this'; the object may be destroyed while the thread still runs
  }
  void listen();
};

// --- Instantiated and written: once ------------------------------------------------------------------

template <class T> struct worker {
  void start() { m_t.detach(); }
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'detach()' makes this thread unowned
  std::thread m_t;
};
template struct worker<int>;
template struct worker<char>;

template <class T> struct late {
  void start();
  std::thread m_t;
};
void use_late() { late<int>().start(); }
template <class T> void late<T>::start() { this->m_t.detach(); }
// CHECK-NOTES: :[[@LINE-1]]:54: warning: 'detach()' makes this thread unowned

// --- Macros ------------------------------------------------------------------------------------------

#define DETACH(t) (t).detach()
template <class T> struct macro_user {
  void stop() { DETACH(m_t); }
  // CHECK-NOTES: :[[@LINE-1]]:17: warning: 'detach()' makes this thread unowned
  std::thread m_t;
};

// --- The verdict hinges on a template argument: not judged as written ---------------------------------

template <class Thread> void detach_any(Thread &t) { t.detach(); }
template <class T> struct holder {
  T m_t;
  void stop() { m_t.detach(); }
};
template <int State> void set_state(pthread_attr_t *attr) { pthread_attr_setdetachstate(attr, State); }
// Look-alikes.
struct session {
  void detach();
};
template <class T> struct not_threads {
  session m_s;
  void stop(T) { m_s.detach(); }
};
template <class T> void joinable(T *attr) { pthread_attr_setdetachstate(attr, PTHREAD_CREATE_JOINABLE); }
