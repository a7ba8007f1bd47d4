// Counts requests and flushes the count to the metrics backend once a second from a thread of its
// own; serve_admin() answers the backend's scrapes until the metrics object is closed.
#pragma once
#include <atomic>
#include <thread>

class metrics {
public:
  metrics();
  ~metrics();
  void record(int requests);
  void serve_admin();

private:
  void flush_loop();
  void flush();
  bool running_ = true; // the flusher's stop flag: a plain bool
  bool closed_ = false;
  std::atomic<int> pending_{0};
  int admin_fd_ = -1;
  std::thread flusher_;
};
