#ifndef TETHER_CHECKS_MANUALLOCKCHECK_H
#define TETHER_CHECKS_MANUALLOCKCHECK_H

#include "clang-tidy/ClangTidyCheck.h"
#include "utils/Locks.h"
#include "utils/ReportOnce.h"
#include "utils/Unevaluated.h"
#include "llvm/ADT/DenseMap.h"
#include <vector>

namespace clang::tidy::tether {

/// Flags locking and unlocking a mutex by hand: lock(), unlock(), lock_shared(), unlock_shared() and
/// the try_lock forms called on a mutex type (MutexTypes, or a class derived from one), and the C
/// functions in LockFunctions (pthread_mutex_lock/unlock). An early return or an exception between
/// lock() and unlock() leaves the mutex locked forever (C++ Core Guidelines CP.20; Go's "defer
/// mu.Unlock() right after Lock()").
///
/// Not reported: calls inside a class's own lock()/unlock()/try_lock*()/lock_shared()/unlock_shared()
/// members, names compared without case and underscores (a BasicLockable wrapper forwarding to its
/// mutex, also `Lock()`/`TryLock()`), and inside constructors and destructors (a hand-written RAII
/// guard); unique_lock's and shared_lock's own
/// lock()/unlock() (the RAII object still owns the lock); unevaluated operands. Templates are judged
/// per instantiation and reported once; macros where they are used.
///
/// Fix-it for the trivial shape only: `m.lock();` and `m.unlock();` as the first and last statements
/// of one block, with no return, break, continue, goto, throw or co_return between them and no local
/// with a destructor declared between them: the pair becomes `std::lock_guard lk(m);`.
class ManualLockCheck : public ClangTidyCheck {
public:
  ManualLockCheck(StringRef Name, ClangTidyContext *Context);
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
  std::optional<TraversalKind> getCheckTraversalKind() const override { return TK_AsIs; }
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void onStartOfTranslationUnit() override;

private:
  void recordWrapper(const FunctionDecl &FD, const SourceManager &SM);
  bool inWrapper(const Stmt &S, const SourceManager &SM) const;
  void recordTrivialBlock(const CompoundStmt &Block, ASTContext &Ctx);

  std::string MutexTypesRaw, LockFunctionsRaw; // as configured, for storeOptions
  NameList MutexTypes;
  NameList LockFunctions;
  UnevaluatedOperands Unevaluated;
  ReportOnce Reported;
  struct Range {
    FileID File;
    unsigned Begin, End;
  };
  /// The bodies of lock()/unlock() members (BasicLockable wrappers), recorded before their calls.
  std::vector<Range> Wrappers;
  /// The lock() call of a trivial block -> its unlock() call (the fix-it's two edits).
  llvm::DenseMap<const CallExpr *, const CallExpr *> TrivialPairs;
};

} // namespace clang::tidy::tether

#endif
