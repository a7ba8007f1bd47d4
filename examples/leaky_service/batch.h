// Re-scores a batch of accounts in parallel.
#pragma once
#include <vector>

std::vector<int> score_all(const std::vector<int> &accounts);
