#ifndef TETHER_CHECKS_THREADDETACHCHECK_H
#define TETHER_CHECKS_THREADDETACHCHECK_H

#include "utils/Threads.h"
#include "clang-tidy/ClangTidyCheck.h"
#include "llvm/ADT/DenseSet.h"

namespace clang::tidy::tether {

/// Flags detach() on thread types (objects, references, pointers, smart pointers, temporaries,
/// elements, derived classes) and calls to detach functions (pthread_detach). Where the detached
/// thread's callable is visible, adds notes on what it may leave dangling (this, by-reference
/// captures, std::ref arguments, addresses of locals).
class ThreadDetachCheck : public ClangTidyCheck {
public:
  ThreadDetachCheck(StringRef Name, ClangTidyContext *Context);
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void onStartOfTranslationUnit() override;
  std::optional<TraversalKind> getCheckTraversalKind() const override {
    return TK_AsIs;
  }

private:
  void addDanglingNotes(const CXXMemberCallExpr *Call, const SourceManager &SM);
  void noteCallable(const Expr *Callable, const SourceManager &SM);
  void noteArgument(const Expr *Arg, const SourceManager &SM);

  std::vector<std::string> ThreadTypeNames;
  std::vector<std::string> DetachFunctionNames;
  threads::ThreadTypeSet Types;
  llvm::DenseSet<SourceLocation> Reported;
  threads::UnevaluatedOperands Unevaluated;
};

} // namespace clang::tidy::tether

#endif
