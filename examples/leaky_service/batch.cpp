#include "batch.h"

#include <future>
#include <stdexcept>
#include <thread>

namespace {
int score(int account) {
  if (account < 0)
    throw std::invalid_argument("negative account id"); // escapes a std::thread: std::terminate
  return account * 7 % 100;
}
} // namespace

std::vector<int> score_all(const std::vector<int> &accounts) {
  std::vector<int> scores(accounts.size());
  std::vector<std::thread> workers;
  for (size_t i = 0; i < accounts.size(); ++i)
    workers.emplace_back([&, i] { scores[i] = score(accounts[i]); });
  for (std::thread &w : workers)
    w.join();
  // Audit logging "in the background": an untracked thread, and the future's destructor blocks.
  auto audit = std::async(std::launch::async, [n = scores.size()] { return n; });
  return scores;
}
