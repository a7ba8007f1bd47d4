#include <tether/registry.h>

#include <nlohmann/json.hpp>

#include "fork.h"
#include "groups.h"
#include "shutdown.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <new>
#include <string_view>

namespace tether {
namespace {

// Sharded so that spawning from several threads does not serialize on one mutex.
constexpr std::size_t kShards = 8;

struct shard {
  std::mutex m;
  detail::task_record* head = nullptr;
  detail::task_record* tail = nullptr;
};

// safe_go tasks are linked here one by one (a thread spawn dwarfs the cost). task_group tasks are not: the
// pool lists them on demand (groups.h), and their live count is the sum of the groups' pending counts.
struct registry_state {
  std::array<shard, kShards> shards;
  std::atomic<std::size_t> live{0};  // safe_go tasks
  std::atomic<bool> tracking{true};  // effective: user_tracking || scopes > 0
  std::mutex tracking_m;             // orders changes of the two below
  bool user_tracking = true;         // set_tracking()
  std::size_t scopes = 0;            // live registry::tracking_scope objects
  std::atomic<std::uint64_t> next_id{1};
  std::mutex idle_m;
  std::condition_variable idle_cv;
  std::atomic<std::size_t> idle_waiters{0};  // threads in wait_idle()
  std::atomic<std::int64_t> exit_grace_ns{std::chrono::nanoseconds(std::chrono::seconds(2)).count()};
};

registry_state*& state_ptr() {
  // Immortal: tasks may finish (and untrack) during static destruction. Replaced only in a forked child
  // (registry_atfork), while it has a single thread.
  static registry_state* s = new registry_state;
  return s;
}

registry_state& state() { return *state_ptr(); }

void update_tracking_locked(registry_state& s) noexcept {
  s.tracking.store(s.user_tracking || s.scopes > 0, std::memory_order_seq_cst);
}

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD REPLACEMENT CHARACTER

// `in` with every byte that does not belong to a well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF) replaced by U+FFFD, so a JSON document built from it always dumps.
std::string valid_utf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  std::size_t i = 0;
  while (i < in.size()) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1FU;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0FU;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07U;
    }
    bool ok = len != 0 && i + len <= in.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto d = static_cast<unsigned char>(in[i + k]);
      ok = (d & 0xC0U) == 0x80U;
      cp = (cp << 6) | (d & 0x3FU);
    }
    if (ok && len == 3) ok = cp >= 0x800 && (cp < 0xD800 || cp > 0xDFFF);
    if (ok && len == 4) ok = cp >= 0x10000 && cp <= 0x10FFFF;
    if (!ok) {
      out += kReplacement;  // this byte only; the next one starts a new sequence
      ++i;
      continue;
    }
    out.append(in.substr(i, len));
    i += len;
  }
  return out;
}

}  // namespace

namespace detail {

// Ids are handed to each thread in blocks, so spawning threads do not contend on one counter: unique, but
// not ordered across threads.
std::uint64_t next_task_id() noexcept {
  constexpr std::uint64_t kBlock = 1024;
  thread_local std::uint64_t next = 0;
  thread_local std::uint64_t end = 0;
  if (next == end) {
    next = state().next_id.fetch_add(kBlock, std::memory_order_relaxed);
    end = next + kBlock;
  }
  return next++;
}

void notify_idle_waiters() noexcept {
  auto& s = state();
  // seq_cst, after the caller's seq_cst decrement: a waiter either sees that decrement in its check, or
  // is counted here (wait_idle increments idle_waiters before checking).
  if (s.idle_waiters.load(std::memory_order_seq_cst) == 0) return;
  { std::lock_guard lk(s.idle_m); }  // orders this notify after a waiter's predicate check (no lost wake-up)
  s.idle_cv.notify_all();
}

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
  if (s.live.fetch_sub(1, std::memory_order_seq_cst) == 1) notify_idle_waiters();
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
  detail::collect_group_tasks(out);
  std::sort(out.begin(), out.end(), [](const task_info& a, const task_info& b) {
    return a.started != b.started ? a.started < b.started : a.id < b.id;
  });
  return out;
}

nlohmann::json snapshot_json() {
  auto j = nlohmann::json::array();
  const auto tasks = snapshot();
  // After the copy: every task in it started before this, so no age is negative.
  const auto now = std::chrono::steady_clock::now();
  for (const auto& t : tasks) {
    j.push_back({
        {"id", t.id},
        {"component", valid_utf8(t.component)},
        {"file", valid_utf8(t.where.file_name())},
        {"line", t.where.line()},
        {"function", valid_utf8(t.where.function_name())},
        {"age_ms", std::chrono::duration_cast<std::chrono::milliseconds>(now - t.started).count()},
        {"kind", to_string(t.kind)},
    });
  }
  return j;
}

std::size_t live_count() noexcept {
  return state().live.load(std::memory_order_seq_cst) + detail::group_tasks_live();
}

bool wait_idle(std::chrono::steady_clock::duration timeout) {
  auto& s = state();
  s.idle_waiters.fetch_add(1, std::memory_order_seq_cst);
  struct leave {
    registry_state& s;
    ~leave() { s.idle_waiters.fetch_sub(1, std::memory_order_seq_cst); }
  } guard{s};
  std::unique_lock lk(s.idle_m);
  const auto now = std::chrono::steady_clock::now();
  const auto pred = [] { return live_count() == 0; };
  if (timeout > std::chrono::steady_clock::time_point::max() - now) {
    s.idle_cv.wait(lk, pred);
    return true;
  }
  return s.idle_cv.wait_until(lk, now + timeout, pred);
}

void set_tracking(bool on) noexcept {
  auto& s = state();
  std::lock_guard lk(s.tracking_m);
  s.user_tracking = on;
  update_tracking_locked(s);
}

bool tracking() noexcept { return state().tracking.load(); }

tracking_scope::tracking_scope() noexcept {
  auto& s = state();
  std::lock_guard lk(s.tracking_m);
  ++s.scopes;
  update_tracking_locked(s);
}

tracking_scope::~tracking_scope() {
  auto& s = state();
  std::lock_guard lk(s.tracking_m);
  --s.scopes;
  update_tracking_locked(s);
}

void set_exit_grace(std::chrono::steady_clock::duration grace) noexcept {
  if (grace < grace.zero()) grace = grace.zero();
  state().exit_grace_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(grace).count());
}

}  // namespace registry

namespace detail {

void registry_atfork(fork_phase phase) noexcept {
  if (phase == fork_phase::prepare) (void)state_ptr();  // built before the fork (see pool_atfork)
  if (phase != fork_phase::child) return;
  // The parent's safe_go threads do not exist here: start from an empty registry with the same settings.
  // (Group tasks are listed by the pool, which the pool's own hook empties.)
  registry_state* const old = state_ptr();
  auto* fresh = new (std::nothrow) registry_state;
  if (fresh == nullptr) return;
  fresh->user_tracking = old->user_tracking;
  fresh->scopes = old->scopes;  // the forking thread's own scopes (a leak_check) continue in the child
  update_tracking_locked(*fresh);
  fresh->next_id.store(old->next_id.load());
  fresh->exit_grace_ns.store(old->exit_grace_ns.load());
  keep_forever(old);
  state_ptr() = fresh;
}

}  // namespace detail
}  // namespace tether
