// The "what people write today" peer for task_group: a minimal but honest thread pool, one std::mutex +
// std::condition_variable around a std::deque<std::function<void()>>, hardware_concurrency() workers.
//
// Fair to it on purpose: no per-task allocation beyond std::function's (small captures are stored
// inline), notify_one per submit (glibc makes that cheap when nobody waits), a lock-free-ish completion
// count per batch (one atomic decrement; the mutex is taken only for the last task). What it does not do
// (and tether / oneTBB do): the waiting thread does not help run tasks, no cancellation, no registry,
// no exception transport.
//
// Optional in-flight limit: submit() blocks while `limit` tasks are queued or running (the same meaning as
// task_group's limit), the usual bounded-queue pool.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>
#include <vector>

namespace bench {

// Counts a batch's outstanding tasks; wait() blocks until they are all done.
class wait_group {
 public:
  void add(std::size_t n = 1) noexcept { n_.fetch_add(n, std::memory_order_relaxed); }
  void done() {
    if (n_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      std::lock_guard lk(m_);
      cv_.notify_all();
    }
  }
  void wait() {
    std::unique_lock lk(m_);
    cv_.wait(lk, [this] { return n_.load(std::memory_order_acquire) == 0; });
  }

 private:
  std::atomic<std::size_t> n_{0};
  std::mutex m_;
  std::condition_variable cv_;
};

class mutex_pool {
 public:
  explicit mutex_pool(std::size_t threads = std::max(1U, std::thread::hardware_concurrency()),
                      std::size_t limit = std::numeric_limits<std::size_t>::max())
      : limit_(limit) {
    workers_.reserve(threads);
    for (std::size_t i = 0; i < threads; ++i) {
      workers_.emplace_back([this] { run(); });  // NOLINT(tether-raw-thread): the peer being measured
    }
  }
  ~mutex_pool() {
    {
      std::lock_guard lk(m_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  mutex_pool(const mutex_pool&) = delete;
  mutex_pool& operator=(const mutex_pool&) = delete;

  void submit(std::function<void()> f) {
    {
      std::unique_lock lk(m_);
      if (inflight_ >= limit_) room_cv_.wait(lk, [this] { return inflight_ < limit_; });
      ++inflight_;
      q_.push_back(std::move(f));
    }
    work_cv_.notify_one();
  }

 private:
  void run() {
    std::unique_lock lk(m_);
    for (;;) {
      work_cv_.wait(lk, [this] { return stop_ || !q_.empty(); });
      if (q_.empty()) return;
      std::function<void()> f = std::move(q_.front());
      q_.pop_front();
      lk.unlock();
      f();
      lk.lock();
      if (inflight_-- == limit_) room_cv_.notify_one();
    }
  }

  const std::size_t limit_;
  std::mutex m_;
  std::condition_variable work_cv_;
  std::condition_variable room_cv_;
  std::deque<std::function<void()>> q_;
  std::size_t inflight_ = 0;
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace bench
