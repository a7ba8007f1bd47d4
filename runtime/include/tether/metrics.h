// tether/metrics.h - per-component task counters (the seeds' RES-M1/M6 dashboards and alerts) and their
// Prometheus text exposition, ready to serve on /metrics.
//
//   server.get("/metrics", [](const request&, response& res) {
//     res.set_content(tether::metrics::prometheus_text(), tether::metrics::kPrometheusContentType);
//   });
//
// What is counted. Every task the runtime runs, under the component it was started with:
// - safe_go tasks (the component passed to safe_go; a worker_pool's own worker threads are not counted),
// - task_group tasks (the group's component),
// - worker_pool tasks (the pool's component).
// Per component: started (began running), finished (returned or threw; failed ones included), failed (threw:
// the seeds' goroutine_panics_total; for safe_go under either policy), running (started - finished). Per
// component that has (or had) a worker_pool, summed over its pools: queue depth, queue capacity (of the live
// pools), rejected submits, dropped tasks (accepted, never run), live pools.
//
// Cost. Counting takes no lock and makes no system call on any spawn or run path. Each component's counters
// are a block found once - a task_group or worker_pool looks its block up when it is built, safe_go at each
// spawn through a lock-free table - and each thread adds to its own cache line of the block (its own shard:
// a plain load and store, no atomic read-modify-write). Threads beyond the 64 shards share one more shard
// with atomic increments. See docs/performance.md ("Metrics") for the measured cost and set_enabled().
//
// Components. Interned on first use and never forgotten (a counter must not go backwards). At most
// kMaxComponents distinct names are kept; tasks of further names are counted under the component
// kOverflowComponent, so a component name computed per request cannot grow memory without bound.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tether::metrics {

/// Distinct component names kept; the rest are counted under kOverflowComponent.
inline constexpr std::size_t kMaxComponents = 1000;
inline constexpr const char* kOverflowComponent = "(other)";
/// The Content-Type of prometheus_text() (text exposition format 0.0.4).
inline constexpr const char* kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

/// Counters of one component.
struct component_stats {
  std::string component;
  std::uint64_t started = 0;   ///< tasks that began running
  std::uint64_t finished = 0;  ///< tasks that ended, normally or by an exception
  std::uint64_t failed = 0;    ///< tasks that ended by an exception
  std::uint64_t running = 0;   ///< started - finished

  /// The component's worker_pools, summed (absent if no worker_pool ever had this component).
  struct pool_stats {
    std::uint64_t queue_depth = 0;     ///< tasks waiting in the queues now
    std::uint64_t queue_capacity = 0;  ///< summed options.queue_capacity of the live pools
    std::uint64_t rejected = 0;        ///< try_submit()/submit() calls that returned false, since start
    std::uint64_t dropped = 0;         ///< accepted tasks never run (cancel-mode shutdown ...), since start
    std::uint64_t pools = 0;           ///< live worker_pools
  };
  std::optional<pool_stats> pool;
};

/// The counters of every component seen so far, sorted by component name.
///
/// Ordering guarantees. Each value is read with atomic loads while tasks keep running: the snapshot is not
/// one instant across components or counters, but
/// - within a component, failed <= finished <= started (failures are read first with acquire loads, which
///   synchronize with the release stores that count them, then finishes, then starts), so running is never
///   negative and a task seen finished is also seen started;
/// - every counter is monotonic across snapshots taken by one thread (gauges - running, queue_depth,
///   queue_capacity, pools - move both ways);
/// - everything a task did before it finished happens-before a snapshot that counts it as finished.
/// queue_depth is updated under the pool's queue lock, so it may lag a submit by the time that lock is held.
/// Thread safety: callable from any thread, any time (also from tasks, hooks and at exit).
/// Throws std::bad_alloc only.
std::vector<component_stats> snapshot();

/// snapshot() rendered in the Prometheus text exposition format, one family per metric with its # HELP and
/// # TYPE lines (families without samples keep their HELP/TYPE lines):
///   tether_tasks_started_total{component="webhooks"} 12      (counter)
///   tether_tasks_finished_total, tether_tasks_failed_total   (counters)
///   tether_tasks_running                                      (gauge)
///   tether_pool_queue_depth, tether_pool_queue_capacity, tether_pools (gauges; pool components only)
///   tether_pool_rejected_total, tether_pool_dropped_total    (counters; pool components only)
/// Label values are escaped as the format requires (backslash, double quote, newline) and bytes that are
/// not valid UTF-8 are replaced by U+FFFD. Serve it with kPrometheusContentType.
std::string prometheus_text();
/// The same for a given snapshot (for tests, or to add your own families around it).
std::string prometheus_text(const std::vector<component_stats>& stats);

/// Turns counting on or off at run time (on by default). Off, a task costs one relaxed load and a branch
/// more than no metrics at all; a task counts as started only if counting was on when it started, and then
/// always counts as finished, so switching never leaves running skewed. worker_pool's queue gauges and
/// rejected counts are kept either way (they are updated under the pool's lock anyway).
void set_enabled(bool on) noexcept;
bool enabled() noexcept;

}  // namespace tether::metrics
