// Parking: threads waiting for a group sleep in a bucket keyed by the group's address. Waking needs only
// the address, so a completing task can wake the owner of a group that may already be gone. See parking.h
// for the thread-safety and ordering rules.
#include "parking.h"

#include <cstdio>
#include <cstdlib>
#include <new>

namespace tether::detail {

namespace {

std::array<park_bucket, kParkBuckets>*& park_buckets() {
  static auto* buckets = new std::array<park_bucket, kParkBuckets>;  // immortal (replaced in a forked child)
  return buckets;
}

}  // namespace

park_bucket& bucket_for(const void* key) {
  return (*park_buckets())[bucket_index(key)];
}

void unpark_all(const void* key) noexcept {
  park_bucket& b = bucket_for(key);
  { std::lock_guard lk(b.m); }  // a parker is either before its check (and sees the change) or waiting
  b.cv.notify_all();
}

void parking_atfork(fork_phase phase) noexcept {
  if (phase == fork_phase::prepare) {
    (void)park_buckets();
    return;
  }
  if (phase != fork_phase::child) return;
  // The threads counted as parked were the parent's (the epochs may stay: they are only compared for change).
  for (auto& c : park_counts) c.parked.store(0, std::memory_order_relaxed);
  replace_in_child(park_buckets());
}

}  // namespace tether::detail
