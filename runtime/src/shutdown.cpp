// Process exit: the runtime cancels what it owns, gives it a grace period, and joins its threads.
//
// Registered with std::atexit by the first internal thread spawn (pool, safe_go or timer), so it runs
// before the destructors of statics constructed earlier (iostreams, gtest). The runtime's own state is
// immortal (never destroyed), so handles released later during static destruction stay valid.
#include <tether/registry.h>

#include "context_node.h"
#include "fork.h"
#include "shutdown.h"
#include "timer.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>

namespace tether::detail {
namespace {

std::stop_source*& shutdown_source_ptr() {
  static auto* s = new std::stop_source;  // replaced in a forked child (shutdown_atfork)
  return s;
}

std::stop_source& shutdown_source() { return *shutdown_source_ptr(); }

void on_exit() noexcept {
  // Cancels every safe_go task and every task_group context (they are all linked to this token), without
  // waiting for a cancellation another thread is running (its stop callback may never return).
  {
    const no_cancel_wait no_wait;
    shutdown_source().request_stop();
  }
  const bool idle = registry::wait_idle(exit_grace());
  if (!idle) {
    // A task that ignores cancellation cannot be joined without hanging exit forever. Say which, and leave
    // it to the OS (its std::thread object stays owned by the runtime's immortal state: never detached).
    try {
      const auto left = registry::snapshot();
      std::fprintf(stderr, "tether: at exit, %zu task(s) still running after the %lld ms grace period:\n",
                   registry::live_count(),
                   static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(exit_grace()).count()));
      for (const auto& t : left) std::fprintf(stderr, "tether:   %s\n", describe(t).c_str());
      std::fflush(stderr);
    } catch (...) {
    }
  }
  pool_shutdown(idle);
  reaper_shutdown();
  timer_shutdown();
}

}  // namespace

void ensure_exit_handler() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::atexit(on_exit);
    register_fork_handlers();
  });
}

void shutdown_atfork(fork_phase phase) noexcept {
  if (phase == fork_phase::prepare) (void)shutdown_source_ptr();  // built before the fork (see pool_atfork)
  if (phase != fork_phase::child) return;
  // The parent's tasks stay linked to the old source; they do not run in the child, and the child's exit must
  // not run their stop callbacks.
  auto* fresh = new (std::nothrow) std::stop_source;
  if (fresh == nullptr) return;
  keep_forever(shutdown_source_ptr());
  shutdown_source_ptr() = fresh;
}

std::stop_token shutdown_token() noexcept { return shutdown_source().get_token(); }

}  // namespace tether::detail
