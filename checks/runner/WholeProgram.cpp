#include "WholeProgram.h"
#include "Worker.h"

#include "llvm/Support/MemoryBuffer.h"

#include <map>

namespace tether::runner {

namespace tf = tether::facts;

tf::TUFacts mergeFacts(const std::vector<TUResult> &Results) {
  tf::TUFacts Program;
  for (const TUResult &R : Results)
    tf::merge(Program, R.Facts);
  return Program;
}

std::vector<Finding> wholeProgramFindings(const tf::TUFacts &Program) {
  std::vector<Finding> Out;
  // One read per file that holds a finding (for the fingerprint's tokens).
  std::map<std::string, std::string> Texts; // NOLINT(tether-unbounded-container): one run's files
  for (const tf::Verdict &V : tf::judge(Program)) {
    const tf::Container &C = *V.C;
    Finding F;
    F.Check = UnboundedContainerCheck;
    F.Level = C.Error ? "error" : "warning";
    F.Main = {C.File, C.Offset, C.Line, C.Column, tf::verdictMessage(V)};
    unsigned Shown = 0;
    for (const tf::Site *S : V.Growth) {
      if (Shown++ == tf::MaxGrowthNotes) {
        F.Notes.push_back({S->File, 0, S->Line, S->Column,
                           "and " + std::to_string(V.Growth.size() - tf::MaxGrowthNotes) + " more growth sites"});
        break;
      }
      F.Notes.push_back({S->File, 0, S->Line, S->Column, "grows here"});
    }
    F.Scope = C.Scope;
    auto [It, Inserted] = Texts.try_emplace(C.File);
    if (Inserted)
      if (auto Buffer = llvm::MemoryBuffer::getFile(C.File, /*IsText=*/false, /*RequiresNullTerminator=*/false))
        It->second = (*Buffer)->getBuffer().str();
    F.Tokens = tokensAt(It->second, C.Offset);
    Out.push_back(std::move(F));
  }
  return Out;
}

} // namespace tether::runner
