#ifndef TETHER_CHECKS_COMPONENTNAMECHECK_H
#define TETHER_CHECKS_COMPONENTNAMECHECK_H

#include "clang-tidy/ClangTidyCheck.h"
#include "utils/Options.h"
#include "utils/ReportOnce.h"
#include "utils/Unevaluated.h"

namespace clang::tidy::tether {

/// Every task has a real, constant name: the component that `tether::safe_go` and `tether::task_group`
/// register tasks under, which the registry, panics (the error hook) and metrics group by.
///
/// Flags a component that is empty (the runtime throws std::invalid_argument), computed at run time (a
/// name built from a request or an id makes one metrics series per value and defeats grouping), a
/// `task_group` constructed without one (all such groups share the default name "task_group"), and,
/// with ComponentPattern set, a constant name the pattern does not match (searched: anchor it with
/// ^...$ to match whole names).
///
/// Constants are string literals (also through std::string_view/std::string and ""sv/""s), constexpr
/// and const variables initialized with one, a choice between constants, and other constant
/// expressions (whose text is not checked against the pattern). A site in a template is judged per
/// instantiation and reported once. No fix-it: only the author knows the name.
class ComponentNameCheck : public ClangTidyCheck {
public:
  ComponentNameCheck(StringRef Name, ClangTidyContext *Context);
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
  std::optional<TraversalKind> getCheckTraversalKind() const override { return TK_AsIs; }
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void onStartOfTranslationUnit() override;

private:
  void checkComponent(const Expr *Site, const Expr *Component, llvm::StringRef Api,
                      const ast_matchers::MatchFinder::MatchResult &Result);

  RegexOption ComponentPattern;
  UnevaluatedOperands Unevaluated;
  ReportOnce Reported;
};

} // namespace clang::tidy::tether

#endif
