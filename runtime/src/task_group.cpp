// task_group's members and the group side of the pool: reserving a task's place in its group (the limit),
// submitting its job to the scheduler, waiting (with work-helping), batches (reuse after wait()), the list
// of live groups (registry::live_count) and fork() handling for all of the pool's parts.
//
// Per-task synchronization. A group keeps one atomic word (group_state.h): pending tasks (reserved, queued
// or running; the limit applies to it), a "batch closed" bit (task_group reuse) and the number of threads
// parked on the group. A task's completion is one atomic decrement; only when it drops pending to zero (or
// below the limit) with a thread parked does it wake anyone, through the parking buckets keyed by the
// group's address (parking.h), so a completing task never touches its group after that decrement (the owner
// may destroy the group as soon as nothing is pending).
//
// Spawns from other threads. A spawn's job may run and complete (on a worker, or on the owner helping in
// wait()) as soon as it is queued, and the owner may then destroy the group while the spawning thread is
// still inside spawn(). So, like errgroup.Go, a spawn never touches the group after queueing the job: to
// find out whether threads parked on the group should come back for the new job, it looks at its parking
// bucket (immortal, keyed by the group's address), which counts the threads parked there.
//
// Thread safety: the live-group shards' mutexes guard the reg_prev/reg_next links; a group's `m` guards its
// errors and batch context (never held while taking a shard's mutex). live_count() sums the pending counts
// of the live groups.
#include <tether/registry.h>
#include <tether/task_group.h>

#include "coarse_clock.h"
#include "context_node.h"
#include "fork.h"
#include "group_state.h"
#include "groups.h"
#include "job_memory.h"
#include "parking.h"
#include "scheduler.h"
#include "shutdown.h"

#include <array>
#include <atomic>
#include <cstdint>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace tether {
namespace detail {

namespace {

// ---------------------------------------------------------------------------------------------------------
// Live groups (registry::live_count)

struct group_shard {
  std::mutex m;
  group_state* head = nullptr;
};
constexpr std::size_t kGroupShards = 16;

std::array<group_shard, kGroupShards>& group_shards() {
  static auto* shards = new std::array<group_shard, kGroupShards>;  // immortal
  return *shards;
}

group_shard& shard_of(const group_state& g) {
  const auto h = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(&g)) * 0x9E3779B97F4A7C15ULL;
  return group_shards()[h >> 60];
}

void register_group(group_state& g) {
  group_shard& sh = shard_of(g);
  std::lock_guard lk(sh.m);
  g.reg_prev = nullptr;
  g.reg_next = sh.head;
  if (sh.head != nullptr) sh.head->reg_prev = &g;
  sh.head = &g;
}

void unregister_group(group_state& g) noexcept {
  group_shard& sh = shard_of(g);
  std::lock_guard lk(sh.m);
  (g.reg_prev != nullptr ? g.reg_prev->reg_next : sh.head) = g.reg_next;
  if (g.reg_next != nullptr) g.reg_next->reg_prev = g.reg_prev;
}

}  // namespace

[[noreturn]] void throw_self_deadlock(const group_state& g) {
  throw std::logic_error("tether::task_group::spawn: every slot of group '" + *g.component + "' (limit " +
                         std::to_string(g.limit) +
                         ") is held by one of its own tasks blocked in spawn() on it: this spawn would wait for "
                         "itself forever (self-deadlock). Use try_spawn(), a larger limit, or spawn from outside "
                         "the group");
}

// ---------------------------------------------------------------------------------------------------------
// fork(): the child gets an empty pool (started again by its first spawn). Groups inherited from the parent
// stay registered, but their tasks - queued, or running on the parent's threads - do not exist in the child:
// they count as finished there (pending 0), so live_count() is 0 and such a group's wait() or destructor
// returns instead of waiting forever. The old pool, job depot and parking buckets are abandoned: a lock in
// them may be held by a thread that is gone.

void pool_atfork(fork_phase phase) noexcept {
  auto& shards = group_shards();
  switch (phase) {
    case fork_phase::prepare:
      // Finish the first use of every lazily built static here: one that another thread is initializing at
      // the moment of fork() would leave its guard taken in the child, which would wait on it forever.
      (void)coarse_now();
      job_memory_atfork(phase);
      parking_atfork(phase);
      scheduler_atfork(phase);
      // The group lists, and each group's errors and batch context, are consistent in the child. (A group's
      // mutex is never held while taking a shard's: groups register and unregister outside it.)
      for (auto& sh : shards) {
        sh.m.lock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
        for (group_state* g = sh.head; g != nullptr; g = g->reg_next) g->m.lock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
      }
      return;
    case fork_phase::parent:
      for (auto& sh : shards) {
        for (group_state* g = sh.head; g != nullptr; g = g->reg_next) g->m.unlock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
        sh.m.unlock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
      }
      return;
    case fork_phase::child:
      break;
  }
  for (auto& sh : shards) {
    for (group_state* g = sh.head; g != nullptr; g = g->reg_next) {
      // Nothing pending or parked; a batch closed by wait() stays closed (the next spawn starts a new one).
      g->state.store(g->state.load(std::memory_order_relaxed) & kClosed, std::memory_order_relaxed);
      g->blocked_in_spawn.store(0, std::memory_order_relaxed);
      g->m.unlock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
    }
    sh.m.unlock();  // NOLINT(tether-manual-lock): pthread_atfork handler, held across fork() by design
  }
  parking_atfork(phase);
  scheduler_atfork(phase);
  job_memory_atfork(phase);
}

namespace {

// Waits for the group's pending count to reach zero, running its queued jobs meanwhile. Returns false on
// timeout.
bool wait_done(group_state& g, std::optional<std::chrono::steady_clock::time_point> deadline) {
  if (runs_task_of(g)) {
    throw std::logic_error("tether::task_group: wait called from one of the group's own tasks ('" + *g.component +
                           "') would wait for itself");
  }
  // A pool worker must help (that is what keeps nested groups deadlock-free). Other threads help in wait()
  // (throughput), but not in wait_for(): a helped task may block and overrun the caller's timeout. After
  // shutdown nobody else would run the queued tasks.
  pool& p = the_pool();
  const bool help = tl_pool_worker || !deadline || p.stopping();
  return p.wait_group(g, [](std::uint64_t s) { return pending_of(s) == 0; }, help, deadline);
}

// A new batch after wait() closed the last one (see task_group::wait): a fresh context (a new child of the
// parent) and an empty error list. Called by a spawn whose reservation saw kClosed: no task of the group is
// running (wait() closed the batch with nothing pending, and every spawn since then comes through here and
// waits for the mutex until the reopening is done), so nothing reads ctx meanwhile.
void reopen(group_state& g) {
  std::lock_guard lk(g.m);
  if ((g.state.load(std::memory_order_seq_cst) & kClosed) == 0) return;  // another spawn reopened it
  const std::stop_token stop_at_exit = shutdown_token();
  const context parent = context_access::make(context_access::node(g.ctx)->parent);  // kept by every batch's node
  auto node = make_child(parent, &stop_at_exit, std::nullopt);
  g.cancel_ctx = context_access::make_cancel(node);
  g.ctx = context_access::make(std::move(node));
  g.errors.clear();
  g.state.fetch_and(~kClosed, std::memory_order_seq_cst);
}

// Closes the batch if nothing is pending (a spawn racing wait() on another thread keeps it open: its task
// belongs to the batch that wait() just reported).
void close_batch(group_state& g) noexcept {
  std::uint64_t s = g.state.load(std::memory_order_seq_cst);
  while (pending_of(s) == 0 && (s & kClosed) == 0) {
    if (g.state.compare_exchange_weak(s, s | kClosed, std::memory_order_seq_cst)) return;
  }
}

}  // namespace

std::size_t group_tasks_live() noexcept {
  std::size_t n = 0;
  for (auto& sh : group_shards()) {
    std::lock_guard lk(sh.m);
    for (const group_state* g = sh.head; g != nullptr; g = g->reg_next) {
      n += pending_of(g->state.load(std::memory_order_seq_cst));
    }
  }
  return n;
}

void collect_group_tasks(std::vector<task_info>& out) { the_pool().collect(out, nullptr); }

namespace {

// A reservation that saw the closed bit starts the next batch before its job can exist.
[[gnu::noinline]] void reopen_reserved(group_state& g) {
  try {
    reopen(g);
  } catch (...) {
    group_unreserve(g);
    throw;
  }
}

inline bool reserved(group_state& g, std::uint64_t old) {
  if ((old & kClosed) != 0) [[unlikely]] reopen_reserved(g);
  return true;
}

}  // namespace

bool group_reserve(group_state& g, bool block) {
  if (g.limit == 0) return reserved(g, g.state.fetch_add(kPendingOne, std::memory_order_seq_cst));
  const std::size_t limit = g.limit;
  std::uint64_t s = g.state.load(std::memory_order_relaxed);
  for (;;) {
    if (pending_of(s) < limit) {
      if (g.state.compare_exchange_weak(s, s + kPendingOne, std::memory_order_seq_cst, std::memory_order_relaxed)) {
        return reserved(g, s);
      }
      continue;
    }
    if (!block) return false;
    // Free a slot by running the group's own queued tasks here: this is what keeps a limited spawn from a
    // pool worker from deadlocking when every worker is blocked the same way. A task of the group spawning
    // into it holds a slot itself: counted, so a cycle of such spawns throws instead of hanging.
    the_pool().wait_group(g, [limit](std::uint64_t st) { return pending_of(st) < limit; }, true, std::nullopt,
                          frames_of(g));
    s = g.state.load(std::memory_order_relaxed);
  }
}

void group_unreserve(group_state& g) noexcept { complete(g, g.limit); }

void group_submit(group_state& g, job* j, std::source_location where) {
  j->group = &g;
  j->where = where;
  j->id = next_task_id();
  j->started = coarse_now();  // see coarse_clock.h: ages are never understated
  j->tracked = registry::tracking();
  pool& p = the_pool();
  bool queued = false;
  try {
    queued = p.push(j);
  } catch (...) {
    j->op(j, nullptr);
    job_dealloc(j, j->alloc);
    group_unreserve(g);
    throw;
  }
  if (!queued) {
    p.run_inline(j);  // the pool is gone (process exit): run inline rather than drop the task
    return;
  }
  // The job may have run and `g` may be gone already: from here on only its address is used.
  wake_helpers(&g);
}

void pool_shutdown(bool join) noexcept { the_pool().shutdown(join); }

void own_group_tasks(std::vector<std::uint64_t>& out) {
  for (const run_frame* f = tl_frames; f != nullptr; f = f->outer) out.push_back(f->id);
}

}  // namespace detail

std::size_t pool_threads() noexcept { return detail::the_pool().size(); }

namespace detail {
std::size_t pool_extra_workers() noexcept { return the_pool().extra_workers(); }
}  // namespace detail

task_group::task_group(const context& parent, std::string_view component, std::optional<std::size_t> limit)
    : st_(std::make_unique<detail::group_state>()) {
  if (component.empty()) throw std::invalid_argument("tether::task_group: component name must not be empty");
  if (limit && *limit == 0) throw std::invalid_argument("tether::task_group: limit must be at least 1");
  st_->component = std::make_shared<const std::string>(component);
  st_->limit = limit.value_or(0);
  const std::stop_token stop_at_exit = detail::shutdown_token();
  auto node = detail::make_child(parent, &stop_at_exit, std::nullopt);
  st_->cancel_ctx = detail::context_access::make_cancel(node);
  st_->ctx = detail::context_access::make(std::move(node));
  detail::register_group(*st_);
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
  detail::unregister_group(*st_);
}

const context& task_group::ctx() const noexcept { return st_->ctx; }

void task_group::wait() {
  detail::wait_done(*st_, std::nullopt);
  std::exception_ptr first;
  bool cancelled = false;
  {
    std::lock_guard lk(st_->m);
    if (!st_->errors.empty()) first = st_->errors.front();
    cancelled = st_->ctx.cancelled();
  }
  // A failed or cancelled batch is over: the next spawn starts a new one (fresh context, no errors).
  if (first || cancelled) detail::close_batch(*st_);
  if (first) std::rethrow_exception(first);
}

std::vector<straggler> task_group::wait_for(std::chrono::steady_clock::duration timeout) {
  const auto now = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (timeout <= std::chrono::steady_clock::time_point::max() - now) deadline = now + timeout;
  if (detail::wait_done(*st_, deadline)) return {};
  std::vector<straggler> out;
  for (int round = 0;; ++round) {
    out.clear();
    detail::the_pool().collect(out, st_.get());
    const std::size_t pending_now = pending();
    if (out.size() >= pending_now) return out;
    // Fewer queued or running jobs than pending tasks: some are between the end of their body and their
    // completion (a few instructions), or a spawn on another thread is between its reservation and the
    // queueing of its job - which takes as long as copying the body, without bound. Look again briefly,
    // then report each missing one as a spawn in progress rather than overrun the timeout.
    if (round < 16) {
      std::this_thread::yield();
      continue;
    }
    const auto at = std::chrono::steady_clock::now();
    for (std::size_t i = out.size(); i < pending_now; ++i) {
      out.push_back(straggler{0, *st_->component, std::source_location{}, at, task_kind::group});
    }
    return out;
  }
}

std::vector<std::exception_ptr> task_group::errors() const {
  std::lock_guard lk(st_->m);
  return st_->errors;
}

void task_group::cancel() noexcept {
  cancel_fn c;
  {
    std::lock_guard lk(st_->m);  // a spawn starting a new batch replaces cancel_ctx under m
    c = st_->cancel_ctx;
  }
  c();  // outside the lock: runs stop callbacks
}

std::size_t task_group::pending() const noexcept {
  return detail::pending_of(st_->state.load(std::memory_order_acquire));
}

const std::string& task_group::component() const noexcept { return *st_->component; }

std::optional<std::size_t> task_group::limit() const noexcept {
  if (st_->limit == 0) return std::nullopt;
  return st_->limit;
}

}  // namespace tether
