// Internal: a mutex that spins briefly before it sleeps, and the condition variable that waits with it.
// Used by worker_pool.cpp, whose one mutex is taken by the submitter and every worker once per task.
//
// Why. A std::mutex (glibc's PTHREAD_MUTEX_NORMAL) goes to the kernel as soon as it is contended: when the
// submitter and the workers meet on the queue's lock, every unlock becomes a futex wake and the lock
// convoys (the holder is descheduled while the others queue behind it). glibc's adaptive mutex spins up to
// its tunable `glibc.pthread.mutex_spin_count` (100 by default) before sleeping, which covers a
// critical section of a few dozen instructions. Measured on the 2-core bench machine with empty tasks
// (bench_worker_pool, 11 interleaved repetitions, medians): 26.6 ms -> 9.7 ms per 10^5 tasks, process CPU
// 45 ms -> 17 ms (docs/performance.md, "worker_pool").
//
// adaptive_mutex meets Lockable (std::lock_guard, std::unique_lock); adaptive_cv is a condition variable for
// std::unique_lock<adaptive_mutex> whose timed waits use CLOCK_MONOTONIC (std::chrono::steady_clock's clock
// on Linux), so a wall-clock jump neither shortens nor stretches them. Outside glibc the mutex is a plain
// pthread mutex. Neither type is copyable or movable; both are thread-safe as their std counterparts.
#pragma once

#include <pthread.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <mutex>
#include <system_error>

namespace tether::detail {

class adaptive_mutex {
 public:
  adaptive_mutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
#if defined(__GLIBC__)
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
#endif
    const int rc = pthread_mutex_init(&m_, &attr);
    pthread_mutexattr_destroy(&attr);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "tether: pthread_mutex_init");
  }
  ~adaptive_mutex() { pthread_mutex_destroy(&m_); }
  adaptive_mutex(const adaptive_mutex&) = delete;
  adaptive_mutex& operator=(const adaptive_mutex&) = delete;

  void lock() {
    if (const int rc = pthread_mutex_lock(&m_); rc != 0) {
      throw std::system_error(rc, std::generic_category(), "tether: pthread_mutex_lock");
    }
  }
  bool try_lock() noexcept { return pthread_mutex_trylock(&m_) == 0; }
  void unlock() noexcept { pthread_mutex_unlock(&m_); }
  pthread_mutex_t* native_handle() noexcept { return &m_; }

 private:
  pthread_mutex_t m_;
};

class adaptive_cv {
 public:
  adaptive_cv() {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    const int rc = pthread_cond_init(&cv_, &attr);
    pthread_condattr_destroy(&attr);
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "tether: pthread_cond_init");
  }
  ~adaptive_cv() { pthread_cond_destroy(&cv_); }
  adaptive_cv(const adaptive_cv&) = delete;
  adaptive_cv& operator=(const adaptive_cv&) = delete;

  void notify_one() noexcept { pthread_cond_signal(&cv_); }
  void notify_all() noexcept { pthread_cond_broadcast(&cv_); }

  // Waits once (may return spuriously); `lk` must own its mutex.
  void wait(std::unique_lock<adaptive_mutex>& lk) noexcept { pthread_cond_wait(&cv_, lk.mutex()->native_handle()); }

  template <class Pred>
  void wait(std::unique_lock<adaptive_mutex>& lk, Pred pred) {
    while (!pred()) wait(lk);
  }

  // Waits until `pred()` holds (true) or `deadline` passed with it false (false).
  template <class Pred>
  bool wait_until(std::unique_lock<adaptive_mutex>& lk, std::chrono::steady_clock::time_point deadline, Pred pred) {
    const auto since_epoch = deadline.time_since_epoch();
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    timespec ts{};
    ts.tv_sec = static_cast<std::time_t>(secs.count());
    ts.tv_nsec = static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch - secs).count());
    while (!pred()) {
      if (pthread_cond_timedwait(&cv_, lk.mutex()->native_handle(), &ts) == ETIMEDOUT) return pred();
    }
    return true;
  }

 private:
  pthread_cond_t cv_;
};

}  // namespace tether::detail
