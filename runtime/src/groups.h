// Internal: what the registry needs from the pool. Group tasks are not linked into the registry one by one;
// the registry asks the pool for them when it is asked (see scheduler.h, "Registry visibility").
#pragma once

#include <tether/registry.h>

#include <cstddef>
#include <vector>

namespace tether::detail {

// Group tasks reserved, queued or running, summed over every live task_group (task_group.cpp).
std::size_t group_tasks_live() noexcept;

// Appends every queued or running group task that was spawned while tracking was on (task_group.cpp, scheduler.cpp).
void collect_group_tasks(std::vector<task_info>& out);

// Called when a group's pending count reaches zero: wakes registry::wait_idle() callers, if any (registry.cpp).
void notify_idle_waiters() noexcept;

}  // namespace tether::detail
