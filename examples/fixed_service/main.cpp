// A bounded simulated workload: a few hundred requests from a few clients, one batch with a bad item, then a
// graceful shutdown on SIGTERM (the example sends it to itself, as an orchestrator would) through a
// shutdown_manager. Exits 0 only if every shutdown step succeeded and no task was left running.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "service.h"

int main() {
  using namespace std::chrono_literals;
  // First, before any thread exists: SIGINT/SIGTERM are taken by the shutdown_manager's waiting task only.
  tether::shutdown_manager::block_signals({SIGINT, SIGTERM});
  auto root = tether::with_cancel(tether::background());

  fixed::config cfg;
  cfg.key_refresh_interval = 20ms;
  cfg.rate_per_s = 100;
  cfg.burst = 10;
  fixed::service svc(root.ctx, cfg);
  svc.start();

  // Stop steps in start order; they run in reverse: http, webhooks, key-refresher.
  tether::shutdown_manager sm;
  sm.add("key-refresher", [&] { svc.stop_refresher(); });
  sm.add("webhooks", [&](const tether::context& step) { svc.stop_webhooks(step); });
  sm.add("http", [&] { svc.stop_accepting(); });

  const char* clients[] = {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.99"};
  int ok = 0;
  int throttled = 0;
  for (int i = 0; i < 400; ++i) {
    // 10.0.0.99 is noisy: it sends every other request and gets throttled.
    const char* ip = (i % 2 == 0) ? clients[4] : clients[(i / 2) % 4];
    const auto resp = svc.handle({ip, "/api/items/" + std::to_string(i)});
    (resp.status == 200 ? ok : throttled)++;
    if (!tether::sleep_for(root.ctx, 500us)) break;
  }

  const auto good = svc.process_batch({1, 2, 3, 4, 5, 6, 7, 8});
  const auto bad = svc.process_batch({1, 2, -3, 4, 5, 6, 7, 8});
  std::printf("batch ok: %zu processed, %zu errors\n", good.processed, good.errors.size());
  std::printf("batch with bad item: %zu errors, first: %s; %zu skipped, stopped by: %s\n", bad.errors.size(),
              bad.errors.empty() ? "-" : bad.errors.front().c_str(), bad.skipped,
              bad.stopped_by.empty() ? "-" : bad.stopped_by.c_str());

  // What a Prometheus scrape of GET /metrics sees (a few of its lines).
  const auto metrics = svc.handle({"10.0.0.1", "/metrics"});
  const bool scraped = metrics.status == 200 &&
                       metrics.body.find("tether_tasks_started_total{component=\"webhook-fanout\"}") != std::string::npos &&
                       metrics.body.find("tether_pool_queue_capacity{component=\"webhook-fanout\"} 16") != std::string::npos;
  for (const char* family : {"tether_tasks_started_total{component=\"webhook-fanout\"}",
                             "tether_tasks_failed_total{component=\"batch-import\"}",
                             "tether_pool_rejected_total{component=\"webhook-fanout\"}"}) {
    const auto at = metrics.body.find(family);
    if (at != std::string::npos) std::printf("metrics: %s\n", metrics.body.substr(at, metrics.body.find('\n', at) - at).c_str());
  }

  const nlohmann::json health = svc.health();
  std::printf("health: %zu live task(s), %zu tracked client(s)\n", health["live_tasks"].get<std::size_t>(),
              health["tracked_clients"].get<std::size_t>());

  // Graceful shutdown: what `kill -TERM <pid>` from an orchestrator does; run_on_signal takes it.
  kill(getpid(), SIGTERM);
  const auto report = sm.run_on_signal(2s);
  root.cancel();
  const bool idle = report.ok();

  const auto& c = svc.counters();
  std::printf("requests: %d ok, %d throttled; webhooks: %zu sent, %zu failed, %zu shed; key refreshes: %zu\n", ok,
              throttled, c.webhooks_sent.load(), c.webhooks_failed.load(), c.webhooks_shed.load(),
              c.key_refreshes.load());
  std::printf("shutdown: %s\n", report.summary().c_str());
  if (!idle) std::printf("%s\n", tether::registry::snapshot_json().dump(2).c_str());
  const bool sane = ok > 0 && throttled > 0 && good.errors.empty() && !bad.errors.empty() && scraped &&
                    bad.stopped_by == bad.errors.front();
  return idle && sane ? 0 : 1;
}
