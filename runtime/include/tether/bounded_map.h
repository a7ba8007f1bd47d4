// tether/bounded_map.h - the approved replacement for a long-lived std::unordered_map that only grows
// (per-client state, caches): a thread-safe map with a hard capacity, CLOCK eviction (second chance, an
// approximation of LRU) and an optional TTL.
#pragma once

#include <tether/detail/light_mutex.h>

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
/// - Eviction is CLOCK, also called second chance: the entries of a shard form a queue in insertion order.
///   A hit (get(), get_or_insert() or with() finding the key) or an overwrite (put() of a present key)
///   marks the entry; contains() does not; a newly inserted entry starts unmarked. A new key in a full
///   shard makes room from the front of the queue: a marked entry is unmarked and moved to the back (its
///   second chance), and the first unmarked entry is evicted (counted by eviction_count()); an expired
///   entry is evicted when reached, marked or not (counted by expired_count()). So an entry used since
///   the front last passed it always survives, and a hit costs one bit, not a reordering of the queue:
///   this approximates LRU at a fraction of its cost per hit.
/// - TTL (optional, 0 = none): an entry older than ttl (measured from its last put/insert, not from reads)
///   is treated as absent and removed when next touched (counted by expired_count()); purge_expired()
///   sweeps them all. size() may include expired entries not touched since.
/// - Sharding: the map is split into `shards` independent queues, each with its own lock and an equal
///   share of the capacity. With one shard (the default for capacity < 4096) the order above is exact for
///   the whole map; with more, it holds within each shard, and a shard may evict while others have room
///   (size() <= capacity() always holds). `shards` is rounded down to a power of two and to <= capacity.
/// - A lookup hashes its key once (the shard and the hash table share the hash); inserting a new key hashes
///   it again inside std::unordered_map. Hash and Eq are default-constructed where needed (stateless
///   function objects). Evicting reuses the victim's node for the new entry when K and V are assignable.
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

  /// The value (a copy), marking the entry as used; nullopt if absent or expired.
  std::optional<V> get(const K& key) {
    const std::size_t h = Hash{}(key);
    shard& s = shard_at(h);
    std::lock_guard lk(s.m);
    entry* e = find_fresh(s, key, h);
    if (e == nullptr) return std::nullopt;
    mark(e);
    return e->second.value;
  }

  /// True if present and not expired. Does not mark the entry.
  bool contains(const K& key) const {
    const std::size_t h = Hash{}(key);
    const shard& s = const_cast<bounded_map*>(this)->shard_at(h);
    std::lock_guard lk(s.m);
    auto it = s.map.find(lookup{key, h});
    return it != s.map.end() && !expired(it->second, stamp_now());
  }

  /// Inserts or overwrites. Overwriting marks the entry as used and restarts its TTL; a new entry goes to the
  /// back of its shard's queue, unmarked.
  void put(const K& key, V value) {
    const std::size_t h = Hash{}(key);
    shard& s = shard_at(h);
    const auto now = stamp_now();
    std::lock_guard lk(s.m);
    auto it = s.map.find(lookup{key, h});
    if (it != s.map.end()) {
      it->second.value = std::move(value);
      it->second.stamp = now;
      mark(&*it);
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
  /// expired; returns fn's result. A present entry is marked as used; an inserted one starts unmarked. E.g.
  /// a per-client rate limiter:
  ///   bool ok = limiters.with(ip, [] { return limiter(10, 1s); }, [](limiter& l) { return l.allow(); });
  template <class Factory, class F>
  auto with(const K& key, Factory&& make, F&& fn) {
    const std::size_t h = Hash{}(key);
    shard& s = shard_at(h);
    std::lock_guard lk(s.m);
    entry* e = find_fresh(s, key, h);
    if (e == nullptr) {
      e = insert_locked(s, key, std::invoke(std::forward<Factory>(make)), stamp_now());
    } else {
      mark(e);
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
    const std::size_t h = Hash{}(key);
    shard& s = shard_at(h);
    std::lock_guard lk(s.m);
    auto it = s.map.find(lookup{key, h});
    if (it == s.map.end()) return false;
    s.unlink(&*it);
    s.map.erase(it);
    return true;
  }

  void clear() {
    for (std::size_t i = 0; i < shard_count_; ++i) {
      std::lock_guard lk(shards_[i].m);
      shards_[i].map.clear();
      shards_[i].hand = nullptr;
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
  /// Entries removed to make room (evictions of unexpired entries), since construction.
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
    bool marked = false;  // used since the front of the queue last passed it; next to the key and value, so a
                          // hit writes the cache line it just read
    clock::time_point stamp;
    entry* prev = nullptr;  // the shard's queue, a ring: towards the back
    entry* next = nullptr;  // towards the front (from the back: the front)
  };

  // A key with its hash: lets the shard's map find the key without hashing it again.
  struct lookup {
    const K& key;
    std::size_t hash;
  };
  struct hasher {
    using is_transparent = void;
    std::size_t operator()(const K& k) const noexcept(noexcept(Hash{}(k))) { return Hash{}(k); }
    std::size_t operator()(const lookup& l) const noexcept { return l.hash; }
  };
  struct key_equal {
    using is_transparent = void;
    bool operator()(const K& a, const K& b) const { return Eq{}(a, b); }
    bool operator()(const lookup& a, const K& b) const { return Eq{}(a.key, b); }
    bool operator()(const K& a, const lookup& b) const { return Eq{}(a, b.key); }
  };

  // Aligned so that a lookup's lock and the map's bucket array pointer and bucket count share one cache line.
  struct alignas(64) shard {
    mutable detail::light_mutex m;
    std::unordered_map<K, node, hasher, key_equal> map;  // element addresses are stable: the queue links them
    entry* hand = nullptr;  // the front of the queue; hand->second.prev is the back
    std::size_t cap = 0;

    void push_back(entry* e) noexcept {
      node& n = e->second;
      if (hand == nullptr) {
        n.prev = n.next = e;
        hand = e;
        return;
      }
      node& front = hand->second;
      n.next = hand;
      n.prev = front.prev;
      front.prev->second.next = e;
      front.prev = e;
    }
    void unlink(entry* e) noexcept {
      node& n = e->second;
      if (n.next == e) {
        hand = nullptr;
      } else {
        n.prev->second.next = n.next;
        n.next->second.prev = n.prev;
        if (hand == e) hand = n.next;
      }
      n.prev = n.next = nullptr;
    }
  };

  static void mark(entry* e) noexcept {
    if (!e->second.marked) e->second.marked = true;  // no store (no dirty line) when already marked
  }

  static std::uint64_t mix(std::size_t h) noexcept {
    return static_cast<std::uint64_t>(h) * 0x9E3779B97F4A7C15ULL;  // spreads identity hashes over the top bits
  }

  shard& shard_at(std::size_t h) noexcept {
    if (shard_count_ == 1) return shards_[0];
    return shards_[mix(h) >> shard_shift_];
  }

  // Reading the clock is skipped when there is no TTL.
  clock::time_point stamp_now() const noexcept {
    return ttl_ == clock::duration::zero() ? clock::time_point{} : clock::now();
  }
  bool expired(const node& n, clock::time_point now) const noexcept {
    return ttl_ != clock::duration::zero() && now - n.stamp >= ttl_;
  }

  // The entry for key, or null if absent or expired (an expired entry is removed). Inlined into the callers:
  // the common path is one hash table lookup; the TTL check reads the clock only if the map has a TTL.
#if defined(__GNUC__) || defined(__clang__)
  [[gnu::always_inline]]
#endif
  inline entry* find_fresh(shard& s, const K& key, std::size_t h) {
    auto it = s.map.find(lookup{key, h});
    if (it == s.map.end()) return nullptr;
    if (ttl_ != clock::duration::zero() && drop_if_expired(s, it)) return nullptr;
    return &*it;
  }

  template <class It>
#if defined(__GNUC__) || defined(__clang__)
  [[gnu::noinline]]
#endif
  bool drop_if_expired(shard& s, It it) {
    if (!expired(it->second, clock::now())) return false;
    s.unlink(&*it);
    s.map.erase(it);
    expired_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }

  // Second chance: from the front, unmark and pass over (to the back) marked entries; the first unmarked or
  // expired one is the victim. Ends within one turn of the ring (every entry is unmarked after it).
  entry* pick_victim(shard& s, clock::time_point now) noexcept {
    entry* e = s.hand;
    while (e->second.marked && !expired(e->second, now)) {
      e->second.marked = false;
      e = e->second.next;
    }
    s.hand = e;
    return e;
  }

  // Inserts an absent key at the back of the queue, evicting first if the shard is full. The victim's map
  // node is reused for the new entry when the key and value can be assigned (no free + malloc).
  template <class U>
  entry* insert_locked(shard& s, const K& key, U&& value, clock::time_point now) {
    if (s.map.size() >= s.cap) {
      entry* victim = pick_victim(s, now);
      (expired(victim->second, now) ? expired_ : evictions_).fetch_add(1, std::memory_order_relaxed);
      s.unlink(victim);
      auto handle = s.map.extract(victim->first);  // by key: one walk of the bucket (by iterator: two)
      if constexpr (std::is_copy_assignable_v<K> && std::is_assignable_v<V&, U&&>) {
        handle.key() = key;
        node& n = handle.mapped();
        n.value = std::forward<U>(value);
        n.stamp = now;
        n.marked = false;
        entry* e = &*s.map.insert(std::move(handle)).position;
        s.push_back(e);
        return e;
      }
    }
    auto [it, inserted] = s.map.try_emplace(key, std::forward<U>(value), now);
    s.push_back(&*it);
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
