// tether/task_group.h - structured concurrency (Go's errgroup.WithContext) on a shared worker pool.
#pragma once

#include <tether/context.h>
#include <tether/detail/invoke.h>
#include <tether/registry.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <new>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether {

namespace detail {

struct group_state;

// One queued/running group task: its scheduling links, what the registry shows about it, and (in job_impl)
// its body, in one block of memory that is recycled through per-thread caches (see runtime/src/job_memory.h).
struct job {
  // Runs the body (if `c` is not null) and destroys it, also when it throws. Does not free the memory.
  using op_fn = void (*)(job*, const context* c);
  op_fn op = nullptr;
  group_state* group = nullptr;
  job* run_prev = nullptr;  // the running list of slot `run_slot` (that slot's lock)
  job* run_next = nullptr;
  std::uint64_t id = 0;
  std::source_location where;
  std::chrono::steady_clock::time_point started;
  std::uint32_t run_slot = 0;
  std::uint8_t alloc = 0;  // how job_alloc obtained the memory
  bool tracked = false;    // registry tracking was on at spawn: shown by registry::snapshot()
};

template <class F>
struct job_impl final : job {
  template <class G>
  explicit job_impl(G&& g) : body(std::forward<G>(g)) {
    op = &job_impl::call;
  }
  job_impl(const job_impl&) = delete;
  job_impl& operator=(const job_impl&) = delete;
  ~job_impl() {}  // the body is destroyed by call(), never here

  static void call(job* j, const context* c) {
    auto* self = static_cast<job_impl*>(j);
    struct destroy_body {
      job_impl* s;
      ~destroy_body() { s->body.~F(); }
    } guard{self};
    if (c != nullptr) invoke_body(self->body, *c);
  }

  union {
    F body;
  };
};

// Memory for a job of `size` bytes; `kind` records where it came from (for job_dealloc). Throws bad_alloc.
void* job_alloc(std::size_t size, std::size_t align, std::uint8_t& kind);
void job_dealloc(void* p, std::uint8_t kind) noexcept;

// Reserves one of the group's task slots (counts the task as pending). With a limit and `block`, waits for a
// free slot, running the group's queued tasks meanwhile; without `block`, returns false when the group is
// full. Without a limit, never waits.
bool group_reserve(group_state& g, bool block);
// Gives a reservation back (the task could not be built).
void group_unreserve(group_state& g) noexcept;
// Queues a job built for a reservation; takes ownership of `j`.
void group_submit(group_state& g, job* j, std::source_location where);

// Builds the job for a reservation; on failure gives the reservation back and rethrows.
template <class F, class G>
job* make_job(group_state& g, G&& fn) {
  using J = job_impl<F>;
  std::uint8_t kind = 0;
  void* mem = nullptr;
  try {
    mem = job_alloc(sizeof(J), alignof(J), kind);
    job* j = ::new (mem) J(std::forward<G>(fn));
    j->alloc = kind;
    return j;
  } catch (...) {
    if (mem != nullptr) job_dealloc(mem, kind);
    group_unreserve(g);
    throw;
  }
}

}  // namespace detail

/// Number of worker threads in the shared pool (std::thread::hardware_concurrency(), at least 1).
std::size_t pool_threads() noexcept;

/// A set of tasks sharing a context, like Go's errgroup.WithContext.
///
/// - ctx() is a child of `parent`, cancelled when the first task throws, by cancel(), when `parent` is
///   cancelled, or when the group is destroyed.
/// - Tasks run `fn(ctx())` (or `fn()`) on the runtime's shared pool. Every spawned task runs exactly once,
///   even after cancellation (the body checks ctx() to bail out early).
/// - With a limit, at most `limit` tasks are queued or running at once: spawn() blocks for a slot (running
///   the group's own queued tasks meanwhile), try_spawn() returns false instead.
/// - wait() runs the group's queued tasks on the calling thread, waits for the rest, then rethrows the first
///   exception. The destructor cancels ctx() and waits; a task is never left running.
///
/// Batches (reuse). The tasks spawned between two wait() calls form a batch. A wait() that finds its batch
/// failed, or ctx() cancelled, closes the batch: errors() and ctx() keep describing it (and every further
/// wait() rethrows its first error) until the next spawn, which starts a new batch with a fresh ctx() (a new
/// child of `parent`) and an empty errors(). A batch that succeeded goes on. A spawn on another thread
/// racing the closing wait() keeps the batch open (its task belongs to it).
///
/// Thread safety. spawn(), try_spawn(), cancel(), pending(), errors() may be called from any thread, also
/// while another thread is in wait(). A spawn never touches the group after queueing its task, so the owner
/// may destroy the group as soon as wait() returns, even while another thread is still returning from
/// spawn(). ctx() returns a reference to the current batch's context: copy it, and do not call ctx()
/// concurrently with the spawn that starts a new batch. Destroying the group concurrently with a spawn that
/// has not yet returned from its reservation is a use-after-destroy bug of the caller, as with any object.
class task_group {
 public:
  explicit task_group(const context& parent, std::string_view component = "task_group",
                      std::optional<std::size_t> limit = std::nullopt);
  ~task_group();
  task_group(const task_group&) = delete;
  task_group& operator=(const task_group&) = delete;

  const context& ctx() const noexcept;

  /// Queues `fn` as a task of the group (blocking for a slot if the group is limited and full).
  /// Throws std::invalid_argument if `fn` is null (a null function or member pointer, an empty std::function,
  /// any body whose bool conversion is false); std::logic_error if every slot of the limited group is held by
  /// its own tasks blocked in spawn() on it, this call included (a self-deadlock: nothing could free a
  /// slot); std::system_error if the OS refuses the shared pool's threads (started by the first spawn in the
  /// process; a later spawn retries); whatever copying or moving `fn` throws. Nothing is queued when it throws.
  template <class F>
  void spawn(F&& fn, std::source_location where = std::source_location::current()) {
    static_assert(detail::task_body<std::decay_t<F>>,
                  "tether::task_group::spawn: fn must be callable as fn(const tether::context&) or fn()");
    if (detail::is_null_body(fn)) detail::throw_null_body("tether::task_group::spawn");
    detail::group_reserve(*st_, true);
    detail::group_submit(*st_, detail::make_job<std::decay_t<F>>(*st_, std::forward<F>(fn)), where);
  }

  /// Like spawn(), but returns false instead of blocking when the limited group is full (`fn` is then left
  /// untouched). Throws std::invalid_argument for a null `fn`, and like spawn() otherwise (never logic_error).
  template <class F>
  bool try_spawn(F&& fn, std::source_location where = std::source_location::current()) {
    static_assert(detail::task_body<std::decay_t<F>>,
                  "tether::task_group::try_spawn: fn must be callable as fn(const tether::context&) or fn()");
    if (detail::is_null_body(fn)) detail::throw_null_body("tether::task_group::try_spawn");
    if (!detail::group_reserve(*st_, false)) return false;
    detail::group_submit(*st_, detail::make_job<std::decay_t<F>>(*st_, std::forward<F>(fn)), where);
    return true;
  }

  /// Waits for every task, then rethrows the first exception of the batch (if any); a failed or cancelled
  /// batch is closed (see "Batches" above). May be called again, after more spawns or not.
  /// Throws std::logic_error if called from one of this group's own tasks (that would wait for itself).
  void wait();

  /// Waits up to `timeout` (sleeping; it returns at the timeout plus scheduling noise). Returns the tasks
  /// still queued or running (empty if all are done). A spawn on another thread that has reserved its slot
  /// but not yet queued its task (it is still copying the body) is listed with id 0 and no spawn site.
  /// Does not rethrow (see errors()) and does not close the batch. Throws std::logic_error like wait().
  std::vector<straggler> wait_for(std::chrono::steady_clock::duration timeout);

  /// Every exception thrown by the current batch's tasks so far, in completion order.
  std::vector<std::exception_ptr> errors() const;

  /// Cancels ctx() (the current batch's). Running tasks are not interrupted; they observe ctx().
  void cancel() noexcept;

  /// Tasks reserved (a spawn in progress), queued or running.
  std::size_t pending() const noexcept;

  const std::string& component() const noexcept;
  std::optional<std::size_t> limit() const noexcept;

 private:
  std::unique_ptr<detail::group_state> st_;
};

}  // namespace tether
