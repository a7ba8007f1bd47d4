#ifndef TETHER_CHECKS_BACKGROUNDCONTEXTCHECK_H
#define TETHER_CHECKS_BACKGROUNDCONTEXTCHECK_H

#include "clang-tidy/ClangTidyCheck.h"
#include "utils/Options.h"
#include "utils/ReportOnce.h"
#include "utils/Unevaluated.h"
#include "llvm/ADT/DenseMap.h"
#include <vector>

namespace clang::tidy::tether {

/// Flags a context or token that nothing can ever cancel, handed to code that runs work:
/// `tether::background()` or a default-constructed `tether::context` passed to a spawn (`safe_go`,
/// `task_group`, `every`) or to any other parameter of type `tether::context`, and a default-constructed
/// `std::stop_token` passed where a token is expected. Also through a local variable initialized so
/// and never modified.
///
/// Not reported: code written inside a root function (RootFunctions, default `main`: the one place a
/// program starts its tree, lambdas there included) and files of test code (TestFileRegex); deriving
/// a child (`with_cancel`, `with_timeout`, `with_deadline`, `with_stop_token`), which is cancellable
/// by its own cancel function, deadline or token; copying, assigning or comparing a context or token
/// (that is storage, not use). A site in a template is judged per instantiation and reported once.
class BackgroundContextCheck : public ClangTidyCheck {
public:
  BackgroundContextCheck(StringRef Name, ClangTidyContext *Context);
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
  std::optional<TraversalKind> getCheckTraversalKind() const override { return TK_AsIs; }
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void onStartOfTranslationUnit() override;

private:
  void checkArguments(const Expr *Call, const FunctionDecl *Callee,
                      llvm::ArrayRef<const Expr *> Args, unsigned ParamOffset,
                      const ast_matchers::MatchFinder::MatchResult &Result);
  bool inRootFunction(SourceLocation Loc, const SourceManager &SM) const;
  bool inTestFile(SourceLocation UserLoc, const SourceManager &SM);

  std::string RootFunctionsRaw;
  NameList RootFunctions;
  RegexOption TestFileRegex;

  /// Bodies of the root functions seen so far, as expansion-location offsets.
  struct Range {
    FileID File;
    unsigned Begin, End;
  };
  std::vector<Range> RootBodies;
  llvm::DenseMap<FileID, bool> TestFiles;
  UnevaluatedOperands Unevaluated;
  ReportOnce Reported;
};

} // namespace clang::tidy::tether

#endif
