// Internal: the runtime's single deadline timer thread.
#pragma once

#include "context_node.h"

namespace tether::detail {

// Arms a timer that cancels `n` with errc::deadline_exceeded at `when`. Starts the timer thread lazily.
void timer_arm(context_node* n, std::chrono::steady_clock::time_point when);
// Removes n's entry if still queued. Safe to call any number of times.
void timer_disarm(context_node* n) noexcept;
// Called once at process exit: stops and joins the timer thread and its idle helpers. Waits until `deadline`
// for helpers inside a stop callback (other than the calling thread); returns how many are still inside one.
std::size_t timer_shutdown(std::chrono::steady_clock::time_point deadline) noexcept;
// Number of queued entries (for tests of boundedness).
std::size_t timer_queue_size() noexcept;

}  // namespace tether::detail
