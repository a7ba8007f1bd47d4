// Internal: the per-component counter blocks behind tether/metrics.h, and the counting on the run paths.
//
// Layout. A block per component (interned, immortal) holds kShards + 1 cache-line-sized shards of counters.
// A thread that counts claims one shard index for its lifetime (metrics.cpp); it is then the only writer of
// that shard in every block, so it counts with a relaxed load and a store (no atomic read-modify-write, no
// lock prefix). Threads beyond kShards share the last shard and use fetch_add. Readers only load.
//
// Ordering. A task adds started (relaxed), then at its end finished (release), then, if it threw, failed
// (release), all on one thread. A snapshot loads every shard's failed (acquire), then finished (acquire),
// then started: so it never sees a failure without its finish or a finish without its start.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tether::detail {

struct alignas(64) metric_shard {
  std::atomic<std::uint64_t> started{0};
  std::atomic<std::uint64_t> finished{0};
  std::atomic<std::uint64_t> failed{0};
};

struct metrics_block {
  static constexpr std::size_t kShards = 64;
  static constexpr std::size_t kShared = kShards;  // the index of the shard threads share

  explicit metrics_block(std::string_view name) : component(name) {}

  const std::string component;
  metric_shard shards[kShards + 1];

  // worker_pools of this component (updated under each pool's own lock, so plain atomic adds suffice).
  alignas(64) std::atomic<std::uint64_t> pools{0};
  std::atomic<std::uint64_t> queue_depth{0};
  std::atomic<std::uint64_t> queue_capacity{0};
  std::atomic<std::uint64_t> rejected{0};
  std::atomic<std::uint64_t> dropped{0};
  std::atomic<bool> has_pool{false};
};

// The block of `component` (interned on first use; lock-free lookup). Never null: past kMaxComponents
// names, the overflow component's block. Throws std::bad_alloc when a new block cannot be allocated.
metrics_block* metrics_for(std::string_view component);

// Read on every task: on a cache line of its own, so that no often-written neighbour makes those reads miss.
alignas(64) inline std::atomic<bool> g_metrics_on{true};
// This thread's shard index + 1 (0: none claimed yet).
inline constinit thread_local std::uint32_t tl_metric_shard = 0;
// Claims a shard index for this thread (or the shared one) and returns it + 1.
std::uint32_t claim_metric_shard() noexcept;

// Counts one task: started at construction (if counting is on), finished (and failed) by end().
class task_count {
 public:
  explicit task_count(metrics_block* b) noexcept {
    if (b == nullptr || !g_metrics_on.load(std::memory_order_relaxed)) return;
    std::uint32_t i = tl_metric_shard;
    if (i == 0) i = claim_metric_shard();
    shared_ = i - 1 == metrics_block::kShared;
    shard_ = &b->shards[i - 1];
    add(shard_->started, std::memory_order_relaxed);
  }
  void end(bool failed) noexcept {
    if (shard_ == nullptr) return;
    add(shard_->finished, std::memory_order_release);
    if (failed) add(shard_->failed, std::memory_order_release);
    shard_ = nullptr;
  }

 private:
  void add(std::atomic<std::uint64_t>& c, std::memory_order order) const noexcept {
    if (shared_) {
      c.fetch_add(1, order);
    } else {
      c.store(c.load(std::memory_order_relaxed) + 1, order);  // this thread is the shard's only writer
    }
  }
  metric_shard* shard_ = nullptr;
  bool shared_ = false;
};

}  // namespace tether::detail
