// Internal: process-exit coordination of the runtime's threads.
#pragma once

#include <chrono>
#include <stop_token>

namespace tether::detail {

// Registers (once) the atexit handler that cancels live tasks, waits for them, and joins the pool, the
// finished-thread reaper and the timer. Called by every internal thread spawn site before spawning.
void ensure_exit_handler();

// Stop-requested when the process starts exiting: linked into every safe_go task's and task_group's
// context, so the runtime can cancel everything it owns at exit.
std::stop_token shutdown_token() noexcept;

std::chrono::steady_clock::duration exit_grace() noexcept;

// Joins the last finished safe_go thread whose handle was dropped (safe_go.cpp).
void reaper_shutdown() noexcept;

}  // namespace tether::detail

namespace tether::detail {
// Stops the pool; joins its workers only if `join` (no task left running).
void pool_shutdown(bool join) noexcept;
}  // namespace tether::detail
