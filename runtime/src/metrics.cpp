// tether::metrics: the interned per-component counter blocks, the per-thread shards, snapshot() and the
// Prometheus text exposition.
//
// The component table is open addressing over kSlots atomic pointers, filled by compare-and-swap and never
// emptied: a lookup is a hash and a few loads, with no lock (safe_go looks up at every spawn). Blocks are
// immortal (reachable from the immortal table), so a pointer taken once stays valid, also during static
// destruction and in a forked child.
#include <tether/metrics.h>

#include "metrics_internal.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <new>

namespace tether {
namespace detail {

namespace {

// Twice the component cap plus one for the overflow block: the probe sequences stay short.
constexpr std::size_t kSlots = 2048;
static_assert(kSlots >= 2 * (metrics::kMaxComponents + 1));

struct component_table {
  std::array<std::atomic<metrics_block*>, kSlots> slots{};
  std::atomic<std::size_t> count{0};  // blocks inserted (the overflow block included)
};

component_table& table() {
  static auto* t = new component_table;  // immortal: tasks count until the very end
  return *t;
}

// Finds `name`, or inserts a block for it when `insert` (returns null when absent and not inserting).
metrics_block* find_or_insert(std::string_view name, bool insert) {
  component_table& t = table();
  std::unique_ptr<metrics_block> fresh;
  for (std::size_t i = std::hash<std::string_view>{}(name), n = 0; n < kSlots; ++i, ++n) {
    std::atomic<metrics_block*>& slot = t.slots[i % kSlots];
    metrics_block* b = slot.load(std::memory_order_acquire);
    while (b == nullptr) {
      if (!insert) return nullptr;
      if (!fresh) fresh = std::make_unique<metrics_block>(name);
      if (slot.compare_exchange_strong(b, fresh.get(), std::memory_order_acq_rel, std::memory_order_acquire)) {
        t.count.fetch_add(1, std::memory_order_relaxed);
        return fresh.release();
      }
      // Another thread filled the slot first: `b` is its block; compare it below.
    }
    if (b->component == name) return b;
  }
  return nullptr;  // full (cannot happen: the cap keeps the table at most half full)
}

// Shard ownership: bit i set while a thread owns shard i.
std::atomic<std::uint64_t> g_shard_owners{0};
static_assert(metrics_block::kShards == 64, "one bit per shard in g_shard_owners");

struct shard_release {
  std::uint32_t index = 0;  // + 1; 0: none
  ~shard_release() {
    if (index == 0) return;
    g_shard_owners.fetch_and(~(std::uint64_t{1} << (index - 1)), std::memory_order_release);
    // Anything this thread counts from now on (other thread_local destructors) goes to the shared shard.
    tl_metric_shard = metrics_block::kShared + 1;
  }
};

}  // namespace

metrics_block* metrics_for(std::string_view component) {
  if (metrics_block* b = find_or_insert(component, false)) return b;
  if (table().count.load(std::memory_order_relaxed) >= metrics::kMaxComponents) {
    return find_or_insert(metrics::kOverflowComponent, true);
  }
  return find_or_insert(component, true);
}

std::uint32_t claim_metric_shard() noexcept {
  // A forked child keeps the parent's bits of threads it does not have: its threads may then share the last
  // shard sooner, which only costs speed.
  std::uint64_t owned = g_shard_owners.load(std::memory_order_relaxed);
  std::uint32_t index = metrics_block::kShared + 1;
  while (owned != ~std::uint64_t{0}) {
    const unsigned bit = static_cast<unsigned>(__builtin_ctzll(~owned));
    if (g_shard_owners.compare_exchange_weak(owned, owned | (std::uint64_t{1} << bit), std::memory_order_acq_rel,
                                             std::memory_order_relaxed)) {
      index = bit + 1;
      break;
    }
  }
  if (index != metrics_block::kShared + 1) {
    thread_local shard_release release;  // gives the shard back when the thread ends
    release.index = index;
  }
  tl_metric_shard = index;
  return index;
}

}  // namespace detail

namespace metrics {

std::vector<component_stats> snapshot() {
  std::vector<component_stats> out;
  const auto& t = detail::table();
  for (const auto& slot : t.slots) {
    const detail::metrics_block* b = slot.load(std::memory_order_acquire);
    if (b == nullptr) continue;
    component_stats c;
    c.component = b->component;
    // failed, then finished, then started: see metrics_internal.h.
    for (const auto& s : b->shards) c.failed += s.failed.load(std::memory_order_acquire);
    for (const auto& s : b->shards) c.finished += s.finished.load(std::memory_order_acquire);
    for (const auto& s : b->shards) c.started += s.started.load(std::memory_order_relaxed);
    c.running = c.started - c.finished;
    if (b->has_pool.load(std::memory_order_acquire)) {
      component_stats::pool_stats p;
      p.queue_depth = b->queue_depth.load(std::memory_order_relaxed);
      p.queue_capacity = b->queue_capacity.load(std::memory_order_relaxed);
      p.rejected = b->rejected.load(std::memory_order_relaxed);
      p.dropped = b->dropped.load(std::memory_order_relaxed);
      p.pools = b->pools.load(std::memory_order_relaxed);
      c.pool = p;
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(),
            [](const component_stats& a, const component_stats& b) { return a.component < b.component; });
  return out;
}

namespace {

// Appends `s` as a label value: backslash, double quote and newline escaped; invalid UTF-8 -> U+FFFD.
void append_label_value(std::string& out, const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      if (c == '\\') {
        out += "\\\\";
      } else if (c == '"') {
        out += "\\\"";
      } else if (c == '\n') {
        out += "\\n";
      } else {
        out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // The length of a well-formed sequence starting here (RFC 3629: no overlongs, no surrogates, <= U+10FFFF).
    std::size_t len = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
    }
    bool ok = len != 0 && i + len <= n;
    for (std::size_t k = 1; ok && k < len; ++k) ok = (p[i + k] & 0xC0) == 0x80;
    if (ok && len >= 3) {
      const unsigned char c1 = p[i + 1];
      if (c == 0xE0) ok = c1 >= 0xA0;         // overlong
      if (c == 0xED) ok = c1 < 0xA0;          // surrogates
      if (c == 0xF0) ok = c1 >= 0x90;         // overlong
      if (c == 0xF4) ok = c1 < 0x90;          // > U+10FFFF
    }
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
}

struct family {
  const char* name;
  const char* type;
  const char* help;
  bool pool;  // only components with worker_pools have samples
  std::uint64_t (*value)(const component_stats&);
};

const family kFamilies[] = {
    {"tether_tasks_started_total", "counter", "Tasks that began running, per component.", false,
     [](const component_stats& c) { return c.started; }},
    {"tether_tasks_finished_total", "counter", "Tasks that ended (returned or threw), per component.", false,
     [](const component_stats& c) { return c.finished; }},
    {"tether_tasks_failed_total", "counter", "Tasks that ended by an exception, per component.", false,
     [](const component_stats& c) { return c.failed; }},
    {"tether_tasks_running", "gauge", "Tasks running now, per component.", false,
     [](const component_stats& c) { return c.running; }},
    {"tether_pool_queue_depth", "gauge", "Tasks waiting in the component's worker_pool queues.", true,
     [](const component_stats& c) { return c.pool->queue_depth; }},
    {"tether_pool_queue_capacity", "gauge", "Queue capacity of the component's live worker_pools.", true,
     [](const component_stats& c) { return c.pool->queue_capacity; }},
    {"tether_pool_rejected_total", "counter", "worker_pool submits that returned false (queue full or closed).",
     true, [](const component_stats& c) { return c.pool->rejected; }},
    {"tether_pool_dropped_total", "counter", "worker_pool tasks accepted but never run (cancelled shutdown).", true,
     [](const component_stats& c) { return c.pool->dropped; }},
    {"tether_pools", "gauge", "Live worker_pools of the component.", true,
     [](const component_stats& c) { return c.pool->pools; }},
};

}  // namespace

std::string prometheus_text(const std::vector<component_stats>& stats) {
  std::string out;
  out.reserve(512 + stats.size() * 400);
  for (const family& f : kFamilies) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    out += f.help;
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += f.type;
    out += '\n';
    for (const component_stats& c : stats) {
      if (f.pool && !c.pool) continue;
      out += f.name;
      out += "{component=\"";
      append_label_value(out, c.component);
      out += "\"} ";
      out += std::to_string(f.value(c));
      out += '\n';
    }
  }
  return out;
}

std::string prometheus_text() { return prometheus_text(snapshot()); }

void set_enabled(bool on) noexcept { detail::g_metrics_on.store(on, std::memory_order_relaxed); }
bool enabled() noexcept { return detail::g_metrics_on.load(std::memory_order_relaxed); }

}  // namespace metrics
}  // namespace tether
