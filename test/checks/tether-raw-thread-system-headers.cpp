// RUN: %check_tidy %s tether-raw-thread %t -- -- -std=c++20 -isystem %tether_inputs/raw-thread-system

// Thread creation inside a third-party (system) header is not reported: the user cannot fix it,
// and it is reported nowhere else either. A macro from such a header that expands to a thread
// creation in user code is the user's: reported at the macro's use.

#include <vendor_pool.h>

void work();

void use_vendor() {
  vendor::run_in_background(work); // spawns inside the vendor header: not reported
  vendor::make_worker(work).join(); // likewise
  VENDOR_FIRE_AND_FORGET(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: raw thread creation with 'std::thread'; spawn
}
