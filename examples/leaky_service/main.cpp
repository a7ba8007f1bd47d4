// A rate-limited request handler with a background key refresher, written the way tether flags.
// See ../fixed_service for the same service on the tether runtime.
#include "batch.h"
#include "chargebacks.h"
#include "key_refresher.h"
#include "metrics.h"
#include "rate_limiter.h"
#include "webhooks.h"

#include <cstdio>
#include <string>

int main() {
  key_refresher keys(std::chrono::seconds(300));
  keys.start();
  rate_limiter limiter(/*per_second=*/5, /*burst=*/10);
  metrics stats;

  int allowed = 0;
  for (int i = 0; i < 200; ++i) {
    std::string ip = "10.0." + std::to_string(i % 7) + "." + std::to_string(i % 13);
    if (limiter.allow(ip))
      ++allowed;
    stats.record(1);
  }
  notify_subscribers({"https://hooks.example/a", "https://hooks.example/b"}, "batch-done");
  auto scores = score_all({1, 2, 3, 4});
  auto root = tether::with_cancel(tether::background());
  process_chargebacks(root.ctx, {{1, 1999}, {2, 25000}});
  std::printf("allowed %d requests, scored %zu accounts\n", allowed, scores.size());
  return 0; // the refresher and the webhook threads are still running: nobody can stop them
}
