#include <thread>

void refresh_keys();

void start_refresher() {
  std::thread refresher(refresh_keys);
  refresher.detach();
}

void vetted() {
  std::thread t(refresh_keys); // NOLINT(tether-raw-thread): vetted in review
  t.join();
}
