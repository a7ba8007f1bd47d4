// The runtime's deadline timer: one thread that watches every deadline, and a few helper threads that run
// the cancellations (raw thread spawn sites allowed by tether's lint config).
//
// One thread and one ordered queue serve every context with a deadline, however many there are. Entries
// are removed when their node is cancelled or destroyed, so the queue only ever holds live, armed
// deadlines. The timer thread never runs a cancellation itself: cancelling runs the context's stop
// callbacks, and one slow callback would hold back every other deadline in the process. It hands each
// expired context to a helper thread instead. Helpers start on demand, one more whenever every existing
// helper is busy (inside a callback), up to kMaxHelpers; so deadlines of unrelated contexts do not wait for
// each other's callbacks unless kMaxHelpers callbacks block at once. Expired contexts are handed over in
// deadline order; with several helpers busy, their callbacks may run concurrently and finish in any order.
// Everything starts on the first deadline and is stopped at process exit. A helper still inside a callback
// then is treated like a task that ignores cancellation: it gets what is left of the exit grace period, and
// if it is still inside, the exit handler reports it and ends the process without static destructors.
#include "timer.h"

#include "fork.h"
#include "shutdown.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <new>
#include <thread>

namespace tether::detail {
namespace {

// Enough for the stop callbacks that legitimately take a while (a callback that blocks for good is a bug;
// a few of those still leave the rest of the helpers to everyone else). A helper starts only when every
// existing one is busy, so fast callbacks need one or two; an unneeded helper costs one idle thread.
constexpr std::size_t kMaxHelpers = 16;

struct helper {
  std::thread thread;
  bool busy = false;    // inside a cancellation (guarded by the service's mutex)
  bool exited = false;  // left its loop
};

struct timer_service {
  std::mutex m;
  std::condition_variable cv;  // the timer thread waits here
  timer_queue queue;
  std::thread thread;
  bool stopping = false;

  // Expired contexts waiting for a helper (strong references: a context expires even with no handle left,
  // for its children's sake). Bounded by the number of deadlines armed.
  std::deque<std::shared_ptr<context_node>> expired;
  std::condition_variable helper_cv;
  std::list<helper> helpers;  // at most kMaxHelpers; entries stay put while their thread runs
  std::size_t idle = 0;       // helpers waiting for work
  std::size_t starting = 0;   // helpers started that have not yet looked for work

  void run() {
    std::unique_lock lk(m);
    while (!stopping) {  // exits when timer_shutdown() sets stopping
      if (!expired.empty() && !ensure_helper(lk)) continue;
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
      // While n is armed, its destructor needs this mutex to finish (timer_disarm), so n is still a valid
      // object here; lock() fails if it is already being destroyed, in which case nobody can observe the
      // cancellation anyway. Only then is it marked unarmed: from that point its destructor may run to the
      // end without the mutex, and n is not touched again (only `keep`).
      std::shared_ptr<context_node> keep = n->weak_from_this().lock();
      queue.erase(first);
      n->timer_armed.store(false);
      if (keep && keep->reason() == errc::none) {
        try {
          expired.push_back(std::move(keep));
          helper_cv.notify_one();
          continue;
        } catch (...) {
          // Out of memory: cancel it on this thread rather than lose the deadline.
        }
      }
      lk.unlock();
      if (keep) keep->cancel_if_live(errc::deadline_exceeded);
      keep.reset();  // may destroy the node, whose destructor takes the mutex: not held here
      lk.lock();
    }
  }

  // Makes sure every expired context has a helper coming for it: an idle one, or a new one (up to
  // kMaxHelpers). Returns false if it cancelled the oldest on this thread instead (no helper exists and none
  // could be started), with the lock re-taken.
  bool ensure_helper(std::unique_lock<std::mutex>& lk) {
    while (idle + starting < expired.size() && helpers.size() < kMaxHelpers) {
      try {
        helpers.emplace_back();
      } catch (...) {
        break;
      }
      helper* h = &helpers.back();
      try {
        h->thread = std::thread([this, h] { help(h); });
        ++starting;
      } catch (...) {
        helpers.pop_back();
        break;
      }
    }
    if (!helpers.empty()) return true;  // the existing helpers will get to it
    std::shared_ptr<context_node> n = std::move(expired.front());
    expired.pop_front();
    lk.unlock();
    n->cancel_if_live(errc::deadline_exceeded);
    n.reset();
    lk.lock();
    return false;
  }

  void help(helper* self) {
    std::unique_lock lk(m);
    --starting;
    for (;;) {
      ++idle;
      helper_cv.wait(lk, [this] { return stopping || !expired.empty(); });
      --idle;
      if (stopping) break;
      std::shared_ptr<context_node> n = std::move(expired.front());
      expired.pop_front();
      self->busy = true;
      lk.unlock();
      n->cancel_if_live(errc::deadline_exceeded);
      n.reset();  // may destroy the node, whose destructor takes the mutex: not held here
      lk.lock();
      self->busy = false;
      if (stopping) cv.notify_all();  // timer_shutdown may be waiting for the busy helpers
    }
    self->exited = true;
  }

  // Starts the timer thread (mutex held). Throws std::system_error if no thread can be created.
  void start_locked() {
    ensure_exit_handler();
    thread = std::thread([this] { run(); });
  }
};

timer_service*& service_ptr() {
  // Immortal: contexts may be destroyed during static destruction and still disarm. Replaced only in a forked
  // child (timer_atfork), while it has a single thread.
  static timer_service* t = new timer_service;
  return t;
}

timer_service& service() { return *service_ptr(); }

}  // namespace

void timer_arm(context_node* n, std::chrono::steady_clock::time_point when) {
  auto& t = service();
  bool notify = false;
  {
    std::lock_guard lk(t.m);
    if (n->reason() != errc::none || n->timer_armed) return;
    if (!t.thread.joinable() && !t.stopping) t.start_locked();
    n->timer_pos = t.queue.emplace(when, n);
    n->timer_armed.store(true);
    notify = (n->timer_pos == t.queue.begin());  // only a new earliest deadline changes the wait
  }
  if (notify) t.cv.notify_one();
}

void timer_disarm(context_node* n) noexcept {
  // Not armed (any more): nothing to take the mutex for. This is the common case - a context cancelled by its
  // deadline was taken off the queue by the timer thread before a helper got it - and it keeps a helper that
  // is cancelling a context from blocking on the mutex while a fork() holds it (which would leave that
  // cancellation half done in the child). A stale `true` only costs the lock; a stale `false` (a cancel
  // racing with the arming in make_child) leaves the entry until the deadline or the node's destruction.
  if (!n->timer_armed.load()) return;
  auto& t = service();
  std::lock_guard lk(t.m);
  if (!n->timer_armed.load()) return;
  t.queue.erase(n->timer_pos);
  n->timer_armed.store(false);
}

std::size_t timer_shutdown(std::chrono::steady_clock::time_point deadline) noexcept {
  auto& t = service();
  std::thread th;
  {
    std::lock_guard lk(t.m);
    t.stopping = true;
    th = std::move(t.thread);
  }
  t.cv.notify_all();
  t.helper_cv.notify_all();
  if (th.joinable()) th.join();
  // Idle helpers leave at once; one inside a stop callback gets until `deadline` to finish it. One still
  // inside then is left running, like a task that ignores cancellation (not joined, never detached: its
  // std::thread stays in the immortal service). The calling thread's own helper (exit() called from a stop
  // callback on it) is never waited for.
  std::list<helper> leaving;
  std::size_t stuck = 0;
  {
    std::unique_lock lk(t.m);
    const auto self = std::this_thread::get_id();
    const auto others_busy = [&] {
      return std::count_if(t.helpers.begin(), t.helpers.end(),
                           [&](const helper& h) { return h.busy && h.thread.get_id() != self; });
    };
    t.cv.wait_until(lk, deadline, [&] { return others_busy() == 0; });
    stuck = static_cast<std::size_t>(others_busy());
    for (auto it = t.helpers.begin(); it != t.helpers.end();) {
      auto next = std::next(it);
      if (!it->busy) leaving.splice(leaving.end(), t.helpers, it);
      it = next;
    }
  }
  for (auto& h : leaving) h.thread.join();
  return stuck;
}

std::size_t timer_queue_size() noexcept {
  auto& t = service();
  std::lock_guard lk(t.m);
  return t.queue.size();
}

void timer_atfork(fork_phase phase) noexcept {
  timer_service* const old = service_ptr();
  switch (phase) {
    case fork_phase::prepare:
      old->m.lock();  // the queue and the expired list are consistent in the child  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
      return;
    case fork_phase::parent:
      old->m.unlock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
      return;
    case fork_phase::child:
      break;
  }
  // The timer thread and the helpers do not exist here. Move the pending deadlines to a fresh service; a
  // helper's cancellation that was in progress is lost (its context reports cancelled, see fork.cpp).
  auto* fresh = new (std::nothrow) timer_service;
  if (fresh == nullptr) {
    old->m.unlock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
    return;  // out of memory in a forked child: deadlines stay pending
  }
  fresh->queue.swap(old->queue);  // nodes keep their iterators: they now point into fresh->queue
  fresh->expired.swap(old->expired);
  fresh->stopping = old->stopping;
  old->m.unlock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
  keep_forever(old);
  service_ptr() = fresh;
  if (fresh->stopping || (fresh->queue.empty() && fresh->expired.empty())) return;  // started by the next arm
  // Deadlines are pending: they must fire in the child too, so the timer starts now.
  std::lock_guard lk(fresh->m);
  try {
    fresh->start_locked();
  } catch (...) {
    // No thread: they fire once a new deadline is armed and the start succeeds.
  }
}

}  // namespace tether::detail
