// fixed_service: the rate-limited request handler of examples/leaky_service, written with tether.
//
//   leaky_service                                   fixed_service
//   std::thread(refresher).detach() +               safe_go(root, "key-refresher", ...) running
//     while (true) { sleep(); refresh(); }            tether::every(ctx, interval, refresh)
//   std::unordered_map<ip, limiter> (only grows)    tether::bounded_map<ip, token_bucket> (LRU + TTL)
//   std::thread(send_webhook).detach() per request  webhooks_.try_submit(...) on a bounded worker_pool
//   threads.emplace_back(...) batch, errors lost    task_group per batch; wait() rethrows, errors() lists
//   no shutdown                                     shutdown_manager on SIGTERM: http, webhooks, refresher
//   no idea what runs                               GET /metrics: tether::metrics::prometheus_text()
#pragma once

#include <tether/tether.h>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "token_bucket.h"

namespace fixed {

struct config {
  std::chrono::milliseconds key_refresh_interval{50};
  double rate_per_s = 200;  // per client
  double burst = 20;
  std::size_t max_clients = 1024;                   // limiter map capacity
  std::chrono::minutes client_idle_ttl{10};         // forget quiet clients
  std::size_t webhook_workers = 4;
  std::size_t webhook_queue_capacity = 16;        // beyond that, webhooks are shed (counted)
  std::vector<std::string> webhook_subscribers{"audit", "billing", "analytics"};
  std::size_t batch_parallelism = 4;
};

struct request {
  std::string client_ip;
  std::string path;
};

struct response {
  int status = 200;
  std::string body;
};

struct batch_result {
  std::size_t processed = 0;
  std::vector<std::string> errors;  // one entry per failed item
  std::size_t skipped = 0;          // items not processed because an earlier one failed
  std::string stopped_by;           // why the batch was cancelled (its context's cause), if it was
};

struct stats {
  std::atomic<std::size_t> served{0};
  std::atomic<std::size_t> throttled{0};
  std::atomic<std::size_t> webhooks_sent{0};
  std::atomic<std::size_t> webhooks_failed{0};
  std::atomic<std::size_t> webhooks_shed{0};
  std::atomic<std::size_t> key_refreshes{0};
};

class service {
 public:
  service(const tether::context& root, config cfg);
  ~service();  // stop()s

  void start();
  // GET /metrics answers with the runtime's Prometheus metrics; any other path is a rate-limited request.
  response handle(const request& r);
  batch_result process_batch(const std::vector<int>& items);
  nlohmann::json health() const;
  // The shutdown steps, in the order main() registers them with its shutdown_manager (which runs them in
  // reverse): the key refresher, the webhook pool (drains until the step's deadline), and "http" (new
  // requests get 503).
  void stop_refresher();
  void stop_webhooks(const tether::context& step);
  void stop_accepting();
  // All three (1 s for the webhooks): cancels the service's tasks and waits for them.
  void stop();

  const stats& counters() const { return stats_; }
  std::size_t tracked_clients() const { return limiters_.size(); }
  std::uint64_t key_version() const;

 private:
  void refresh_signing_key();
  void deliver_webhook(const tether::context& ctx, const std::string& subscriber, std::uint64_t seq,
                       const std::string& event);
  void log_shed(const std::string& subscriber);

  tether::cancelable scope_;  // child of root: stop() cancels it even if root lives on
  config cfg_;
  stats stats_;
  mutable std::mutex key_m_;
  std::uint64_t key_version_ = 0;
  tether::bounded_map<std::string, token_bucket> limiters_;
  tether::worker_pool webhooks_;
  std::atomic<bool> accepting_{true};
  tether::task refresher_;
  std::atomic<std::uint64_t> request_seq_{0};
};

}  // namespace fixed
