#include <tether/registry.h>

#include <nlohmann/json.hpp>

#include "shutdown.h"

#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>

namespace tether {
namespace {

// Sharded so that spawning from several threads does not serialize on one mutex.
constexpr std::size_t kShards = 8;

struct shard {
  std::mutex m;
  detail::task_record* head = nullptr;
  detail::task_record* tail = nullptr;
};

struct registry_state {
  std::array<shard, kShards> shards;
  std::atomic<std::size_t> live{0};
  std::atomic<bool> tracking{true};
  std::atomic<std::uint64_t> next_id{1};
  std::mutex idle_m;
  std::condition_variable idle_cv;
  std::atomic<std::int64_t> exit_grace_ns{std::chrono::nanoseconds(std::chrono::seconds(2)).count()};
};

registry_state& state() {
  // Immortal: tasks may finish (and untrack) during static destruction.
  static registry_state* s = new registry_state;
  return *s;
}

}  // namespace

namespace detail {

std::uint64_t next_task_id() noexcept { return state().next_id.fetch_add(1, std::memory_order_relaxed); }

void track(task_record& r) noexcept {
  auto& s = state();
  s.live.fetch_add(1, std::memory_order_relaxed);
  if (!s.tracking.load(std::memory_order_relaxed)) return;
  auto& sh = s.shards[r.id % kShards];
  std::lock_guard lk(sh.m);
  r.prev = sh.tail;
  r.next = nullptr;
  (sh.tail ? sh.tail->next : sh.head) = &r;
  sh.tail = &r;
  r.linked = true;
}

void untrack(task_record& r) noexcept {
  auto& s = state();
  if (r.linked) {
    auto& sh = s.shards[r.id % kShards];
    std::lock_guard lk(sh.m);
    (r.prev ? r.prev->next : sh.head) = r.next;
    (r.next ? r.next->prev : sh.tail) = r.prev;
    r.prev = r.next = nullptr;
    r.linked = false;
  }
  if (s.live.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    // Taking the mutex orders this notify after a waiter's predicate check (no lost wake-up).
    std::lock_guard lk(s.idle_m);
    s.idle_cv.notify_all();
  }
}

std::chrono::steady_clock::duration exit_grace() noexcept {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::nanoseconds(state().exit_grace_ns.load()));
}

}  // namespace detail

const char* to_string(task_kind k) noexcept { return k == task_kind::group ? "group" : "safe_go"; }

std::string describe(const task_info& t) {
  const auto age_ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.age()).count();
  std::string s = "#" + std::to_string(t.id) + " '" + t.component + "' (" + to_string(t.kind) +
                  ") spawned at " + t.where.file_name() + ":" + std::to_string(t.where.line());
  if (t.where.function_name()[0] != '\0') s += std::string(" in ") + t.where.function_name();
  s += ", age " + std::to_string(age_ms) + " ms";
  return s;
}

namespace registry {

std::vector<task_info> snapshot() {
  std::vector<task_info> out;
  for (auto& sh : state().shards) {
    std::lock_guard lk(sh.m);
    for (auto* r = sh.head; r != nullptr; r = r->next) {
      out.push_back(task_info{r->id, std::string(r->component), r->where, r->started, r->kind});
    }
  }
  return out;
}

nlohmann::json snapshot_json() {
  auto j = nlohmann::json::array();
  const auto now = std::chrono::steady_clock::now();
  for (const auto& t : snapshot()) {
    j.push_back({
        {"id", t.id},
        {"component", t.component},
        {"file", t.where.file_name()},
        {"line", t.where.line()},
        {"function", t.where.function_name()},
        {"age_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now - t.started).count()},
        {"kind", to_string(t.kind)},
    });
  }
  return j;
}

std::size_t live_count() noexcept { return state().live.load(std::memory_order_acquire); }

bool wait_idle(std::chrono::steady_clock::duration timeout) {
  auto& s = state();
  std::unique_lock lk(s.idle_m);
  const auto now = std::chrono::steady_clock::now();
  const auto pred = [&s] { return s.live.load(std::memory_order_acquire) == 0; };
  if (timeout > std::chrono::steady_clock::time_point::max() - now) {
    s.idle_cv.wait(lk, pred);
    return true;
  }
  return s.idle_cv.wait_until(lk, now + timeout, pred);
}

void set_tracking(bool on) noexcept { state().tracking.store(on); }
bool tracking() noexcept { return state().tracking.load(); }

void set_exit_grace(std::chrono::steady_clock::duration grace) noexcept {
  if (grace < grace.zero()) grace = grace.zero();
  state().exit_grace_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(grace).count());
}

}  // namespace registry
}  // namespace tether
