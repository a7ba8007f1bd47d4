// RUN: %check_tidy %s tether-manual-lock %t

// Every lock()/unlock()/try_lock*()/lock_shared()/unlock_shared() on a mutex type, and
// pthread_mutex_lock/unlock, is reported; RAII owners, BasicLockable wrappers and look-alikes are not.

#include <mutex>
#include <pthread.h>
#include <shared_mutex>

namespace boost {
class mutex {
public:
  void lock();
  void unlock();
  bool try_lock();
};
} // namespace boost

std::mutex m;
std::recursive_mutex rm;
std::timed_mutex tm;
std::shared_mutex sm;
boost::mutex bm;
pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;
int counter;
bool ready();

void early_return(bool fail) {
  m.lock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'lock()' on 'std::mutex' keeps it locked on every path that misses the unlock; use 'std::lock_guard', 'std::scoped_lock' or 'std::unique_lock' so that it is released on every path [tether-manual-lock]
  if (fail)
    return; // the mutex stays locked
  ++counter;
  m.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'unlock()' on 'std::mutex' releases the lock outside an RAII owner; use
}

void every_kind() {
  rm.lock();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: manual 'lock()' on 'std::recursive_mutex'
  rm.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: manual 'unlock()' on 'std::recursive_mutex'
  if (tm.try_lock_for(std::chrono::milliseconds(5)))
    // CHECK-MESSAGES: :[[@LINE-1]]:10: warning: manual 'try_lock_for()' on 'std::timed_mutex'
    tm.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:8: warning: manual 'unlock()' on 'std::timed_mutex'
  sm.lock_shared();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: manual 'lock_shared()' on 'std::shared_mutex'
  sm.unlock_shared();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: manual 'unlock_shared()' on 'std::shared_mutex'
  if (m.try_lock())
    // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: manual 'try_lock()' on 'std::mutex'
    m.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:7: warning: manual 'unlock()' on 'std::mutex'
  bm.lock();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: manual 'lock()' on 'boost::mutex'
  bm.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: manual 'unlock()' on 'boost::mutex'
}

void through_pointers(std::mutex *p, std::mutex &r) {
  p->lock();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: manual 'lock()' on 'std::mutex'
  r.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'unlock()' on 'std::mutex'
}

void pthreads() {
  pthread_mutex_lock(&pm);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: manual 'pthread_mutex_lock()' locks or unlocks a mutex outside an RAII owner; use 'std::lock_guard'
  ++counter;
  pthread_mutex_unlock(&pm);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: manual 'pthread_mutex_unlock()' locks or unlocks a mutex outside an RAII owner
}

// A class derived from a mutex type inherits its lock().
struct counted_mutex : std::mutex {};
void derived(counted_mutex &cm) {
  ++counter;
  cm.lock();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: manual 'lock()' on 'std::mutex'
  cm.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: manual 'unlock()' on 'std::mutex'
}

// --- Not reported -----------------------------------------------------------------------------

// RAII owners, and unique_lock's own lock()/unlock() (the owner still releases it).
// (The trivial shape, which has a fix-it, is in tether-manual-lock-fixits.cpp.)
void raii() {
  std::lock_guard<std::mutex> g(m);
  std::scoped_lock s(rm, tm);
  std::unique_lock<std::mutex> u(m, std::defer_lock);
  u.lock();
  u.unlock();
  u.try_lock();
  std::shared_lock<std::shared_mutex> sl(sm);
  sl.unlock();
  std::lock(u, sl);
}

// A BasicLockable wrapper forwards to its mutex in its own lock()/unlock()/try_lock().
class spin_guarded {
public:
  void lock() { mu_.lock(); }
  void unlock() { mu_.unlock(); }
  bool try_lock() { return mu_.try_lock(); }
  void lock_shared() { smu_.lock_shared(); }
  void unlock_shared() { smu_.unlock_shared(); }

private:
  std::mutex mu_;
  std::shared_mutex smu_;
};
// The same in another naming style (leveldb's port::Mutex), and a hand-written RAII guard that locks
// in its constructor and unlocks in its destructor.
class Mutex {
public:
  void Lock() { mu_.lock(); }
  void Unlock() { mu_.unlock(); }
  bool TryLock() { return mu_.try_lock(); }
  void AssertHeld() { mu_.unlock(); }
  // CHECK-MESSAGES: :[[@LINE-1]]:27: warning: manual 'unlock()' on 'std::mutex'

private:
  std::mutex mu_;
};
class hand_guard {
public:
  explicit hand_guard(std::mutex &mu) : mu_(mu) { mu_.lock(); }
  ~hand_guard() { mu_.unlock(); }

private:
  std::mutex &mu_;
};
void use_wrapper(spin_guarded &w) {
  std::lock_guard g(w);
  w.lock(); // a user type not listed in MutexTypes
  w.unlock();
}

// Look-alikes: lock()/unlock() on unrelated types, and unevaluated operands.
struct file_lock {
  void lock();
  void unlock();
};
void look_alikes(file_lock &f) {
  f.lock();
  f.unlock();
  (void)sizeof(m.try_lock());
  using T = decltype(m.lock());
  static_assert(noexcept(m.unlock()) || true);
}

// --- Macros and templates ---------------------------------------------------------------------

#define LOCKED(mu, stmt) do { (mu).lock(); stmt; (mu).unlock(); } while (0)
void macro() {
  LOCKED(m, ++counter);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: manual 'lock()' on 'std::mutex'
  // The unlock in the same macro use is at the same place: reported once there.
}

template <class Mutex> void generic(Mutex &mu) {
  ++counter;
  mu.lock();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: manual 'lock()' on 'std::mutex'
  ++counter;
  mu.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: manual 'unlock()' on 'std::mutex'
}
void instantiate(std::mutex &a, std::mutex &b, file_lock &f) {
  generic(a); // reported once, at the template
  generic(f); // a look-alike instantiation alone would not be reported
}
