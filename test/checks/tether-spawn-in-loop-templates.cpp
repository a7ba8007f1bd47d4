// RUN: %check_tidy %s tether-spawn-in-loop %t
// clang-tidy drops identical diagnostics, the compiler plugin forwards each one: count them there.
// RUN: %clangxx -fsyntax-only -std=c++20 -I%tether_inputs -fplugin=%tether_plugin \
// RUN:   '-fplugin-arg-tether-checks=-*,tether-spawn-in-loop' %s 2>&1 \
// RUN:   | grep -c 'warning: ' | FileCheck %s --check-prefix=ONCE
// ONCE: {{^}}3{{$}}

// Templates (as tether-raw-thread): a spawn with dependent arguments is unresolved in the template as
// written (an overload set holding tether::safe_go; `spawn` on a task_group member); it is judged as
// written, also where nothing instantiates the template, and reported once with the instantiations.

#include <vector>
#include "unguarded-loop/tether_mock.h"

template <class Request> class server {
public:
  explicit server(const tether::context &ctx) : m_ctx(ctx), m_group(ctx, "server") {}
  void serve_all(const std::vector<Request> &requests) {
    for (const Request &r : requests)
      tether::safe_go(m_ctx, "handler", tether::policy::keep_running, [this, r] { handle(r); });
      // CHECK-NOTES: :[[@LINE-1]]:7: warning: 'tether::safe_go' in a loop starts one task per iteration with no bound; use a 'tether::task_group' with a limit, or a worker pool with a bounded queue
      // CHECK-NOTES: :[[@LINE-3]]:5: note: repeated by this loop, whose trip count is neither a constant nor bounded by the number of cores
  }
  void serve_grouped(const std::vector<Request> &requests) {
    for (const Request &r : requests)
      m_group.spawn([this, r] { handle(r); });
      // CHECK-NOTES: :[[@LINE-1]]:15: warning: 'spawn' on a 'tether::task_group' without a limit starts one task per iteration with no bound; give the group a limit, or use a worker pool with a bounded queue
      // CHECK-NOTES: :[[@LINE-3]]:5: note: repeated by this loop, whose trip count is neither a constant nor bounded by the number of cores
      // CHECK-NOTES: :[[@LINE-12]]:61: note: the group is constructed here without a limit
  }
  void serve_bounded(const std::vector<Request> &requests) {
    for (const Request &r : requests)
      m_bounded.spawn([this, r] { handle(r); });
  }
  void serve_shedding(const std::vector<Request> &requests) {
    for (const Request &r : requests)
      m_group.try_spawn([this, r] { handle(r); });
  }
  void serve_once(const Request &r) {
    tether::safe_go(m_ctx, "handler", tether::policy::keep_running, [this, r] { handle(r); });
  }
  void handle(const Request &);

private:
  tether::context m_ctx;
  tether::task_group m_group;
  tether::task_group m_bounded{m_ctx, "bounded", 8};
};

// Instantiated twice: once.
template <class T> void fan_out(const tether::context &ctx, const std::vector<T> &items) {
  for (const T &item : items)
    tether::safe_go(ctx, "fan-out", tether::policy::keep_running, [item] { (void)item; });
    // CHECK-NOTES: :[[@LINE-1]]:5: warning: 'tether::safe_go' in a loop starts one task per iteration with no bound; use a 'tether::task_group' with a limit, or a worker pool with a bounded queue
    // CHECK-NOTES: :[[@LINE-3]]:3: note: repeated by this loop, whose trip count is neither a constant nor bounded by the number of cores
}
void use(const tether::context &ctx) {
  fan_out(ctx, std::vector<int>{});
  fan_out(ctx, std::vector<char>{});
}

// The group's type is a parameter: its limit is not known here.
template <class Group, class T> void into(Group &g, const std::vector<T> &items) {
  for (const T &item : items)
    g.spawn([item] { (void)item; });
}
