// The scheduler's monitor: adds temporary workers when every worker is blocked in a task while work waits
// (Go's answer to goroutines blocked in syscalls), joins them when they retire, and gives back the job-memory
// depot's surplus and oversized empty slot rings once the pool is idle. See scheduler.h for the design and
// the locking rules (extras_ and extra_worker::retired are guarded by mon_m_, which is released while it
// trims; trim_rings holds one slot's lock at a time and frees nothing under it).
#include "scheduler.h"

#include "job_memory.h"

namespace tether::detail {

void pool::monitor() {
  std::unique_lock lk(mon_m_);
  while (!stopping_.load()) {
    // Join retired temporary workers (they no longer touch the pool).
    for (auto it = extras_.begin(); it != extras_.end();) {
      if (it->retired) {
        std::thread t = std::move(it->thread);
        it = extras_.erase(it);
        lk.unlock();
        t.join();
        lk.lock();
      } else {
        ++it;
      }
    }
    if (!any_queued()) {
      monitor_idle_.store(true, std::memory_order_seq_cst);
      if (!any_queued()) {
        const auto wake = [this] { return stopping_.load() || !monitor_idle_.load() || has_retired_locked(); };
        if (!mon_cv_.wait_for(lk, kTrimAfter, wake)) {
          // Idle for a while: give back the job memory and ring space kept from the last burst.
          lk.unlock();
          depot_trim(kDepotKeep);
          trim_rings();
          lk.lock();
          mon_cv_.wait(lk, wake);
        }
      }
      monitor_idle_.store(false, std::memory_order_seq_cst);
      continue;
    }
    const std::uint64_t seen = total_pops();
    mon_cv_.wait_for(lk, kStarvation, [this] { return stopping_.load(); });
    if (stopping_.load()) break;
    if (!any_queued() || total_pops() != seen) continue;
    // Nothing was taken for a whole period while work waited.
    if (sleeping_.load() > 0) {
      // A worker sleeps with work queued: should not happen; wake one rather than add threads.
      searching_.fetch_add(1, std::memory_order_seq_cst);
      post_wake();
    } else if (extras_.size() < kMaxExtra) {
      // Every worker is blocked in a task: add a temporary one.
      extras_.emplace_back();
      extra_worker* e = &extras_.back();
      try {
        e->thread = std::thread([this, e] {
          worker(external_slot(), true);
          {
            std::lock_guard rk(mon_m_);
            e->retired = true;
          }
          mon_cv_.notify_all();
        });
      } catch (...) {
        extras_.pop_back();  // out of threads: keep waiting for the blocked workers
      }
    }
  }
}

bool pool::has_retired_locked() const {
  return std::any_of(extras_.begin(), extras_.end(), [](const extra_worker& e) { return e.retired; });
}

std::size_t pool::extra_workers() {
  std::lock_guard lk(mon_m_);
  return extras_.size();
}
}  // namespace tether::detail
