// A third-party (system) header: its own thread creation is not the user's to fix, but a macro it
// provides that expands to a thread creation in user code is reported at the use.
#pragma GCC system_header
#ifndef TETHER_TEST_VENDOR_POOL_H
#define TETHER_TEST_VENDOR_POOL_H
#include <thread>
#include <utility>

namespace vendor {
template <class F> void run_in_background(F f) { std::thread(std::move(f)).detach(); }
inline std::thread make_worker(void (*fn)()) { return std::thread(fn); }
} // namespace vendor

#define VENDOR_FIRE_AND_FORGET(fn) std::thread(fn).detach()

#endif
