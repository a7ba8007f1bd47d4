// The same findings through the other delivery routes.
//
// 1. Stock clang-tidy-22 with the module loaded (--load=libTetherTidy.so):
// RUN: %clang_tidy_load %s --checks='-*,tether-raw-thread,tether-thread-detach' --quiet \
// RUN:   -- -std=c++20 2>&1 | FileCheck %s --check-prefix=TIDY --implicit-check-not=warning:
//
// 2. The compiler plugin. It forwards every diagnostic as it is emitted (clang-tidy's own
//    de-duplication of identical diagnostics does not apply), so this also shows that a site in a
//    template is reported once by the checks themselves, not once per instantiation.
// RUN: %clangxx -std=c++20 -fsyntax-only -fplugin=%tether_plugin \
// RUN:   -fplugin-arg-tether-checks=-*,tether-raw-thread,tether-thread-detach %s 2>&1 \
// RUN:   | env LC_ALL=C sort | FileCheck %s --check-prefix=PLUGIN --implicit-check-not=warning:
// (sorted, so that a duplicate would sit next to its original and be caught)

#include <thread>
#include <vector>

void work();

template <class F> void fire_and_forget(F f) {
  std::thread(f).detach();
  // TIDY: routes.cpp:[[@LINE-1]]:3: warning: raw thread creation with 'std::thread'; spawn through 'tether::safe_go' (owned, named, cancellable) or a 'tether::task_group' instead [tether-raw-thread]
  // TIDY: routes.cpp:[[@LINE-2]]:18: warning: 'detach()' makes this thread unowned: nothing can wait for it, cancel it or see it fail; keep it owned with 'tether::safe_go' or 'tether::task_group' [tether-thread-detach]
  // PLUGIN: routes.cpp:[[@LINE-3]]:18: warning: 'detach()' makes this thread unowned
  // PLUGIN: routes.cpp:[[@LINE-4]]:3: warning: raw thread creation with 'std::thread'; spawn
}

template <class F> void start_all(std::vector<std::thread> &pool, F f, int n) {
  for (int i = 0; i < n; ++i)
    pool.emplace_back(f);
  // TIDY: routes.cpp:[[@LINE-1]]:10: warning: raw thread creation with 'std::thread' via 'emplace_back'
  // PLUGIN: routes.cpp:[[@LINE-2]]:10: warning: raw thread creation with 'std::thread' via 'emplace_back'
}

void instantiate() {
  fire_and_forget(work);
  fire_and_forget([] {});
  fire_and_forget([] { work(); });
  std::vector<std::thread> pool;
  start_all(pool, work, 2);
  start_all(pool, [] {}, 2);
  start_all(pool, [] { work(); }, 2);
  for (auto &t : pool)
    t.join();
}
