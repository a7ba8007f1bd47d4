// fork() support: a forked child starts with a fresh, empty runtime.
//
// After fork() only the forking thread exists in the child. The runtime's own threads (pool workers, the
// timer and its helpers, safe_go threads) are gone, and any lock one of them held stays held forever. So:
// - prepare: the forking thread takes the few locks whose protected state the child keeps (the timer queue,
//   the list of live groups), so that state is consistent in the child; the parent releases them again;
// - child: every other piece of shared state (the pool and its queues, job memory depot, parking buckets,
//   registry, safe_go bookkeeping, exit token) is replaced by a fresh object. The old ones are abandoned, not
//   destroyed (a lock inside may be held by a thread that no longer exists), and kept reachable so leak
//   checkers do not report them. Threads start again lazily (the pool on the first spawn, the timer on the
//   first deadline, or at once if deadlines were pending at the fork).
// What the child keeps: contexts (and their deadlines, which fire in the child too), task_group objects
// inherited from the parent (their tasks did not survive the fork: they count as finished), safe_go
// handles (their threads did not survive: join() would wait forever; dropping the handle is fine).
#include "fork.h"

#include <tether/context.h>

#include <pthread.h>

#include <mutex>
#include <new>

namespace tether::detail {
namespace {

std::atomic<std::uint32_t> g_fork_generation{0};

struct kept {
  const void* p;
  kept* next;
};
kept* g_kept = nullptr;  // written only in a forked child, while it has a single thread

void run_all(fork_phase phase) noexcept {
  if (phase == fork_phase::prepare) {
    // Lazily built statics that the child may use: if another thread were initializing one at the moment of
    // fork(), its guard would stay taken in the child forever (seen: a child hung in __cxa_guard_acquire).
    // Using them here waits for that initialization instead. Each part does the same for its own.
    (void)tether::background();
    (void)tether::context_category();
    std::atomic<std::uint32_t> probe{0};
    probe.notify_all();  // libstdc++'s table of waiters for std::atomic::wait
    // Reverse of the child order is not needed: no prepare hook takes a lock while holding another's.
    timer_atfork(phase);
    pool_atfork(phase);
    registry_atfork(phase);
    safe_go_atfork(phase);
    shutdown_atfork(phase);
    return;
  }
  if (phase == fork_phase::child) g_fork_generation.fetch_add(1, std::memory_order_relaxed);
  registry_atfork(phase);
  shutdown_atfork(phase);
  safe_go_atfork(phase);
  pool_atfork(phase);
  timer_atfork(phase);  // last: it may start the timer thread, which needs everything else rebuilt
}

}  // namespace

void register_fork_handlers() noexcept {
  static std::once_flag once;
  std::call_once(once, [] {
    pthread_atfork([] { run_all(fork_phase::prepare); }, [] { run_all(fork_phase::parent); },
                   [] { run_all(fork_phase::child); });
  });
}

std::uint32_t fork_generation() noexcept { return g_fork_generation.load(std::memory_order_relaxed); }

void keep_forever(const void* p) noexcept {
  // Called only in a forked child's atfork handler (single-threaded). Out of memory: let the leak show.
  auto* k = new (std::nothrow) kept{p, g_kept};
  if (k != nullptr) g_kept = k;
}

}  // namespace tether::detail
