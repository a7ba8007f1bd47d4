#ifndef TETHER_CHECKS_THREADDETACHCHECK_H
#define TETHER_CHECKS_THREADDETACHCHECK_H

#include "utils/Threads.h"
#include "clang-tidy/ClangTidyCheck.h"
#include "llvm/ADT/APSInt.h"
#include "llvm/ADT/DenseSet.h"
#include <optional>

namespace clang::tidy::tether {

/// Flags detach() on thread types (objects, references, pointers, smart pointers, temporaries,
/// elements, derived classes), calls to detach functions (pthread_detach, thrd_detach) and
/// `pthread_attr_setdetachstate(attr, PTHREAD_CREATE_DETACHED)` (threads created with that
/// attribute start detached). Where the detached thread's callable is visible, adds notes on what
/// it may leave dangling (this, by-reference captures, std::ref arguments, addresses of locals).
///
/// C and C++: in C only the detach functions and the detached-state attribute exist to report.
class ThreadDetachCheck : public ClangTidyCheck {
public:
  ThreadDetachCheck(StringRef Name, ClangTidyContext *Context);
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override { return true; }
  void registerPPCallbacks(const SourceManager &SM, Preprocessor *PP,
                           Preprocessor *ModuleExpanderPP) override {
    this->PP = PP;
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
  /// Does \p State (the argument of pthread_attr_setdetachstate) select PTHREAD_CREATE_DETACHED?
  bool isDetachedState(const Expr *State, ASTContext &Ctx);
  /// The value of PTHREAD_CREATE_DETACHED in this translation unit (an enumerator or variable of
  /// that name, else a macro whose body is one integer literal); looked up once per TU.
  std::optional<llvm::APSInt> detachedStateValue(ASTContext &Ctx);

  std::string ThreadTypesRaw;
  std::string DetachFunctionsRaw;
  std::vector<std::string> ThreadTypeNames;
  std::vector<std::string> DetachFunctionNames;
  threads::ThreadTypeSet Types;
  ReportOnce Reported;
  threads::UnevaluatedOperands Unevaluated;
  Preprocessor *PP = nullptr;
  std::optional<std::optional<llvm::APSInt>> DetachedValue; // outer: looked up yet?
};

} // namespace clang::tidy::tether

#endif
