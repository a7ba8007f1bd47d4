#include "service.h"

#include <cstdio>
#include <stdexcept>

namespace fixed {

service::service(const tether::context& root, config cfg)
    : scope_(tether::with_cancel(root)),
      cfg_(std::move(cfg)),
      limiters_(cfg_.max_clients, cfg_.client_idle_ttl),
      // Bounded fan-out: a few long-lived workers and a bounded queue; when it is full, webhooks are shed.
      webhooks_(scope_.ctx, "webhook-fanout",
                {.workers = cfg_.webhook_workers, .queue_capacity = cfg_.webhook_queue_capacity}) {}

service::~service() { stop(); }

void service::start() {
  refresh_signing_key();
  // Before: std::thread([] { while (true) { sleep(interval); refresh(); } }).detach();
  refresher_ = tether::safe_go(scope_.ctx, "key-refresher", tether::policy::keep_running,
                               [this](const tether::context& ctx) {
                                 tether::every(ctx, cfg_.key_refresh_interval, [this] { refresh_signing_key(); });
                               });
}

void service::refresh_signing_key() {
  std::lock_guard lk(key_m_);
  ++key_version_;  // stands in for fetching a new signing key
  stats_.key_refreshes.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t service::key_version() const {
  std::lock_guard lk(key_m_);
  return key_version_;
}

response service::handle(const request& r) {
  // The scrape endpoint: per-component task counts and the webhook queue's depth, capacity and rejections
  // (alert when tether_pool_queue_depth / tether_pool_queue_capacity stays above 0.8).
  if (r.path == "/metrics") return {200, tether::metrics::prometheus_text()};
  if (!accepting_.load(std::memory_order_acquire)) return {503, "shutting down"};
  // Before: limiters[r.client_ip] on an unordered_map that grows with every client ever seen.
  const bool allowed = limiters_.with(
      r.client_ip, [this] { return token_bucket(cfg_.rate_per_s, cfg_.burst); },
      [](token_bucket& b) { return b.allow(); });
  if (!allowed) {
    stats_.throttled.fetch_add(1, std::memory_order_relaxed);
    return {429, "slow down"};
  }
  const std::uint64_t seq = request_seq_.fetch_add(1, std::memory_order_relaxed);
  const std::string event = "request " + std::to_string(seq) + " " + r.path;
  // Before: for (auto& s : subscribers) std::thread(send_webhook, s, event).detach();
  for (const auto& subscriber : cfg_.webhook_subscribers) {
    const bool queued = webhooks_.try_submit(
        [this, subscriber, event, seq](const tether::context& ctx) { deliver_webhook(ctx, subscriber, seq, event); });
    if (!queued) log_shed(subscriber);  // load shedding, not a leak: the queue is full
  }
  stats_.served.fetch_add(1, std::memory_order_relaxed);
  return {200, "ok (key v" + std::to_string(key_version()) + ")"};
}

void service::log_shed(const std::string& subscriber) {
  // Drop when full, and say so - but not once per dropped webhook: the first, then every 100th.
  const std::size_t n = stats_.webhooks_shed.fetch_add(1, std::memory_order_relaxed) + 1;
  if (n == 1 || n % 100 == 0) {
    std::fprintf(stderr, "fixed_service: webhook queue full, dropped a webhook to %s (%zu dropped so far)\n",
                 subscriber.c_str(), n);
  }
}

void service::deliver_webhook(const tether::context& ctx, const std::string& subscriber, std::uint64_t seq,
                              const std::string& event) {
  try {
    // Simulated network call: interruptible, so shutdown does not wait for slow subscribers.
    if (!tether::sleep_for(ctx, std::chrono::milliseconds(2))) return;
    if (subscriber == "analytics" && seq % 10 == 3) throw std::runtime_error("analytics: HTTP 503 for " + event);
    stats_.webhooks_sent.fetch_add(1, std::memory_order_relaxed);
  } catch (const std::exception&) {
    stats_.webhooks_failed.fetch_add(1, std::memory_order_relaxed);  // a real service would log and retry
  }
}

batch_result service::process_batch(const std::vector<int>& items) {
  // Before: std::vector<std::thread> threads; threads.emplace_back(...) per item; join; exceptions terminate.
  batch_result result;
  std::atomic<std::size_t> processed{0};
  std::atomic<std::size_t> skipped{0};
  tether::task_group batch(scope_.ctx, "batch-import", cfg_.batch_parallelism);
  for (int item : items) {
    batch.spawn([item, &processed, &skipped](const tether::context& ctx) {
      if (ctx.cancelled()) {  // an earlier item failed (ctx.cause() says which): skip the rest
        skipped.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      if (item < 0) throw std::invalid_argument("item " + std::to_string(item) + " is negative");
      processed.fetch_add(1, std::memory_order_relaxed);
    });
  }
  try {
    batch.wait();
  } catch (const std::exception&) {
    for (const auto& ep : batch.errors()) {
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        result.errors.emplace_back(e.what());
      }
    }
  }
  result.processed = processed.load();
  result.skipped = skipped.load();
  // The first failure is the batch context's cause: what stopped the items that were skipped.
  if (const tether::cancel_cause cause = batch.ctx().cause()) result.stopped_by = cause.message();
  return result;
}

nlohmann::json service::health() const {
  return {
      {"tasks", tether::registry::snapshot_json()},
      {"live_tasks", tether::registry::live_count()},
      {"tracked_clients", limiters_.size()},
      {"evicted_clients", limiters_.eviction_count()},
  };
}

void service::stop_accepting() { accepting_.store(false, std::memory_order_release); }

void service::stop_webhooks(const tether::context& step) {
  // Drain what is queued until the step's deadline; then the pool cancels and drops the rest.
  const auto left = step.deadline() ? *step.deadline() - std::chrono::steady_clock::now()
                                    : std::chrono::steady_clock::duration(std::chrono::seconds(1));
  const auto r = webhooks_.shutdown(left);
  if (!r.clean()) {
    throw std::runtime_error(std::to_string(r.stragglers.size()) + " webhook(s) still running");
  }
}

void service::stop_refresher() {
  refresher_.cancel();
  if (refresher_.joinable()) refresher_.join();
}

void service::stop() {
  stop_accepting();
  scope_.cancel();
  webhooks_.shutdown(std::chrono::seconds(1), tether::shutdown_mode::cancel);
  stop_refresher();
}

}  // namespace fixed
