// Job memory: where a task_group job (links, registry fields and the task's body) lives. See job_memory.h.
#include "job_memory.h"

#include <tether/task_group.h>

#include <bit>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <utility>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TETHER_POOL_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(TETHER_POOL_ASAN)
#define TETHER_POOL_ASAN 1
#endif
#ifdef TETHER_POOL_ASAN
#include <sanitizer/asan_interface.h>
#endif

namespace tether::detail {

namespace {

constexpr std::size_t kBlock = 128;
constexpr std::size_t kBatch = 64;
enum : std::uint8_t { alloc_block = 0, alloc_new = 1, alloc_aligned = 2 };  // alloc_aligned + log2(alignment)

struct free_block {
  free_block* next;        // next block of the same batch / thread list
  free_block* next_batch;  // next batch in the depot
};

void poison(free_block* b) noexcept {
#ifdef TETHER_POOL_ASAN
  ASAN_POISON_MEMORY_REGION(reinterpret_cast<char*>(b) + sizeof(free_block), kBlock - sizeof(free_block));
#else
  (void)b;
#endif
}

void unpoison(void* p) noexcept {
#ifdef TETHER_POOL_ASAN
  ASAN_UNPOISON_MEMORY_REGION(p, kBlock);
#else
  (void)p;
#endif
}

struct depot_state {
  std::mutex m;
  free_block* batches = nullptr;
  std::size_t count = 0;
};

depot_state*& depot_ptr() {
  static auto* d = new depot_state;  // immortal: threads flush their caches until the very end
  return d;                          // (replaced in a forked child: pool_atfork)
}

depot_state& depot() { return *depot_ptr(); }

void free_list(free_block* b) noexcept {
  while (b != nullptr) {
    free_block* next = b->next;
    unpoison(b);
    std::free(b);
    b = next;
  }
}

// The depot keeps everything a burst frees (at most what the burst had in flight), so the next burst does not
// go to malloc; the monitor trims it back to kDepotKeep batches once the pool has been idle for kTrimAfter.
void depot_put(free_block* batch) noexcept {
  auto& d = depot();
  std::lock_guard lk(d.m);
  batch->next_batch = d.batches;
  d.batches = batch;
  ++d.count;
}

free_block* depot_take() noexcept {
  auto& d = depot();
  std::lock_guard lk(d.m);
  free_block* b = d.batches;
  if (b != nullptr) {
    d.batches = b->next_batch;
    --d.count;
  }
  return b;
}

// Trivially destructible, so it stays usable for the thread's whole life; cache_flusher empties it at exit.
struct job_cache {
  free_block* head;   // fewer than kBatch blocks
  std::size_t count;  // blocks in head
  free_block* spare;  // a full batch, or null
  bool dead;          // the thread is exiting: plain malloc/free from now on
  bool armed;         // cache_flusher constructed
};
thread_local constinit job_cache tl_cache{};

struct cache_flusher {
  cache_flusher() = default;
  cache_flusher(const cache_flusher&) = delete;
  cache_flusher& operator=(const cache_flusher&) = delete;
  ~cache_flusher() {
    job_cache& c = tl_cache;
    c.dead = true;
    if (c.spare != nullptr) depot_put(c.spare);
    free_list(c.head);
    c.head = c.spare = nullptr;
    c.count = 0;
  }
};
thread_local cache_flusher tl_flusher;

void arm(job_cache& c) noexcept {
  if (!c.armed) {
    c.armed = true;
    [[maybe_unused]] volatile const void* p = &tl_flusher;  // constructs it: its destructor flushes at exit
  }
}

}  // namespace

void depot_trim(std::size_t keep) noexcept {
  free_block* drop = nullptr;
  {
    auto& d = depot();
    std::lock_guard lk(d.m);
    while (d.count > keep) {
      free_block* b = d.batches;
      d.batches = b->next_batch;
      --d.count;
      b->next_batch = drop;
      drop = b;
    }
  }
  while (drop != nullptr) {
    free_block* next = drop->next_batch;
    free_list(drop);
    drop = next;
  }
}

void* job_alloc(std::size_t size, std::size_t align, std::uint8_t& kind) {
  if (size <= kBlock && align <= alignof(std::max_align_t)) {
    kind = alloc_block;
    job_cache& c = tl_cache;
    if (!c.dead) {
      if (c.head == nullptr) {
        arm(c);
        if (c.spare != nullptr) {
          c.head = std::exchange(c.spare, nullptr);
        } else {
          c.head = depot_take();
        }
        c.count = c.head != nullptr ? kBatch : 0;
      }
      if (free_block* b = c.head) {
        c.head = b->next;
        --c.count;
        // A recycled block was usually last written by another core (the one that ran its task): fetch the
        // next one now, so the next spawn does not wait for it.
        if (c.head != nullptr) __builtin_prefetch(c.head, 1);
        unpoison(b);
        return b;
      }
    }
    if (void* p = std::malloc(kBlock)) return p;
    throw std::bad_alloc();
  }
  if (align <= __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
    kind = alloc_new;
    return ::operator new(size);
  }
  kind = static_cast<std::uint8_t>(alloc_aligned + std::countr_zero(align));
  return ::operator new(size, std::align_val_t(align));
}

void job_dealloc(void* p, std::uint8_t kind) noexcept {
  if (kind == alloc_block) {
    job_cache& c = tl_cache;
    if (c.dead) {
      std::free(p);
      return;
    }
    arm(c);
    auto* b = static_cast<free_block*>(p);
    b->next = c.head;
    poison(b);
    c.head = b;
    if (++c.count == kBatch) {
      if (c.spare == nullptr) {
        c.spare = c.head;
      } else {
        depot_put(c.head);
      }
      c.head = nullptr;
      c.count = 0;
    }
  } else if (kind == alloc_new) {
    ::operator delete(p);
  } else {
    ::operator delete(p, std::align_val_t(std::size_t{1} << (kind - alloc_aligned)));
  }
}

void job_memory_atfork(fork_phase phase) noexcept {
  if (phase == fork_phase::prepare) {
    (void)depot_ptr();  // a lazily built static must not be half-built in the child
    return;
  }
  if (phase != fork_phase::child) return;
  replace_in_child(depot_ptr());  // the old depot's mutex may be held by a thread that is gone
}

}  // namespace tether::detail
