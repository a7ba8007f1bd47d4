#include "key_refresher.h"

#include <thread>

void key_refresher::start() {
  // The Go original was `go func() { for { refresh(); time.Sleep(interval) } }()`: nothing owns it,
  // nothing can stop it, and here it outlives the key_refresher it points to.
  std::thread([this] {
    while (true) {
      refresh();
      std::this_thread::sleep_for(interval_);
    }
  }).detach();
}

std::vector<std::string> key_refresher::keys() {
  std::lock_guard lock(mu_);
  return keys_;
}

// Stands in for the HTTPS call to the key server: slow, and it may throw.
static std::vector<std::string> fetch_keys(int generation) {
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return {"key-" + std::to_string(generation)};
}

void key_refresher::refresh() {
  // Locked by hand around a network call: every keys() caller waits for the key server, and a throw
  // from fetch_keys leaves mu_ locked for good.
  mu_.lock();
  keys_ = fetch_keys(++generation_);
  mu_.unlock();
}
