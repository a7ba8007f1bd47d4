// Internal: process-exit coordination of the runtime's threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <stop_token>
#include <vector>

namespace tether::detail {

// Registers (once) the atexit handler that cancels live tasks, waits for them, and joins the pool, the
// finished-thread reaper and the timer. Called by every internal thread spawn site before spawning.
void ensure_exit_handler();

// Stop-requested when the process starts exiting: linked into every safe_go task's and task_group's
// context, so the runtime can cancel everything it owns at exit.
std::stop_token shutdown_token() noexcept;

std::chrono::steady_clock::duration exit_grace() noexcept;

// Waits (until `deadline`) for finishing safe_go threads to queue themselves, then stops the reaper and joins
// every finished thread whose handle was dropped (safe_go.cpp).
void reaper_shutdown(std::chrono::steady_clock::time_point deadline) noexcept;

// The id of the safe_go task running on the calling thread, or 0 (safe_go.cpp).
std::uint64_t own_thread_task() noexcept;

}  // namespace tether::detail

namespace tether::detail {
// Stops the pool; joins its workers only if `join` (no task left running). Never joins the calling thread.
void pool_shutdown(bool join) noexcept;
// Appends the ids of the group tasks running on the calling thread (nested by work-helping) (task_group.cpp).
void own_group_tasks(std::vector<std::uint64_t>& out);
}  // namespace tether::detail
