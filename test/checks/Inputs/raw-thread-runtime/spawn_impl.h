// Stands in for the tether runtime's own implementation: the one place allowed to start threads
// (AllowedFileRegex in tether-raw-thread-options.cpp).
#ifndef TETHER_TEST_RAW_THREAD_RUNTIME_SPAWN_IMPL_H
#define TETHER_TEST_RAW_THREAD_RUNTIME_SPAWN_IMPL_H
#include <thread>
#include <utility>

namespace runtime_impl {
template <class F> std::thread start_worker(F f) {
  return std::thread(std::move(f));
}
} // namespace runtime_impl

#endif
