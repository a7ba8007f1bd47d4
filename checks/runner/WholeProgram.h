// The whole-program judgement of tether-unbounded-container inside `tether check`: the merged
// facts of every TU (facts/Facts.h) judged once, as findings of that check.
#ifndef TETHER_RUNNER_WHOLEPROGRAM_H
#define TETHER_RUNNER_WHOLEPROGRAM_H

#include "Result.h"

#include <vector>

namespace tether::runner {

inline constexpr const char *UnboundedContainerCheck = "tether-unbounded-container";

// Merges the facts of every result that has some (failed TUs contribute what they saw).
tether::facts::TUFacts mergeFacts(const std::vector<TUResult> &Results);

// The judged findings, with notes at the first growth sites and fingerprint inputs (the scope is
// the container's qualified name, the tokens those of its declaration).
std::vector<Finding> wholeProgramFindings(const tether::facts::TUFacts &Program);

} // namespace tether::runner

#endif
