// RUN: %check_tidy %s tether-raw-thread %t

// tether-raw-thread: every place that starts a thread outside the tether runtime. Threads must be
// spawned through 'tether::safe_go' or a 'tether::task_group', which own, name and cancel them.

#include <future>
#include <map>
#include <memory>
#include <optional>
#include <pthread.h>
#include <thread>
#include <threads.h>
#include <utility>
#include <vector>

void work();
void work_with(int);
void *pthread_main(void *);
int c11_main(void *);

// ---------------------------------------------------------------------------------------------
// Constructing a thread type with a callable.
// ---------------------------------------------------------------------------------------------

void direct_construction() {
  std::thread t(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:15: warning: raw thread creation with 'std::thread'; spawn through 'tether::safe_go' (owned, named, cancellable) or a 'tether::task_group' instead [tether-raw-thread]
  t.join();

  std::thread braces{work_with, 42};
  // CHECK-MESSAGES: :[[@LINE-1]]:15: warning: raw thread creation with 'std::thread'; spawn
  braces.join();

  std::thread lambda([] { work(); });
  // CHECK-MESSAGES: :[[@LINE-1]]:15: warning: raw thread creation with 'std::thread'; spawn
  lambda.join();

  std::jthread jt([](std::stop_token) { work(); });
  // CHECK-MESSAGES: :[[@LINE-1]]:16: warning: raw thread creation with 'std::jthread'; spawn
}

void temporaries() {
  std::thread{work}.join();
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: raw thread creation with 'std::thread'; spawn
  std::thread(work).join();
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: raw thread creation with 'std::thread'; spawn

  // Reported once: the copy-initialization is the construction itself (no second report for
  // the variable).
  std::thread t = std::thread(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:19: warning: raw thread creation with 'std::thread'; spawn
  t.join();
  auto a = std::thread(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:12: warning: raw thread creation with 'std::thread'; spawn
  a.join();
}

std::thread returned() {
  return std::thread(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:10: warning: raw thread creation with 'std::thread'; spawn
}

std::thread returned_braced() {
  return std::thread{work};
  // CHECK-MESSAGES: :[[@LINE-1]]:10: warning: raw thread creation with 'std::thread'; spawn
}

void on_the_heap() {
  std::thread *p = new std::thread(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:24: warning: raw thread creation with 'std::thread'; spawn
  p->join();
  delete p;

  auto u = std::make_unique<std::thread>(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:12: warning: raw thread creation with 'std::thread' via 'make_unique'; spawn through 'tether::safe_go' (owned, named, cancellable) or a 'tether::task_group' instead [tether-raw-thread]
  auto s = std::make_shared<std::jthread>(work_with, 1);
  // CHECK-MESSAGES: :[[@LINE-1]]:12: warning: raw thread creation with 'std::jthread' via 'make_shared'; spawn
  auto s2 = std::make_shared<std::thread>([] { work(); });
  // CHECK-MESSAGES: :[[@LINE-1]]:13: warning: raw thread creation with 'std::thread' via 'make_shared'; spawn

  auto a = std::allocate_shared<std::thread>(std::allocator<std::thread>(), work);
  // CHECK-MESSAGES: :[[@LINE-1]]:12: warning: raw thread creation with 'std::thread' via 'allocate_shared'; spawn
  alignas(std::thread) unsigned char storage[sizeof(std::thread)];
  std::thread *placed = std::construct_at(reinterpret_cast<std::thread *>(storage), work);
  // CHECK-MESSAGES: :[[@LINE-1]]:25: warning: raw thread creation with 'std::thread' via 'construct_at'; spawn
  placed->join();
  std::destroy_at(placed);
  std::thread *placed_new = new (storage) std::thread(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:43: warning: raw thread creation with 'std::thread'; spawn
  placed_new->join();

  // Constructed here (reported at the construction), then moved into the factory: reported once.
  auto once = std::make_unique<std::thread>(std::thread(work));
  // CHECK-MESSAGES: :[[@LINE-1]]:45: warning: raw thread creation with 'std::thread'; spawn
}

// ---------------------------------------------------------------------------------------------
// Containers: the thread is constructed inside <vector>, the diagnostic is at the user's call.
// ---------------------------------------------------------------------------------------------

void containers() {
  std::vector<std::thread> threads;
  threads.emplace_back(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:11: warning: raw thread creation with 'std::thread' via 'emplace_back'; spawn through 'tether::safe_go' (owned, named, cancellable) or a 'tether::task_group' instead [tether-raw-thread]
  threads.emplace_back([] { work(); });
  // CHECK-MESSAGES: :[[@LINE-1]]:11: warning: raw thread creation with 'std::thread' via 'emplace_back'; spawn
  threads.emplace(threads.begin(), work_with, 7);
  // CHECK-MESSAGES: :[[@LINE-1]]:11: warning: raw thread creation with 'std::thread' via 'emplace'; spawn

  // push_back/insert take a thread: the construction is the user's, reported once there.
  threads.push_back(std::thread(work));
  // CHECK-MESSAGES: :[[@LINE-1]]:21: warning: raw thread creation with 'std::thread'; spawn
  threads.insert(threads.end(), std::thread(work));
  // CHECK-MESSAGES: :[[@LINE-1]]:33: warning: raw thread creation with 'std::thread'; spawn
  threads.emplace_back(std::thread(work));
  // CHECK-MESSAGES: :[[@LINE-1]]:24: warning: raw thread creation with 'std::thread'; spawn

  std::map<int, std::thread> by_id;
  by_id.emplace(1, work);
  // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: raw thread creation with 'std::thread' via 'emplace'; spawn
  by_id.try_emplace(2, work_with, 3);
  // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: raw thread creation with 'std::thread' via 'try_emplace'; spawn

  by_id.emplace(std::piecewise_construct, std::forward_as_tuple(4), std::forward_as_tuple(work));
  // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: raw thread creation with 'std::thread' via 'emplace'; spawn
  by_id.emplace(5, std::thread());                  // a move of an empty thread
  by_id.try_emplace(6);                             // default construction
  by_id.emplace(std::piecewise_construct, std::forward_as_tuple(7), std::forward_as_tuple());

  std::optional<std::thread> maybe;
  maybe.emplace(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: raw thread creation with 'std::thread' via 'emplace'; spawn

  for (std::thread &t : threads)
    t.join();
}

// ---------------------------------------------------------------------------------------------
// Aliases and derived classes.
// ---------------------------------------------------------------------------------------------

using worker = std::thread;
typedef std::jthread jworker;

void aliases() {
  worker w(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:10: warning: raw thread creation with 'std::thread'; spawn
  w.join();
  jworker jw(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:11: warning: raw thread creation with 'std::jthread'; spawn
  std::vector<worker> pool;
  pool.emplace_back(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:8: warning: raw thread creation with 'std::thread' via 'emplace_back'; spawn
}

// Inherits the thread constructors: every construction with a callable is a spawn.
struct my_thread : std::thread {
  using std::thread::thread;
};
struct my_named_thread : my_thread {
  using my_thread::my_thread;
};

// Its own constructor passes a callable to the base: the base initializer is the spawn site.
struct refresher : std::thread {
  refresher() : std::thread(&refresher::run, this) {}
  // CHECK-MESSAGES: :[[@LINE-1]]:17: warning: raw thread creation with 'std::thread'; spawn
  explicit refresher(int period) : std::thread([period] { work_with(period); }) {}
  // CHECK-MESSAGES: :[[@LINE-1]]:36: warning: raw thread creation with 'std::thread'; spawn
  void run();
};

// A class that owns a thread member started in its default member initializer.
struct service {
  std::thread poller{[this] { poll(); }};
  // CHECK-MESSAGES: :[[@LINE-1]]:21: warning: raw thread creation with 'std::thread'; spawn
  void poll();
};

void derived() {
  my_thread m(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:13: warning: raw thread creation with 'my_thread' (derived from 'std::thread'); spawn
  my_named_thread n(work_with, 1);
  // CHECK-MESSAGES: :[[@LINE-1]]:19: warning: raw thread creation with 'my_named_thread' (derived from 'std::thread'); spawn
  auto pm = std::make_unique<my_thread>(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:13: warning: raw thread creation with 'my_thread' (derived from 'std::thread') via 'make_unique'; spawn
  std::vector<my_thread> mine;
  mine.emplace_back(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:8: warning: raw thread creation with 'my_thread' (derived from 'std::thread') via 'emplace_back'; spawn

  // The spawns of these are their base initializers (reported above), not their uses.
  refresher r;
  refresher r2(5);
  std::vector<refresher> refreshers;
  refreshers.emplace_back(10);
  service svc;

  // Not spawns: default construction and moves of derived threads.
  my_thread idle;
  my_thread moved(std::move(m));
  mine.emplace_back(std::move(moved));
  mine.emplace_back();
}

// ---------------------------------------------------------------------------------------------
// Spawn functions.
// ---------------------------------------------------------------------------------------------

void spawn_functions() {
  pthread_t pt;
  pthread_create(&pt, nullptr, pthread_main, nullptr);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'pthread_create' starts an untracked thread; use 'tether::safe_go' or 'tether::task_group' instead [tether-raw-thread]
  ::pthread_create(&pt, nullptr, pthread_main, nullptr);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'pthread_create' starts an untracked thread
  (&pthread_create)(&pt, nullptr, pthread_main, nullptr);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'pthread_create' starts an untracked thread
  if (int rc = pthread_create(&pt, nullptr, pthread_main, nullptr); rc != 0)
    // CHECK-MESSAGES: :[[@LINE-1]]:16: warning: call to 'pthread_create' starts an untracked thread
    return;

  thrd_t ct;
  thrd_create(&ct, c11_main, nullptr);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'thrd_create' starts an untracked thread; use 'tether::safe_go' or 'tether::task_group' instead [tether-raw-thread]
}

void async_policies() {
  auto f1 = std::async(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:13: warning: call to 'std::async' starts an untracked thread: nothing can cancel it or bound it, and the returned std::future blocks in its destructor until the task ends; use 'tether::safe_go' or 'tether::task_group' instead [tether-raw-thread]
  auto f2 = std::async(std::launch::async, work);
  // CHECK-MESSAGES: :[[@LINE-1]]:13: warning: call to 'std::async' starts an untracked thread
  auto f3 = std::async(std::launch::async | std::launch::deferred, work_with, 1);
  // CHECK-MESSAGES: :[[@LINE-1]]:13: warning: call to 'std::async' starts an untracked thread
  std::async(std::launch::async, [] { work(); }); // the temporary future blocks right here
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'std::async' starts an untracked thread

  // A policy that is not a constant may start a thread.
  extern std::launch chosen_policy();
  auto f4 = std::async(chosen_policy(), work);
  // CHECK-MESSAGES: :[[@LINE-1]]:13: warning: call to 'std::async' starts an untracked thread

  // std::launch::deferred alone starts no thread: the task runs lazily in the thread that calls
  // get() or wait(). Not reported.
  auto lazy = std::async(std::launch::deferred, work);
  constexpr std::launch deferred = std::launch::deferred;
  auto lazy2 = std::async(deferred, work_with, 2);
  lazy.get();
  lazy2.wait();
}

// ---------------------------------------------------------------------------------------------
// Templates: reported once per spelled site, however often instantiated.
// ---------------------------------------------------------------------------------------------

template <class F> void spawn_and_join(F f) {
  std::thread t(f);
  // CHECK-MESSAGES: :[[@LINE-1]]:15: warning: raw thread creation with 'std::thread'; spawn
  t.join();
}

template <class F> void spawn_into(std::vector<std::thread> &v, F f) {
  v.emplace_back(f);
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: raw thread creation with 'std::thread' via 'emplace_back'; spawn
}

template <class T> struct pool {
  std::vector<std::thread> threads;
  void start(T task) { threads.emplace_back(task); }
  // CHECK-MESSAGES: :[[@LINE-1]]:32: warning: raw thread creation with 'std::thread' via 'emplace_back'; spawn
  auto async_start(T task) { return std::async(task); }
  // CHECK-MESSAGES: :[[@LINE-1]]:37: warning: call to 'std::async' starts an untracked thread
};

// Dependent on the thread type: a spawn where instantiated with a thread type, nothing otherwise.
template <class Thread> void start_any() {
  Thread t(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:10: warning: raw thread creation with {{'std::thread'|'std::jthread'}}; spawn
  t.join();
}
struct not_a_thread {
  explicit not_a_thread(void (*)());
  void join();
};

void instantiate() {
  spawn_and_join(work);
  spawn_and_join([] {});
  spawn_and_join([] { work(); });
  std::vector<std::thread> v;
  spawn_into(v, work);
  spawn_into(v, [] {});
  pool<void (*)()> p1;
  p1.start(work);
  (void)p1.async_start(work);
  pool<std::function<void()>> p2;
  p2.start(work);
  (void)p2.async_start(work);
  start_any<std::thread>();
  start_any<std::jthread>();
  start_any<not_a_thread>();
}

// ---------------------------------------------------------------------------------------------
// Macros: reported where the macro is used, once per use.
// ---------------------------------------------------------------------------------------------

#define SPAWN(fn) std::thread(fn).detach()
#define START_THREAD(var, fn) std::thread var(fn)
#define THREAD_OF(x) x
#define PTHREAD_GO(p, fn) pthread_create(&(p), nullptr, fn, nullptr)

void macros() {
  SPAWN(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: raw thread creation with 'std::thread'; spawn
  SPAWN([] { work(); });
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: raw thread creation with 'std::thread'; spawn
  START_THREAD(t, work); // at the variable, which is spelled here
  // CHECK-MESSAGES: :[[@LINE-1]]:16: warning: raw thread creation with 'std::thread'; spawn
  t.join();
  // A construction written as a macro argument is reported where it is written.
  auto u = THREAD_OF(std::thread(work));
  // CHECK-MESSAGES: :[[@LINE-1]]:22: warning: raw thread creation with 'std::thread'; spawn
  u.join();
  pthread_t pt;
  PTHREAD_GO(pt, pthread_main);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'pthread_create' starts an untracked thread
}

// ---------------------------------------------------------------------------------------------
// NOT reported.
// ---------------------------------------------------------------------------------------------

namespace mylib {
// A user type named 'thread' in another namespace.
class thread {
public:
  explicit thread(void (*)());
  void join();
};
// A user function named 'async' in another namespace.
template <class F> int async(F f);
// A user function named pthread_create in a namespace.
int pthread_create(int, void (*)());
} // namespace mylib

void negatives(std::thread &&incoming) {
  std::thread idle;                      // default construction: no thread runs
  std::vector<std::thread> sized(4);     // four default-constructed (empty) threads
  std::vector<std::thread> moved_in;
  moved_in.reserve(4);
  moved_in.resize(6);
  moved_in.emplace_back();               // default construction again
  std::thread taken(std::move(incoming)); // a move: the thread was created elsewhere
  idle = std::move(taken);                // move assignment
  moved_in.push_back(std::move(idle));
  moved_in.emplace_back(std::move(moved_in[0]));
  moved_in.insert(moved_in.begin(), std::thread());
  std::thread swapped;
  swapped.swap(moved_in[1]);
  std::swap(swapped, moved_in[2]);
  auto hw = std::thread::hardware_concurrency();
  (void)hw;
  std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto id = std::this_thread::get_id();
  (void)id;
  if (swapped.joinable())
    swapped.join();
  auto empty_up = std::make_unique<std::thread>();
  auto moved_up = std::make_unique<std::thread>(std::move(swapped));

  mylib::thread mine(work);
  mine.join();
  (void)mylib::async(work);
  mylib::pthread_create(1, work);

  // Taking the address of pthread_create starts nothing (a later call through the pointer is
  // not visible to the check: see the docs).
  auto *fp = &pthread_create;
  (void)fp;
  int (*fp2)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *) = pthread_create;
  (void)fp2;

  std::promise<int> pr;
  std::future<int> fut = pr.get_future();
  std::packaged_task<int()> task([] { return 1; });
  task();
}

// Unevaluated operands start nothing.
using spawned_type = decltype(std::thread(work));
static_assert(sizeof(std::thread(work)) == sizeof(std::thread));
constexpr bool nothrow_spawn = noexcept(std::thread(work));
template <class F> auto spawnable(F f) -> decltype(std::thread(f), true) { return true; }
bool probe = spawnable(work);
template <class F> concept can_spawn = requires(F f) {
  std::thread(f);
  std::async(f);
  pthread_create(nullptr, nullptr, pthread_main, nullptr);
};
static_assert(can_spawn<void (*)()>);
using async_result = decltype(std::async(work));
using pthread_result = decltype(pthread_create(nullptr, nullptr, pthread_main, nullptr));

// Suppression with a reason.
void suppressed() {
  std::thread t(work); // NOLINT(tether-raw-thread): replaced by tether::safe_go in #123
  t.join();
  // NOLINTNEXTLINE(tether-raw-thread): one-shot tool, exits right after
  pthread_t pt; pthread_create(&pt, nullptr, pthread_main, nullptr);
}
