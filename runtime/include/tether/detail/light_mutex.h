// Internal: a 4-byte mutex for short critical sections (bounded_map's shards).
#pragma once

#include <atomic>
#include <cstdint>

namespace tether::detail {

// The classic three-state futex mutex (Drepper, "Futexes Are Tricky", mutex 3) - the algorithm glibc's default
// pthread mutex uses internally - without pthread_mutex_lock's generic entry (type dispatch, owner and count
// bookkeeping): the uncontended lock is one compare-exchange, the unlock one exchange. Contended lockers
// sleep in std::atomic::wait (a futex on Linux). Not recursive, not fair (neither is std::mutex).
class light_mutex {
 public:
  light_mutex() noexcept = default;
  light_mutex(const light_mutex&) = delete;
  light_mutex& operator=(const light_mutex&) = delete;

  void lock() noexcept {
    std::uint32_t c = kFree;
    if (state_.compare_exchange_strong(c, kLocked, std::memory_order_acquire, std::memory_order_relaxed)) return;
    lock_contended(c);
  }

  bool try_lock() noexcept {
    std::uint32_t c = kFree;
    return state_.compare_exchange_strong(c, kLocked, std::memory_order_acquire, std::memory_order_relaxed);
  }

  void unlock() noexcept {
    if (state_.exchange(kFree, std::memory_order_release) == kWaiters) state_.notify_one();
  }

 private:
  static constexpr std::uint32_t kFree = 0;
  static constexpr std::uint32_t kLocked = 1;
  static constexpr std::uint32_t kWaiters = 2;  // locked, and someone may be asleep waiting for it

  void lock_contended(std::uint32_t c) noexcept {
    // Critical sections are short: look a few times before announcing a waiter (which makes unlock wake).
    for (int i = 0; i < 32 && c == kLocked; ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      c = state_.load(std::memory_order_relaxed);
      if (c == kFree) {
        if (state_.compare_exchange_weak(c, kLocked, std::memory_order_acquire, std::memory_order_relaxed)) return;
      }
    }
    if (c != kWaiters) c = state_.exchange(kWaiters, std::memory_order_acquire);
    while (c != kFree) {
      state_.wait(kWaiters, std::memory_order_relaxed);
      c = state_.exchange(kWaiters, std::memory_order_acquire);
    }
  }

  std::atomic<std::uint32_t> state_{kFree};
};

}  // namespace tether::detail
