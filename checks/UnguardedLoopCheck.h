#ifndef TETHER_CHECKS_UNGUARDEDLOOPCHECK_H
#define TETHER_CHECKS_UNGUARDEDLOOPCHECK_H

#include "clang-tidy/ClangTidyCheck.h"
#include "utils/Options.h"
#include "clang/ASTMatchers/ASTMatchersInternal.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSet.h"
#include <memory>
#include <string>

namespace clang::tidy::tether {

/// Flags unbounded loops (`for (;;)`, `while (true)`, `do {} while (1)`, a constexpr-true condition)
/// that have no way out and never look at cancellation: background loops that can only be stopped
/// by killing the process.
///
/// A loop is guarded by an exit that belongs to it (a `break` aimed at it, `return`, `throw` that
/// is not caught inside the loop, `co_return`, `co_yield`, a `goto` out of it, a call to a
/// `[[noreturn]]` function) or by a cancellation check in it (a configured check function, a read of
/// a `std::atomic<bool>` / `std::atomic_flag` / C `atomic_bool`, `pthread_testcancel()`, a call
/// receiving a `std::stop_token` or `tether::context`). With `StrictMode`, only a cancellation
/// check counts.
///
/// A condition counts as constantly true only if clang's evaluator decides it within a small step
/// budget (see CheapEvaluation.h): a `while (slow())` whose constexpr `slow()` needs more steps is
/// treated as an ordinary, non-constant condition.
///
/// Templates are judged as written (also when no translation unit instantiates them) unless the
/// verdict hinges on a template argument: a call that may be a cancellation check (an overload set
/// holding one, or a dependent member with the name of one), an argument whose type may be a token, a
/// flag of a dependent type read as a condition, a dependent loop condition. Those are judged by the
/// instantiations in the translation unit. Either way a loop is reported once. Pattern and
/// instantiations are told apart without looking at ancestors (no parent map): a pattern holds
/// dependent expressions, one whose verdict hinges on them is "undecided", and the other
/// occurrences share its keyword location.
class UnguardedLoopCheck : public ClangTidyCheck {
public:
  UnguardedLoopCheck(StringRef Name, ClangTidyContext *Context);
  ~UnguardedLoopCheck() override;
  /// C and C++. In C the cancellation checks are reads of an atomic bool (`atomic_load(&stop)`,
  /// `if (stop)` on an `atomic_bool`), `pthread_testcancel()` and the CancellationFunctions.
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override { return true; }
  std::optional<TraversalKind> getCheckTraversalKind() const override { return TK_AsIs; }
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void onStartOfTranslationUnit() override;
  void onEndOfTranslationUnit() override;

  /// What the body walk found out about one loop.
  struct LoopFacts {
    bool HasExit = false;         ///< A way out that belongs to the loop.
    bool HasCancellation = false; ///< A cancellation check.
    bool Dependent = false;       ///< Something that may be either, depending on template args.
    bool Pattern = false;         ///< Dependent expressions seen: a template as written.
    llvm::SmallVector<SourceLocation, 2> Sleeps;
  };

  /// Per-callee and per-type classification results, cached for the translation unit.
  enum CalleeFlags : unsigned {
    CF_None = 0,
    CF_NoReturn = 1,
    CF_Cancellation = 2,
    CF_Sleep = 4,
    CF_AtomicRead = 8,     ///< A reading member of std::atomic<bool>/atomic_flag (object checked).
    CF_AtomicReadFree = 16 ///< std::atomic_load & co (first argument checked).
  };
  unsigned classifyCallee(const FunctionDecl *FD);
  bool isCancellationType(QualType T);
  bool isAtomicBoolLike(QualType T);
  /// Could a call of a member or function named \p Name, on a type that depends on template
  /// arguments, be a cancellation check? The last name component of a check or wait function
  /// (built in or CancellationFunctions) or of an atomic read (`load`, `test`, ...).
  bool mayBeCancellationName(llvm::StringRef Name) const;

private:
  enum class Verdict { Bounded, Guarded, Unguarded, Undecided };
  struct Finding {
    SourceLocation Keyword;
    bool Strict = false; ///< StrictMode finding: the loop has exits but no cancellation check.
    bool Pattern = false; ///< Judged as written in a template (it holds dependent expressions).
    llvm::SmallVector<SourceLocation, 2> Sleeps;
  };
  /// Every occurrence of one loop: the loop as written and, in a template, each instantiation
  /// (they share the keyword location).
  struct LoopRecord {
    bool AnyGuarded = false;
    bool AnyUndecided = false; ///< Seen as a template pattern whose verdict depends on arguments.
    std::optional<Finding> Unguarded; ///< The first unguarded occurrence.
  };

  Verdict judge(const Stmt *Loop, ASTContext &Ctx, Finding &Out);
  void emit(const Finding &F, const SourceManager &SM);

  // Options.
  std::string StrictModeValue;
  bool StrictMode = false;
  std::string CancellationFunctions;
  std::string SleepFunctions;
  NameList CancellationNames;
  NameList SleepNames;
  NameList CancellationTypeNames;
  llvm::StringSet<> CancellationLastNames; ///< For mayBeCancellationName.

  // Per translation unit.
  llvm::DenseMap<const FunctionDecl *, unsigned> CalleeCache;
  llvm::DenseMap<const Type *, bool> CancellationTypeCache;
  llvm::DenseMap<const Type *, bool> AtomicTypeCache;
  llvm::MapVector<unsigned, LoopRecord> Loops; ///< Keyed by the raw keyword location.
  const SourceManager *SM = nullptr;
};

} // namespace clang::tidy::tether

#endif
