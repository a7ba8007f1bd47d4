// The three checks on the tether runtime's API compiled against the real headers
// (runtime/include/tether), not the mock: their matchers must fit the API as it is.
//
// RUN: %check_tidy -check-suffix=LOOP %s tether-spawn-in-loop %t -- -- -std=c++20 -I%tether_src/runtime/include
// RUN: %check_tidy -check-suffix=BG %s tether-background-context %t -- -- -std=c++20 -I%tether_src/runtime/include
// RUN: %check_tidy -check-suffix=NAME %s tether-component-name %t -- -- -std=c++20 -I%tether_src/runtime/include

#include <tether/context.h>
#include <tether/every.h>
#include <tether/safe_go.h>
#include <tether/task_group.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

struct event { int id; };
void deliver(const tether::context &ctx, const event &e);

void webhooks(const tether::context &ctx, const std::vector<event> &events) {
  for (const event &e : events)
    tether::safe_go(ctx, "webhook", tether::policy::keep_running, [e](const tether::context &c) { deliver(c, e); });
  // CHECK-MESSAGES-LOOP: :[[@LINE-1]]:5: warning: 'tether::safe_go' in a loop starts one task per iteration with no bound

  tether::task_group unlimited(ctx, "webhooks");
  for (const event &e : events)
    unlimited.spawn([e](const tether::context &c) { deliver(c, e); });
  // CHECK-MESSAGES-LOOP: :[[@LINE-1]]:15: warning: 'spawn' on a 'tether::task_group' without a limit

  tether::task_group limited(ctx, "webhooks", 16);
  for (const event &e : events) {
    limited.spawn([e](const tether::context &c) { deliver(c, e); });
    (void)limited.try_spawn([e](const tether::context &c) { deliver(c, e); });
  }
  for (std::size_t i = 0; i < tether::pool_threads(); ++i)
    tether::safe_go(ctx, "worker", tether::policy::keep_running, [] {});
  limited.wait();
  unlimited.wait();
}

void audit(const event &e) {
  tether::safe_go(tether::background(), "audit", tether::policy::keep_running, [] {});
  // CHECK-MESSAGES-BG: :[[@LINE-1]]:19: warning: 'tether::background()' passed to 'tether::safe_go' is never cancelled; derive from the caller's context
  tether::every(tether::context(), std::chrono::seconds(1), [] {});
  // CHECK-MESSAGES-BG: :[[@LINE-1]]:17: warning: default-constructed 'tether::context' passed to 'tether::every' is never cancelled
  tether::task_group group(tether::background(), "audit");
  // CHECK-MESSAGES-BG: :[[@LINE-1]]:28: warning: 'tether::background()' passed to 'tether::task_group' is never cancelled
  auto child = tether::with_cancel(tether::background());
  auto from_token = tether::with_stop_token(child.ctx, std::stop_token{});
  // CHECK-MESSAGES-BG: :[[@LINE-1]]:56: warning: default-constructed 'std::stop_token' passed to 'tether::with_stop_token' can never be stopped
}

void names(const tether::context &ctx, const std::string &tenant) {
  tether::safe_go(ctx, "", tether::policy::keep_running, [] {});
  // CHECK-MESSAGES-NAME: :[[@LINE-1]]:24: warning: empty component name: 'tether::safe_go' throws 'std::invalid_argument' for it
  tether::safe_go(ctx, "tenant-" + tenant, tether::policy::keep_running, [] {});
  // CHECK-MESSAGES-NAME: :[[@LINE-1]]:24: warning: component name of 'tether::safe_go' is computed at run time
  tether::task_group group(ctx);
  // CHECK-MESSAGES-NAME: :[[@LINE-1]]:22: warning: 'tether::task_group' constructed without a component
  tether::task_group named(ctx, "batch", 4);
  tether::safe_go(ctx, "key-refresher", tether::policy::keep_running, [] {});
}

int main() {
  auto root = tether::with_cancel(tether::background());
  webhooks(root.ctx, {});
  return 0;
}
