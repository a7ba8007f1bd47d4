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

void key_refresher::refresh() {
  std::lock_guard lock(mu_);
  keys_ = {"key-" + std::to_string(++generation_)};
}
