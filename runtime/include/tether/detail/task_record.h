// Internal: the registry entry embedded in every safe_go task (no allocation to register it). Group tasks are
// listed by the pool instead (runtime/src/scheduler.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <source_location>
#include <string_view>

namespace tether {

/// What spawned a task.
enum class task_kind {
  thread,  ///< safe_go: a dedicated, tracked thread ("safe_go" in JSON)
  group,   ///< a task_group task on the shared pool ("group" in JSON)
};

namespace detail {

struct task_record {
  std::uint64_t id = 0;
  std::string_view component;  // points into storage owned by the task or its group (outlives the record)
  std::source_location where;
  std::chrono::steady_clock::time_point started;
  task_kind kind = task_kind::thread;
  // Intrusive links in one registry shard, guarded by that shard's mutex.
  task_record* prev = nullptr;
  task_record* next = nullptr;
  bool linked = false;
};

std::uint64_t next_task_id() noexcept;
// Counts the task as live and, if tracking is on, links it for snapshot(). Never throws.
void track(task_record& r) noexcept;
// Unlinks and uncounts; wakes wait_idle() waiters when the count reaches zero.
void untrack(task_record& r) noexcept;

}  // namespace detail
}  // namespace tether
