// The runtime's one deadline timer thread (a raw thread spawn site allowed by tether's lint config).
//
// One thread and one ordered queue serve every context with a deadline, however many there are. Entries
// are removed when their node is cancelled or destroyed, so the queue only ever holds live, armed
// deadlines. The thread starts on the first deadline and is stopped and joined at process exit.
#include "timer.h"

#include "shutdown.h"

#include <condition_variable>
#include <mutex>
#include <thread>

namespace tether::detail {
namespace {

struct timer_service {
  std::mutex m;
  std::condition_variable cv;
  timer_queue queue;
  std::thread thread;
  bool stopping = false;

  void run() {
    std::unique_lock lk(m);
    while (!stopping) {  // exits when timer_shutdown() sets stopping
      if (queue.empty()) {
        cv.wait(lk);
        continue;
      }
      auto first = queue.begin();
      // Copy: the entry may be erased while we sleep with the mutex released.
      const auto when = first->first;
      if (when > std::chrono::steady_clock::now()) {
        cv.wait_until(lk, when);
        continue;
      }
      context_node* n = first->second;
      queue.erase(first);
      n->timer_armed = false;
      // n's destructor needs this mutex to finish, so n is still a valid object here; lock() fails if it is
      // already being destroyed, in which case nobody can observe the cancellation anyway.
      std::shared_ptr<context_node> keep = n->weak_from_this().lock();
      lk.unlock();
      if (keep) keep->cancel(errc::deadline_exceeded);
      keep.reset();  // may destroy the node, whose destructor takes the mutex: not held here
      lk.lock();
    }
  }
};

timer_service& service() {
  // Immortal: contexts may be destroyed during static destruction and still disarm.
  static timer_service* t = new timer_service;
  return *t;
}

}  // namespace

void timer_arm(context_node* n, std::chrono::steady_clock::time_point when) {
  auto& t = service();
  bool notify = false;
  {
    std::lock_guard lk(t.m);
    if (n->err.load(std::memory_order_acquire) != 0 || n->timer_armed) return;
    if (!t.thread.joinable() && !t.stopping) {
      ensure_exit_handler();
      t.thread = std::thread([&t] { t.run(); });
    }
    n->timer_pos = t.queue.emplace(when, n);
    n->timer_armed = true;
    notify = (n->timer_pos == t.queue.begin());  // only a new earliest deadline changes the wait
  }
  if (notify) t.cv.notify_one();
}

void timer_disarm(context_node* n) noexcept {
  auto& t = service();
  std::lock_guard lk(t.m);
  if (!n->timer_armed) return;
  t.queue.erase(n->timer_pos);
  n->timer_armed = false;
}

void timer_shutdown() noexcept {
  auto& t = service();
  std::thread th;
  {
    std::lock_guard lk(t.m);
    t.stopping = true;
    th = std::move(t.thread);
  }
  t.cv.notify_all();
  if (th.joinable()) th.join();
}

std::size_t timer_queue_size() noexcept {
  auto& t = service();
  std::lock_guard lk(t.m);
  return t.queue.size();
}

}  // namespace tether::detail
