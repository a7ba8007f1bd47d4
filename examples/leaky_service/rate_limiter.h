// Per-client token buckets, keyed by the caller's IP address.
#pragma once
#include <chrono>
#include <mutex>
#include <string>
#include <unordered_map>

class rate_limiter {
public:
  rate_limiter(double per_second, double burst);
  bool allow(const std::string &client_ip);

private:
  struct bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  double per_second_;
  double burst_;
  std::mutex mu_;
  // One entry per IP ever seen, kept forever: anyone who can vary their source address grows it.
  std::unordered_map<std::string, bucket> buckets_;
};
