// The shared worker pool behind task_group (a raw thread spawn site allowed by tether's lint config).
//
// One process-wide pool of hardware_concurrency() threads, started on the first spawn and joined at exit.
// One mutex-protected FIFO queue; each group also threads its own queued jobs on a second list so a thread
// that waits for a group (wait(), or spawn() blocked on the group's limit) can take and run exactly that
// group's queued tasks ("work-helping"). Helping only with one's own group keeps the helper's stack depth
// bounded by the nesting depth of groups, and it is what makes nested groups deadlock-free: a waiter either
// runs its group's queued tasks itself or sleeps while they run on threads that make progress the same way.
//
// Blocking tasks (a task sleeping on its context until a sibling fails, a slow I/O call) could otherwise
// starve the queue: with every worker blocked, the sibling that would cancel them never runs. So a monitor
// thread watches the queue while it is non-empty; if no job was dequeued for kStarvation, it adds a
// temporary worker (up to kMaxExtra), which retires after kExtraIdle without work. This mirrors what Go's
// scheduler does for goroutines blocked in syscalls. Retired workers are joined by the monitor; everything
// is joined at exit.
#include <tether/task_group.h>

#include "context_node.h"
#include "shutdown.h"

#include <algorithm>
#include <list>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace tether {
namespace detail {

struct group_state {
  std::string component;
  std::optional<std::size_t> limit;
  context ctx;
  cancel_fn cancel_ctx;

  mutable std::mutex m;
  std::condition_variable cv;  // signalled on completion (to waiters) and on new queued work (to helpers)
  std::size_t pending = 0;     // queued + running; the limit applies to this
  std::size_t waiters = 0;
  std::vector<std::exception_ptr> errors;
  job* live_head = nullptr;  // queued + running jobs, for wait_for's stragglers
  job* live_tail = nullptr;

  // Guarded by the pool mutex; `queued` is also read under `m` (written only with `m` held when it grows).
  job* q_head = nullptr;
  job* q_tail = nullptr;
  std::atomic<std::size_t> queued{0};
};

namespace {

thread_local const group_state* tl_running_group = nullptr;
thread_local bool tl_pool_worker = false;

constexpr auto kStarvation = std::chrono::milliseconds(50);
constexpr auto kExtraIdle = std::chrono::seconds(2);
constexpr std::size_t kMaxExtra = 256;

class pool {
 public:
  // Caller holds the job's group mutex (lock order: group -> pool). Returns false once the pool has been
  // shut down at process exit; the caller then runs the job inline.
  bool push(job* j) {
    bool wake = false;
    bool wake_monitor = false;
    {
      std::lock_guard lk(m_);
      if (stopping_) return false;
      if (workers_.empty()) start_locked();
      // The monitor sleeps while the queue is empty; wake it only on that transition (cheap when busy).
      wake_monitor = head_ == nullptr && monitor_idle_;
      j->qprev = tail_;
      j->qnext = nullptr;
      (tail_ ? tail_->qnext : head_) = j;
      tail_ = j;
      group_state& g = *j->group;
      j->gqprev = g.q_tail;
      j->gqnext = nullptr;
      (g.q_tail ? g.q_tail->gqnext : g.q_head) = j;
      g.q_tail = j;
      g.queued.fetch_add(1, std::memory_order_seq_cst);
      wake = idle_ > 0;  // no syscall when every worker is busy
    }
    if (wake) cv_.notify_one();
    if (wake_monitor) monitor_cv_.notify_one();
    return true;
  }

  // Takes the oldest queued job of `g`, if any.
  job* pop_group(group_state& g) {
    std::lock_guard lk(m_);
    job* j = g.q_head;
    if (j != nullptr) unlink_locked(j);
    return j;
  }

  void shutdown(bool join) noexcept {
    std::vector<std::thread> workers;
    std::thread monitor;
    {
      std::lock_guard lk(m_);
      stopping_ = true;
      if (join) {
        workers.swap(workers_);
        for (auto& e : extras_) workers.push_back(std::move(e.thread));
        extras_.clear();
        monitor = std::move(monitor_);
      }
    }
    cv_.notify_all();
    monitor_cv_.notify_all();
    for (auto& t : workers) t.join();
    if (monitor.joinable()) monitor.join();
  }

  std::size_t size() const noexcept { return size_; }

  std::size_t extra_workers() {
    std::lock_guard lk(m_);
    return extras_.size();
  }

 private:
  void start_locked() {
    ensure_exit_handler();
    workers_.reserve(size_);
    for (std::size_t i = 0; i < size_; ++i) workers_.emplace_back([this] { worker(false); });
    monitor_ = std::thread([this] { monitor(); });
  }

  struct extra_worker {
    std::thread thread;
    bool retired = false;  // guarded by m_
  };

  bool has_retired_locked() const {
    for (const auto& e : extras_) {
      if (e.retired) return true;
    }
    return false;
  }

  void unlink_locked(job* j) {
    (j->qprev ? j->qprev->qnext : head_) = j->qnext;
    (j->qnext ? j->qnext->qprev : tail_) = j->qprev;
    group_state& g = *j->group;
    (j->gqprev ? j->gqprev->gqnext : g.q_head) = j->gqnext;
    (j->gqnext ? j->gqnext->gqprev : g.q_tail) = j->gqprev;
    j->qprev = j->qnext = j->gqprev = j->gqnext = nullptr;
    g.queued.fetch_sub(1, std::memory_order_seq_cst);
    ++dequeued_;
  }

  void worker(bool extra);
  void monitor();

  std::mutex m_;
  std::condition_variable cv_;
  job* head_ = nullptr;
  job* tail_ = nullptr;
  std::vector<std::thread> workers_;
  std::size_t idle_ = 0;
  bool stopping_ = false;
  std::uint64_t dequeued_ = 0;  // progress counter for the starvation monitor
  std::thread monitor_;
  std::condition_variable monitor_cv_;
  bool monitor_idle_ = false;
  std::list<extra_worker> extras_;  // bounded by kMaxExtra; retired entries are joined and erased
  const std::size_t size_ = std::max(1U, std::thread::hardware_concurrency());
};

pool& the_pool() {
  static pool* p = new pool;  // immortal: groups may finish during static destruction
  return *p;
}

// Runs one job on the calling thread and completes it in its group. The group is alive until the last
// statement touching it (pending reaches zero there).
void execute(job* j) noexcept {
  group_state& g = *j->group;
  std::exception_ptr ep;
  const group_state* outer = std::exchange(tl_running_group, &g);
  try {
    j->run(g.ctx);
  } catch (...) {
    ep = std::current_exception();
  }
  tl_running_group = outer;
  untrack(j->rec);
  if (ep) {
    bool first = false;
    {
      std::lock_guard lk(g.m);
      try {
        g.errors.push_back(std::move(ep));
      } catch (...) {
        // Out of memory recording the error: the cancellation below still happens.
      }
      first = g.errors.size() <= 1;
    }
    // Drop our reference before the task counts as done: after that the waiter may free the exception.
    ep = nullptr;
    if (first) g.cancel_ctx();  // outside the lock: runs stop callbacks
  }
  {
    std::lock_guard lk(g.m);
    (j->gprev ? j->gprev->gnext : g.live_head) = j->gnext;
    (j->gnext ? j->gnext->gprev : g.live_tail) = j->gprev;
    --g.pending;
    if (g.waiters > 0) g.cv.notify_all();
  }
  delete j;  // the body was already destroyed by run(); this frees the memory only
}

void pool::worker(bool extra) {
  tl_pool_worker = true;
  std::unique_lock lk(m_);
  for (;;) {
    ++idle_;
    const auto has_work = [this] { return stopping_ || head_ != nullptr; };
    bool woke = true;
    if (extra) {
      woke = cv_.wait_for(lk, kExtraIdle, has_work);
    } else {
      cv_.wait(lk, has_work);
    }
    --idle_;
    if (!woke) {
      // A temporary worker with nothing to do retires; the monitor joins it.
      for (auto& e : extras_) {
        if (e.thread.get_id() == std::this_thread::get_id()) e.retired = true;
      }
      monitor_cv_.notify_all();
      return;
    }
    if (head_ == nullptr) return;  // stopping, and the queue is drained
    job* j = head_;
    unlink_locked(j);
    lk.unlock();
    execute(j);
    lk.lock();
  }
}

void pool::monitor() {
  std::unique_lock lk(m_);
  while (!stopping_) {
    // Join retired temporary workers (they no longer touch the pool).
    for (auto it = extras_.begin(); it != extras_.end();) {
      if (it->retired) {
        std::thread t = std::move(it->thread);
        it = extras_.erase(it);
        lk.unlock();
        t.join();
        lk.lock();
      } else {
        ++it;
      }
    }
    if (head_ == nullptr) {
      monitor_idle_ = true;
      monitor_cv_.wait(lk, [this] { return stopping_ || head_ != nullptr || has_retired_locked(); });
      monitor_idle_ = false;
      continue;
    }
    const std::uint64_t seen = dequeued_;
    monitor_cv_.wait_for(lk, kStarvation, [this] { return stopping_; });
    if (stopping_) break;
    if (head_ != nullptr && dequeued_ == seen && idle_ == 0 && extras_.size() < kMaxExtra) {
      // Nothing was dequeued for a whole period while work waited: every worker is blocked.
      extras_.emplace_back();
      extra_worker& e = extras_.back();
      try {
        e.thread = std::thread([this] { worker(true); });
      } catch (...) {
        extras_.pop_back();  // out of threads: keep waiting for the blocked workers
      }
    }
  }
}

// Waits for the group's pending count to reach zero, running its queued jobs meanwhile. Returns false on
// timeout.
bool wait_done(group_state& g, std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (tl_running_group == &g) {
    throw std::logic_error("tether::task_group: wait called from one of the group's own tasks ('" + g.component +
                           "') would wait for itself");
  }
  // A pool worker must help (that is what keeps nested groups deadlock-free). Other threads help in wait()
  // (throughput), but not in wait_for(): a helped task may block and overrun the caller's timeout.
  const bool help = tl_pool_worker || !deadline;
  const auto ready = [&g, help] {
    return g.pending == 0 || (help && g.queued.load(std::memory_order_seq_cst) > 0);
  };
  std::unique_lock lk(g.m);
  while (g.pending > 0) {
    if (deadline && std::chrono::steady_clock::now() >= *deadline) return false;
    if (help && g.queued.load(std::memory_order_seq_cst) > 0) {
      lk.unlock();
      if (job* j = the_pool().pop_group(g)) execute(j);
      lk.lock();
      continue;
    }
    ++g.waiters;
    if (deadline) {
      g.cv.wait_until(lk, *deadline, ready);
    } else {
      g.cv.wait(lk, ready);
    }
    --g.waiters;
  }
  return true;
}

}  // namespace

bool group_submit(group_state& g, job* j, std::source_location where, bool block) {
  std::unique_ptr<job> owned(j);
  j->group = &g;
  j->rec.component = g.component;
  j->rec.where = where;
  j->rec.kind = task_kind::group;
  std::unique_lock lk(g.m);
  if (g.limit) {
    while (g.pending >= *g.limit) {
      if (!block) return false;
      if (g.queued.load(std::memory_order_seq_cst) > 0) {
        // Free a slot by running one of the group's own queued tasks here: this is what keeps a limited
        // spawn from a pool worker from deadlocking when every worker is blocked the same way.
        lk.unlock();
        if (job* other = the_pool().pop_group(g)) execute(other);
        lk.lock();
        continue;
      }
      ++g.waiters;
      g.cv.wait(lk, [&g] { return g.pending < *g.limit || g.queued.load(std::memory_order_seq_cst) > 0; });
      --g.waiters;
    }
  }
  j->rec.id = next_task_id();
  j->rec.started = std::chrono::steady_clock::now();
  track(j->rec);
  ++g.pending;
  j->gprev = g.live_tail;
  j->gnext = nullptr;
  (g.live_tail ? g.live_tail->gnext : g.live_head) = j;
  g.live_tail = j;
  owned.release();
  const bool queued = the_pool().push(j);
  if (queued && g.waiters > 0) g.cv.notify_all();  // helpers asleep in wait() can run it
  lk.unlock();
  if (!queued) execute(j);  // the pool is gone (process exit): run inline rather than drop the task
  return true;
}

void pool_shutdown(bool join) noexcept { the_pool().shutdown(join); }

}  // namespace detail

std::size_t pool_threads() noexcept { return detail::the_pool().size(); }

namespace detail {
std::size_t pool_extra_workers() noexcept { return the_pool().extra_workers(); }
}  // namespace detail

task_group::task_group(const context& parent, std::string_view component, std::optional<std::size_t> limit)
    : st_(std::make_unique<detail::group_state>()) {
  if (component.empty()) throw std::invalid_argument("tether::task_group: component name must not be empty");
  if (limit && *limit == 0) throw std::invalid_argument("tether::task_group: limit must be at least 1");
  st_->component.assign(component);
  st_->limit = limit;
  const std::stop_token stop_at_exit = detail::shutdown_token();
  auto node = detail::make_child(parent, &stop_at_exit, std::nullopt);
  st_->cancel_ctx = detail::context_access::make_cancel(node);
  st_->ctx = detail::context_access::make(std::move(node));
}

task_group::~task_group() {
  st_->cancel_ctx();
  try {
    detail::wait_done(*st_, std::nullopt);
  } catch (...) {
    // Only the "waited from its own task" logic_error can get here; that is a use-after-destroy bug in the
    // caller and nothing sensible is left to do.
    std::terminate();
  }
}

const context& task_group::ctx() const noexcept { return st_->ctx; }

void task_group::wait() {
  detail::wait_done(*st_, std::nullopt);
  std::exception_ptr first;
  {
    std::lock_guard lk(st_->m);
    if (!st_->errors.empty()) first = st_->errors.front();
  }
  if (first) std::rethrow_exception(first);
}

std::vector<straggler> task_group::wait_for(std::chrono::steady_clock::duration timeout) {
  const auto now = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (timeout <= std::chrono::steady_clock::time_point::max() - now) deadline = now + timeout;
  std::vector<straggler> out;
  if (detail::wait_done(*st_, deadline)) return out;
  std::lock_guard lk(st_->m);
  for (detail::job* j = st_->live_head; j != nullptr; j = j->gnext) {
    out.push_back(straggler{j->rec.id, st_->component, j->rec.where, j->rec.started, j->rec.kind});
  }
  return out;
}

std::vector<std::exception_ptr> task_group::errors() const {
  std::lock_guard lk(st_->m);
  return st_->errors;
}

void task_group::cancel() noexcept { st_->cancel_ctx(); }

std::size_t task_group::pending() const noexcept {
  std::lock_guard lk(st_->m);
  return st_->pending;
}

const std::string& task_group::component() const noexcept { return st_->component; }

std::optional<std::size_t> task_group::limit() const noexcept { return st_->limit; }

}  // namespace tether
