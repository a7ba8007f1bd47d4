// tether-component-name: every task has a real, constant name.
//
// Design notes (performance): two matchers, on calls to safe_go and constructions of task_group (both
// by declaration name), plus the unevaluated-operand recorders. No parent map.
#include "ComponentNameCheck.h"
#include "utils/Expressions.h"
#include "utils/SpawnSites.h"
#include "utils/TetherApi.h"
#include "clang/AST/ASTContext.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"

using namespace clang::ast_matchers;

namespace clang::tidy::tether {

ComponentNameCheck::ComponentNameCheck(StringRef Name, ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      ComponentPattern(readRegexOption(*this, Options, "ComponentPattern", "")) {}

void ComponentNameCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "ComponentPattern", ComponentPattern.Text);
}

void ComponentNameCheck::onStartOfTranslationUnit() {
  Unevaluated.clear();
  Reported.clear();
}

void ComponentNameCheck::registerMatchers(MatchFinder *Finder) {
  UnevaluatedOperands::registerMatchers(Finder, this);
  auto NotSystem = unless(isExpansionInSystemHeader());
  Finder->addMatcher(callExpr(callee(functionDecl(hasName(api::SafeGo))), NotSystem).bind("go"), this);
  Finder->addMatcher(
      cxxConstructExpr(hasDeclaration(cxxConstructorDecl(ofClass(hasName(api::TaskGroup)))), NotSystem)
          .bind("group"),
      this);
}

void ComponentNameCheck::checkComponent(const Expr *Site, const Expr *Component, llvm::StringRef Api,
                                        const MatchFinder::MatchResult &Result) {
  const SourceManager &SM = *Result.SourceManager;
  SourceLocation Loc =
      userLocation(SM, Component ? Component->getBeginLoc() : Site->getBeginLoc());
  if (Reported.claimed(Loc) || Unevaluated.contains(Site, SM))
    return;
  if (!Component) {
    if (Reported.claim(Loc))
      diag(Loc, "'tether::task_group' constructed without a component: its tasks are registered "
                "under the default name '%0', shared by every such group; %1")
          << api::DefaultGroupComponent << api::ConstantNameAdvice << Site->getSourceRange();
    return;
  }
  StringValue V = evaluateString(Component, *Result.Context);
  if (V.K == StringValue::RunTime) {
    if (Reported.claim(Loc))
      diag(Loc, "component name of '%0' is computed at run time: every distinct value is a new "
                "metrics series and failures cannot be grouped by it; %1, and put the varying part "
                "in the task's own logs")
          << Api << api::ConstantNameAdvice << Component->getSourceRange();
    return;
  }
  for (const std::string &Text : V.Texts) {
    if (Text.empty()) {
      if (Reported.claim(Loc))
        diag(Loc, "empty component name: '%0' throws 'std::invalid_argument' for it; %1")
            << Api << api::ConstantNameAdvice << Component->getSourceRange();
      return;
    }
    if (ComponentPattern.Regex && !ComponentPattern.matches(Text)) {
      if (Reported.claim(Loc))
        diag(Loc, "component name '%0' does not match the naming pattern '%1' (ComponentPattern)")
            << Text << ComponentPattern.Text << Component->getSourceRange();
      return;
    }
  }
}

void ComponentNameCheck::check(const MatchFinder::MatchResult &Result) {
  if (Unevaluated.record(Result))
    return;
  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("go")) {
    std::optional<TetherSpawn> Spawn = classifyTetherSpawn(Call);
    if (Spawn && Spawn->Component)
      checkComponent(Call, Spawn->Component, "tether::safe_go", Result);
    return;
  }
  if (const auto *C = Result.Nodes.getNodeAs<CXXConstructExpr>("group")) {
    if (std::optional<GroupConstruction> G = readGroupConstruction(C))
      checkComponent(C, G->Component, "tether::task_group", Result);
  }
}

} // namespace clang::tidy::tether
