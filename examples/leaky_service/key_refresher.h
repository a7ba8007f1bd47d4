// Keeps the signing keys fresh by re-fetching them every few minutes in the background.
#pragma once
#include <chrono>
#include <mutex>
#include <string>
#include <vector>

class key_refresher {
public:
  explicit key_refresher(std::chrono::seconds interval) : interval_(interval) {}
  void start();
  std::vector<std::string> keys();

private:
  void refresh();
  std::chrono::seconds interval_;
  std::mutex mu_;
  std::vector<std::string> keys_;
  int generation_ = 0;
};
