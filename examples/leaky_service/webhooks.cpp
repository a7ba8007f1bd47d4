#include "webhooks.h"

#include <chrono>
#include <thread>

namespace {
void post(const std::string &url, const std::string &body) {
  // Stands in for an HTTP POST that may take seconds, or hang.
  std::this_thread::sleep_for(std::chrono::milliseconds(url.size() + body.size()));
}
} // namespace

void notify_subscribers(const std::vector<std::string> &urls, const std::string &event) {
  // One fire-and-forget thread per subscriber per event: unbounded, unowned, failures unseen.
  for (const std::string &url : urls)
    std::thread(post, url, event).detach();
}
