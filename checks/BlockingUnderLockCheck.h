#ifndef TETHER_CHECKS_BLOCKINGUNDERLOCKCHECK_H
#define TETHER_CHECKS_BLOCKINGUNDERLOCKCHECK_H

#include "clang-tidy/ClangTidyCheck.h"
#include "utils/Locks.h"
#include "utils/ReportOnce.h"
#include "utils/Unevaluated.h"
#include "llvm/ADT/DenseMap.h"

namespace clang::tidy::tether {

/// Flags a call that blocks (a sleep, a join or a wait on other work, blocking I/O, name resolution:
/// locks::DefaultBlockingFunctions plus the BlockingFunctions option) while a lock is held: from the
/// declaration of a scoped lock (LockTypes: lock_guard, scoped_lock, unique_lock, shared_lock) or a
/// manual lock()/lock_shared()/pthread_mutex_lock() to the end of its block, or to the unlock() on it
/// (an unlock() in a nested block releases it until that block ends). Every other thread that needs
/// the lock waits as long as the blocking call does.
///
/// A condition-variable wait given the held lock releases it while it waits and is not reported; a
/// wait given another lock is. Calls to functions defined in the same translation unit are followed
/// one level deep: a call to a helper whose body blocks is reported at the call, with a note at the
/// helper's blocking call. Lambdas written under the lock are not followed (they may run elsewhere),
/// nor are unevaluated operands. A unique_lock constructed with std::defer_lock or std::try_to_lock
/// is not taken to hold its mutex. Templates are judged per instantiation and reported once; a call
/// in a macro is reported where the macro is used.
class BlockingUnderLockCheck : public ClangTidyCheck {
public:
  BlockingUnderLockCheck(StringRef Name, ClangTidyContext *Context);
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
  std::optional<TraversalKind> getCheckTraversalKind() const override { return TK_AsIs; }
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void onStartOfTranslationUnit() override;

  /// A lock held over part of a block.
  struct Held {
    const VarDecl *Lock = nullptr; ///< a scoped lock variable, or
    const Expr *Mutex = nullptr;   ///< the mutex of a manual lock
    SourceLocation Taken;
  };

private:
  void scanBlock(const CompoundStmt &Block, ASTContext &Ctx);
  /// The first call in \p FD's body that blocks (not followed further), or null; cached.
  const CallExpr *blockingCallIn(const FunctionDecl &FD, ASTContext &Ctx);
  void report(const CallExpr &Call, const Held &H, const CallExpr *Inner, bool OtherLockWait,
              ASTContext &Ctx);
  friend struct HeldScan;

  std::string BlockingRaw, LockTypesRaw, MutexTypesRaw; // as configured, for storeOptions
  NameList ExtraBlocking;
  locks::CallList Blocking;
  locks::CallList ConditionWaits;
  NameList LockTypes;
  NameList MutexTypes;
  UnevaluatedOperands Unevaluated;
  ReportOnce Reported;
  llvm::DenseMap<const FunctionDecl *, const CallExpr *> CalleeCache;
};

} // namespace clang::tidy::tether

#endif
