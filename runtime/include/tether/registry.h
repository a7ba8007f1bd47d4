// tether/registry.h - every live task (safe_go thread or task_group task) is registered here with an id, a
// component name, its spawn site and its spawn time, so a service can expose what is running (a health
// endpoint) and tests can check nothing leaked (tether/testing.h).
#pragma once

#include <tether/detail/task_record.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <source_location>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace tether {

/// A copy of one registry entry.
struct task_info {
  std::uint64_t id = 0;                            ///< unique; handed out per thread in blocks (not ordered across threads)
  std::string component;
  std::source_location where;                      ///< spawn site (file, line, function)
  /// When it was spawned (queued tasks count too). For group tasks read from the coarse monotonic clock (a
  /// few ms resolution, never later than the precise time), so age() is never understated.
  std::chrono::steady_clock::time_point started;
  task_kind kind = task_kind::thread;

  std::chrono::steady_clock::duration age() const { return std::chrono::steady_clock::now() - started; }
};

/// A task still running when task_group::wait_for timed out.
using straggler = task_info;

/// "safe_go" or "group".
const char* to_string(task_kind k) noexcept;

/// One line: `#12 'component' (safe_go) spawned at file.cpp:34 in void f(), age 120 ms`.
std::string describe(const task_info& t);

namespace registry {

/// Live tasks (safe_go threads; group tasks queued or running), oldest spawn first; tasks spawned while
/// tracking was off are left out. Group tasks are listed by the pool, which locks its queues for the copy.
std::vector<task_info> snapshot();

/// snapshot() as a JSON array of objects (include <nlohmann/json.hpp>, or tether/tether.h, to use it):
/// {"id", "component", "file", "line", "function", "age_ms", "kind"}. Safe to serve from a health endpoint:
/// age_ms is measured after the snapshot is taken (never negative), and bytes of a component, file or
/// function name that are not well-formed UTF-8 are replaced by U+FFFD, so the default (strict) dump() never
/// throws because of a name. snapshot() keeps the names byte for byte.
nlohmann::json snapshot_json();

/// Number of live tasks (counted even when tracking is off). Queued group tasks count as live.
/// Sums the pending counts of the live task groups.
std::size_t live_count() noexcept;

/// Blocks until live_count() == 0 or `timeout` passes; returns true if idle. Calling it from inside a task
/// can only time out (the caller is live).
bool wait_idle(std::chrono::steady_clock::duration timeout);

/// Tracking (linking tasks for snapshot) is on by default. Turning it off (benchmarks) leaves
/// live_count / wait_idle working but makes snapshot() empty for tasks spawned while it is off.
void set_tracking(bool on) noexcept;
/// Whether tasks spawned now are tracked: set_tracking's setting, or true while a tracking_scope exists.
bool tracking() noexcept;

/// While at least one tracking_scope exists (on any thread), every task spawned is tracked, whatever
/// set_tracking says; the setting applies again once the last scope is gone. testing::leak_check holds one,
/// so it can name each task it reports even in a process that turned tracking off.
class tracking_scope {
 public:
  tracking_scope() noexcept;
  ~tracking_scope();
  tracking_scope(const tracking_scope&) = delete;
  tracking_scope& operator=(const tracking_scope&) = delete;
};

/// How long the runtime waits at process exit for cancelled tasks to finish (default 2 s; one grace period
/// for the whole exit handler). Tasks still running then are reported on stderr and the process ends at once
/// with _Exit(status), without static destructors (which would race them); so is a deadline's stop callback
/// still running on a timer helper. See docs/runtime.md, "Threading model".
void set_exit_grace(std::chrono::steady_clock::duration grace) noexcept;

}  // namespace registry
}  // namespace tether
