// tether/bounded_map.h - the approved replacement for a long-lived std::unordered_map that only grows
// (per-client state, caches): a thread-safe map with a hard capacity, LRU eviction and an optional TTL.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>
#include <utility>

namespace tether {

/// A thread-safe map holding at most capacity() entries.
///
/// - LRU: get(), get_or_insert() and with() refresh an entry's recency; put() of a new key into a full map
///   evicts the least recently used entry (counted by eviction_count()). contains() does not refresh.
/// - TTL (optional, 0 = none): an entry older than ttl (measured from its last put/insert, not from reads)
///   is treated as absent and removed when next touched (counted by expired_count()); purge_expired()
///   sweeps them all. size() may include expired entries not touched since.
/// - Sharding: the map is split into `shards` independent LRU lists, each with its own mutex and an equal
///   share of the capacity. With one shard (the default for capacity < 4096) LRU order is exact; with more,
///   LRU is exact within a shard and approximate globally, and a shard may evict while others have room
///   (size() <= capacity() always holds). `shards` is rounded down to a power of two and to <= capacity.
/// - Callbacks (factories, with()'s fn) run under the shard's lock: keep them short and don't call back
///   into the same map from them.
template <class K, class V, class Hash = std::hash<K>, class Eq = std::equal_to<K>>
class bounded_map {
 public:
  using key_type = K;
  using mapped_type = V;
  using clock = std::chrono::steady_clock;

  /// Throws std::invalid_argument if capacity is 0 or ttl is negative. shards = 0 picks automatically.
  explicit bounded_map(std::size_t capacity, clock::duration ttl = clock::duration::zero(), std::size_t shards = 0)
      : capacity_(capacity), ttl_(ttl) {
    if (capacity == 0) throw std::invalid_argument("tether::bounded_map: capacity must be at least 1");
    if (ttl < clock::duration::zero()) throw std::invalid_argument("tether::bounded_map: ttl must not be negative");
    if (shards == 0) shards = capacity >= 4096 ? 16 : 1;
    shards = std::bit_floor(std::min(shards, capacity));
    shard_count_ = shards;
    shard_shift_ = shards == 1 ? 64 : 64 - std::countr_zero(shards);
    shards_ = std::make_unique<shard[]>(shards);
    for (std::size_t i = 0; i < shards; ++i) shards_[i].cap = capacity / shards + (i < capacity % shards ? 1 : 0);
  }

  bounded_map(const bounded_map&) = delete;
  bounded_map& operator=(const bounded_map&) = delete;

  /// The value, refreshing its recency; nullopt if absent or expired.
  std::optional<V> get(const K& key) {
    shard& s = shard_for(key);
    std::lock_guard lk(s.m);
    entry* e = find_fresh(s, key, stamp_now());
    if (e == nullptr) return std::nullopt;
    s.to_front(e);
    return e->second.value;
  }

  /// True if present and not expired. Does not refresh recency.
  bool contains(const K& key) const {
    const shard& s = shard_for(key);
    std::lock_guard lk(s.m);
    auto it = s.map.find(key);
    return it != s.map.end() && !expired(it->second, stamp_now());
  }

  /// Inserts or overwrites; the entry becomes most recently used and its TTL restarts.
  void put(const K& key, V value) {
    shard& s = shard_for(key);
    const auto now = stamp_now();
    std::lock_guard lk(s.m);
    auto it = s.map.find(key);
    if (it != s.map.end()) {
      it->second.value = std::move(value);
      it->second.stamp = now;
      s.to_front(&*it);
      return;
    }
    insert_locked(s, key, std::move(value), now);
  }

  /// The value for key, inserting `make()` first if absent or expired. Returns a copy.
  template <class Factory>
  V get_or_insert(const K& key, Factory&& make) {
    return with(key, std::forward<Factory>(make), [](V& v) -> V { return v; });
  }

  /// Runs `fn(V&)` on the value for key under the shard's lock, inserting `make()` first if absent or
  /// expired; returns fn's result. The entry becomes most recently used. E.g. a per-client rate limiter:
  ///   bool ok = limiters.with(ip, [] { return limiter(10, 1s); }, [](limiter& l) { return l.allow(); });
  template <class Factory, class F>
  auto with(const K& key, Factory&& make, F&& fn) {
    shard& s = shard_for(key);
    const auto now = stamp_now();
    std::lock_guard lk(s.m);
    entry* e = find_fresh(s, key, now);
    if (e == nullptr) {
      e = insert_locked(s, key, std::invoke(std::forward<Factory>(make)), now);
    } else {
      s.to_front(e);
    }
    return std::invoke(std::forward<F>(fn), e->second.value);
  }

  /// with(key, [] { return V{}; }, fn).
  template <class F>
    requires std::invocable<F&&, V&>
  auto with(const K& key, F&& fn) {
    return with(key, [] { return V{}; }, std::forward<F>(fn));
  }

  /// Removes key; returns true if it was present (expired or not).
  bool erase(const K& key) {
    shard& s = shard_for(key);
    std::lock_guard lk(s.m);
    auto it = s.map.find(key);
    if (it == s.map.end()) return false;
    s.unlink(&*it);
    s.map.erase(it);
    return true;
  }

  void clear() {
    for (std::size_t i = 0; i < shard_count_; ++i) {
      std::lock_guard lk(shards_[i].m);
      shards_[i].map.clear();
      shards_[i].head = shards_[i].tail = nullptr;
    }
  }

  /// Removes every expired entry now; returns how many.
  std::size_t purge_expired() {
    if (ttl_ == clock::duration::zero()) return 0;
    std::size_t n = 0;
    const auto now = stamp_now();
    for (std::size_t i = 0; i < shard_count_; ++i) {
      shard& s = shards_[i];
      std::lock_guard lk(s.m);
      for (auto it = s.map.begin(); it != s.map.end();) {
        if (expired(it->second, now)) {
          s.unlink(&*it);
          it = s.map.erase(it);
          ++n;
        } else {
          ++it;
        }
      }
    }
    expired_.fetch_add(n, std::memory_order_relaxed);
    return n;
  }

  /// Entries currently stored (see the TTL note above).
  std::size_t size() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      std::lock_guard lk(shards_[i].m);
      n += shards_[i].map.size();
    }
    return n;
  }

  std::size_t capacity() const noexcept { return capacity_; }
  clock::duration ttl() const noexcept { return ttl_; }
  std::size_t shard_count() const noexcept { return shard_count_; }
  /// Entries removed to make room (LRU evictions), since construction.
  std::size_t eviction_count() const noexcept { return evictions_.load(std::memory_order_relaxed); }
  /// Entries removed because their TTL passed, since construction.
  std::size_t expired_count() const noexcept { return expired_.load(std::memory_order_relaxed); }

 private:
  struct node;
  using entry = std::pair<const K, node>;
  struct node {
    template <class U>
    node(U&& v, clock::time_point t) : value(std::forward<U>(v)), stamp(t) {}
    V value;
    clock::time_point stamp;
    entry* prev = nullptr;  // towards most recently used
    entry* next = nullptr;  // towards least recently used
  };

  struct shard {
    mutable std::mutex m;
    std::unordered_map<K, node, Hash, Eq> map;  // element addresses are stable: the LRU list links them
    entry* head = nullptr;                      // most recently used
    entry* tail = nullptr;                      // least recently used
    std::size_t cap = 0;

    void unlink(entry* e) noexcept {
      (e->second.prev ? e->second.prev->second.next : head) = e->second.next;
      (e->second.next ? e->second.next->second.prev : tail) = e->second.prev;
      e->second.prev = e->second.next = nullptr;
    }
    void push_front(entry* e) noexcept {
      e->second.prev = nullptr;
      e->second.next = head;
      (head ? head->second.prev : tail) = e;
      head = e;
    }
    void to_front(entry* e) noexcept {
      if (head == e) return;
      unlink(e);
      push_front(e);
    }
  };

  static std::uint64_t mix(std::size_t h) noexcept {
    return static_cast<std::uint64_t>(h) * 0x9E3779B97F4A7C15ULL;  // spreads identity hashes over the top bits
  }

  shard& shard_for(const K& key) {
    if (shard_count_ == 1) return shards_[0];
    return shards_[mix(Hash{}(key)) >> shard_shift_];
  }
  const shard& shard_for(const K& key) const { return const_cast<bounded_map*>(this)->shard_for(key); }

  // Reading the clock is skipped when there is no TTL.
  clock::time_point stamp_now() const noexcept {
    return ttl_ == clock::duration::zero() ? clock::time_point{} : clock::now();
  }
  bool expired(const node& n, clock::time_point now) const noexcept {
    return ttl_ != clock::duration::zero() && now - n.stamp >= ttl_;
  }

  entry* find_fresh(shard& s, const K& key, clock::time_point now) {
    auto it = s.map.find(key);
    if (it == s.map.end()) return nullptr;
    if (expired(it->second, now)) {
      s.unlink(&*it);
      s.map.erase(it);
      expired_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    return &*it;
  }

  template <class U>
  entry* insert_locked(shard& s, const K& key, U&& value, clock::time_point now) {
    if (s.map.size() >= s.cap) {
      entry* victim = s.tail;
      const bool was_expired = expired(victim->second, now);
      s.unlink(victim);
      s.map.erase(s.map.find(victim->first));
      (was_expired ? expired_ : evictions_).fetch_add(1, std::memory_order_relaxed);
    }
    auto [it, inserted] = s.map.try_emplace(key, std::forward<U>(value), now);
    s.push_front(&*it);
    return &*it;
  }

  std::size_t capacity_;
  clock::duration ttl_;
  std::size_t shard_count_ = 1;
  int shard_shift_ = 64;
  std::unique_ptr<shard[]> shards_;
  std::atomic<std::size_t> evictions_{0};
  std::atomic<std::size_t> expired_{0};
};

}  // namespace tether
