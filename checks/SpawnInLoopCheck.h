#ifndef TETHER_CHECKS_SPAWNINLOOPCHECK_H
#define TETHER_CHECKS_SPAWNINLOOPCHECK_H

#include "clang-tidy/ClangTidyCheck.h"
#include "utils/ReportOnce.h"
#include "utils/SpawnSites.h"
#include "utils/Unevaluated.h"

namespace clang::tidy::tether {

/// Flags a spawn through the approved API that a loop repeats without a bound: `tether::safe_go` in a
/// loop, or `spawn` on a `tether::task_group` constructed without a limit. One task per iteration of
/// a loop over input (events, requests, rows) is one thread or queued task per item: 10,000 items,
/// 10,000 concurrent calls.
///
/// Not reported: `try_spawn` (it sheds load when the group is full); groups constructed with a limit
/// (spawn then blocks for a slot); groups whose construction is not visible (a parameter, a pointer);
/// loops that run a constant number of times, up to MaxConstantFanOut (default 64) for a whole loop
/// nest, or whose bound is hardware_concurrency() / tether::pool_threads(); a spawn followed in the
/// loop by an unconditional break/return/throw (it runs once per entry into the loop). Raw spawns
/// (std::thread & co) in loops are tether-raw-thread's. Lambdas and local classes are other functions:
/// a loop around a lambda that spawns does not repeat the spawn. A site in a template is judged per
/// instantiation and reported once.
class SpawnInLoopCheck : public ClangTidyCheck {
public:
  SpawnInLoopCheck(StringRef Name, ClangTidyContext *Context);
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
  std::optional<TraversalKind> getCheckTraversalKind() const override { return TK_AsIs; }
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void onStartOfTranslationUnit() override;

private:
  std::string MaxConstantFanOutRaw;
  unsigned MaxConstantFanOut;
  LoopIndex Loops;
  UnevaluatedOperands Unevaluated;
  ReportOnce Reported;
};

} // namespace clang::tidy::tether

#endif
