// RUN: %check_tidy %s tether-raw-thread %t
// clang-tidy drops identical diagnostics, the compiler plugin forwards each one: count them there
// to be sure every site is reported exactly once although some templates are instantiated twice.
// RUN: %clangxx -fsyntax-only -std=c++20 -I%tether_inputs -fplugin=%tether_plugin \
// RUN:   '-fplugin-arg-tether-checks=-*,tether-raw-thread' %s 2>&1 \
// RUN:   | grep -c 'warning: ' | FileCheck %s --check-prefix=ONCE
// ONCE: {{^}}24{{$}}

// Templates are judged as written, also where no translation unit instantiates them: a header's
// thread pool class template, a header-only server's run_async() that nothing calls. Clang leaves a
// construction or call with dependent arguments unresolved in the template (CXXUnresolvedConstructExpr,
// ParenListExpr, UnresolvedLookupExpr, UnresolvedMemberExpr); it is a spawn wherever the verdict does
// not hinge on a template argument, reported where an instantiation's would be, with the same message.

#include <future>
#include <map>
#include <memory>
#include <pthread.h>
#include <thread>
#include <vector>

void work();
void *entry(void *);

// --- A thread pool class template in a header, never instantiated -----------------------------

template <class Task> class thread_pool {
public:
  explicit thread_pool(int n) : m_thread(&thread_pool::run, this) {
  // CHECK-MESSAGES: :[[@LINE-1]]:33: warning: raw thread creation with 'std::thread'; spawn
    for (int i = 0; i < n; ++i)
      m_workers.emplace_back(&thread_pool::run, this);
      // CHECK-MESSAGES: :[[@LINE-1]]:17: warning: raw thread creation with 'std::thread' via 'emplace_back'; spawn
  }
  void restart() { m_thread = std::thread(&thread_pool::run, this); }
  // CHECK-MESSAGES: :[[@LINE-1]]:31: warning: raw thread creation with 'std::thread'; spawn
  void braced() { m_thread = std::thread{[this] { run(); }}; }
  // CHECK-MESSAGES: :[[@LINE-1]]:30: warning: raw thread creation with 'std::thread'; spawn
  void local() { std::thread t(&thread_pool::run, this); t.join(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:30: warning: raw thread creation with 'std::thread'; spawn
  void local_braced() { std::jthread t{&thread_pool::run, this}; }
  // CHECK-MESSAGES: :[[@LINE-1]]:38: warning: raw thread creation with 'std::jthread'; spawn
  void heap() { m_heap = new std::thread(&thread_pool::run, this); }
  // CHECK-MESSAGES: :[[@LINE-1]]:30: warning: raw thread creation with 'std::thread'; spawn
  void made() { auto p = std::make_unique<std::thread>(&thread_pool::run, this); p->join(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:26: warning: raw thread creation with 'std::thread' via 'make_unique'; spawn
  void shared() { auto p = std::make_shared<std::thread>(&thread_pool::run, this); p->join(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:28: warning: raw thread creation with 'std::thread' via 'make_shared'; spawn
  void named(int key) { m_named.emplace(key, [this] { run(); }); }
  // CHECK-MESSAGES: :[[@LINE-1]]:33: warning: raw thread creation with 'std::thread' via 'emplace'; spawn
  void posix() { pthread_t tid; pthread_create(&tid, nullptr, &thread_pool::entry, this); }
  // CHECK-MESSAGES: :[[@LINE-1]]:33: warning: call to 'pthread_create' starts an untracked thread
  void async_run() { auto f = std::async(std::launch::async, &thread_pool::run, this); }
  // CHECK-MESSAGES: :[[@LINE-1]]:31: warning: call to 'std::async' starts an untracked thread
  void async_default() { auto f = std::async([this] { run(); }); }
  // CHECK-MESSAGES: :[[@LINE-1]]:35: warning: call to 'std::async' starts an untracked thread

private:
  static void *entry(void *);
  void run();
  std::thread m_thread;
  std::thread m_field{&thread_pool::run, this};
  // CHECK-MESSAGES: :[[@LINE-1]]:22: warning: raw thread creation with 'std::thread'; spawn
  std::vector<std::thread> m_workers;
  std::map<int, std::thread> m_named;
  std::thread *m_heap = nullptr;
  Task m_task;
};

// A function template nothing calls.
template <class Arg> void start_posix(Arg *arg) {
  pthread_t tid;
  pthread_create(&tid, nullptr, &entry, arg);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'pthread_create' starts an untracked thread
  ::pthread_create(&tid, nullptr, &entry, arg);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'pthread_create' starts an untracked thread
}

// A derived thread type, constructed with dependent arguments.
struct named_thread : std::thread {
  using std::thread::thread;
};
template <class T> struct named_user {
  void start(T *p) { named_thread t(&named_user::run, p); t.detach(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:35: warning: raw thread creation with 'named_thread' (derived from 'std::thread'); spawn
  static void run(T *);
};

// --- A header-only server: run_async() that nothing calls --------------------------------------

template <class Handler> class basic_server {
public:
  void run_async() { m_listener = std::thread([this] { listen(); }); }
  // CHECK-MESSAGES: :[[@LINE-1]]:35: warning: raw thread creation with 'std::thread'; spawn
  void run_detached(Handler h) { std::thread(h).detach(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:34: warning: raw thread creation with 'std::thread'; spawn
  void listen();

private:
  std::thread m_listener;
};

// --- Instantiated and written: once --------------------------------------------------------------

template <class T> struct worker {
  void start() { m_t = std::thread(&worker::loop, this); }
  // CHECK-MESSAGES: :[[@LINE-1]]:24: warning: raw thread creation with 'std::thread'; spawn
  void loop();
  std::thread m_t;
};
template struct worker<int>;
template struct worker<char>;

// Defined after its instantiation is requested: the instantiation is traversed first.
template <class T> struct late {
  void start();
  void run();
  std::thread m_t;
};
void use_late() { late<int>().start(); }
template <class T> void late<T>::start() { m_t = std::thread(&late::run, this); }
// CHECK-MESSAGES: :[[@LINE-1]]:50: warning: raw thread creation with 'std::thread'; spawn

template <class F> void fire(F f) { std::thread(f).join(); }
// CHECK-MESSAGES: :[[@LINE-1]]:37: warning: raw thread creation with 'std::thread'; spawn
void use_fire() { fire(work); fire([] {}); }

// --- Macros: at the macro's use --------------------------------------------------------------------

#define SPAWN_MEMBER(fn) std::thread(&fn, this)
template <class T> struct macro_user {
  void start() { m_t = SPAWN_MEMBER(macro_user::run); }
  // CHECK-MESSAGES: :[[@LINE-1]]:24: warning: raw thread creation with 'std::thread'; spawn
  void again() { m_t = SPAWN_MEMBER(macro_user::run); }
  // CHECK-MESSAGES: :[[@LINE-1]]:24: warning: raw thread creation with 'std::thread'; spawn
  void run();
  std::thread m_t;
};

// --- The verdict hinges on a template argument: not judged as written ---------------------------

// The thread type itself is a parameter.
template <class Thread, class F> void start_with(F fn) { Thread t(fn); t.join(); }
// One argument that may be a thread (an rvalue of a dependent type): a move or a spawn.
template <class F> void forward_one(F &&f) { std::thread t(std::forward<F>(f)); t.join(); }
template <class T> struct holder {
  std::thread m_t;
  void take(T other) { m_t = std::thread(std::move(other)); }
};
// A lone pack: nothing, a move or a spawn.
template <class... Args> void pack_only(Args &&...args) {
  std::thread t(std::forward<Args>(args)...);
  t.join();
}
// A container of T.
template <class C, class V> void into(C &c, V v) { c.emplace_back(v); }
// A policy that may be std::launch::deferred; a deferred policy never starts a thread.
template <class P, class F> void with_policy(P p, F f) { auto r = std::async(p, f); }
template <class F> void deferred(F f) { auto r = std::async(std::launch::deferred, f); }
// Default construction, a move of a thread.
template <class T> struct idle {
  std::thread m_t{};
  void reset(std::thread &&other) { m_t = std::thread(std::move(other)); (void)sizeof(T); }
};
// Unevaluated: nothing runs.
template <class T> struct probe {
  void run();
  void size() { using R = decltype(std::thread(&probe::run, this)); (void)sizeof(R); }
};
// Look-alikes: not thread types, not spawn functions.
template <class T> struct not_threads {
  std::vector<int> m_v;
  void add(T x) { m_v.emplace_back(x); }
  void go(T x) { std::vector<int> v(x, 1); (void)v; }
};
namespace mine {
template <class F> int async(F f);
}
template <class F> void own_async(F f) { mine::async(f); }
