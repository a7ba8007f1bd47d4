#ifndef TETHER_CHECKS_PLAINSTOPFLAGCHECK_H
#define TETHER_CHECKS_PLAINSTOPFLAGCHECK_H

#include "clang-tidy/ClangTidyCheck.h"
#include "utils/Locks.h"
#include "utils/Options.h"
#include "utils/ReportOnce.h"
#include "utils/Threads.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include <vector>

namespace clang::tidy::tether {

/// Flags a loop that can only stop through a flag no other thread can reliably set.
///
/// A *flag* is a member or a global (not a local, not a function-local static) of type `bool`, or of an
/// integer or enumeration type used as a flag (read in a boolean context, or compared with `==`/`!=`
/// to a constant; IntegerFlags), that is not atomic (`std::atomic<T>` and other classes are never
/// flags; C `_Atomic`, `volatile sig_atomic_t` and the SafeTypes typedefs are safe). The loop *stops
/// through* the flag when its condition reads it, or when its condition is constantly true and each
/// of its exits (`break`, `return`, `throw`, `goto`, a `[[noreturn]]` call) sits in an `if` that reads
/// it. A write in the loop (also in a function the loop calls, transitively, in this translation
/// unit) means the loop stops itself, and nothing is reported, unless the write sits in the branch
/// that leaves the loop (a reset).
///
/// Two forms:
///  - racy flag: another function of the translation unit writes the flag, and either the loop runs
///    on a spawned thread (its function is, or is called from, a callable given to a ThreadTypes
///    constructor, a SpawnFunctions call, tether::safe_go or task_group::spawn, or a ThreadBodies
///    function) or that writer does. Writes that happen before the thread exists do not count: in a
///    constructor before it starts a thread, or in any function before its last spawn. A write in the
///    destructor races only with a loop on a spawned thread. The read is a data race: the compiler
///    may hoist it out of the loop. Reads made while a lock is held (a LockTypes variable declared
///    earlier in an enclosing block, or a manual lock() statement before it) are not reported. A
///    loop with no sleep, wait, lock or opaque call in it (directly, or in the callees defined here)
///    is a busy spin, and the message says so.
///  - dead flag: nothing writes the flag while the loop can run: the only writes are in constructors
///    (before they start a thread), in the destructor (while the loop runs on the object's own
///    caller) or in the loop's own function outside the loop. Only judged when every writer is visible: a private member of a class with
///    no friends whose member functions are all defined in this translation unit, or a global with
///    internal linkage. The condition and the exits must depend on nothing but flags.
///
/// Reported at the loop's keyword, once per loop (templates are judged by their pattern), with a
/// note at the read of the flag and one at a write. Thread-compatible; all state is per
/// translation unit and decided at its end, without clang's parent map.
class PlainStopFlagCheck : public ClangTidyCheck {
public:
  PlainStopFlagCheck(StringRef Name, ClangTidyContext *Context);
  bool isLanguageVersionSupported(const LangOptions &LangOpts) const override {
    return LangOpts.CPlusPlus;
  }
  std::optional<TraversalKind> getCheckTraversalKind() const override { return TK_AsIs; }
  void registerMatchers(ast_matchers::MatchFinder *Finder) override;
  void check(const ast_matchers::MatchFinder::MatchResult &Result) override;
  void storeOptions(ClangTidyOptions::OptionMap &Opts) override;
  void onStartOfTranslationUnit() override;
  void onEndOfTranslationUnit() override;

  /// A function body of the translation unit (a function, or a lambda's call operator).
  struct Unit {
    const FunctionDecl *Def = nullptr;
    const Stmt *Body = nullptr;
    llvm::SmallVector<const FunctionDecl *, 8> Callees; ///< canonical declarations
    bool Waits = false;  ///< sleeps, waits, blocks or locks in its own body
    bool Opaque = false; ///< calls something whose body is not visible here
    const Stmt *LastSpawn = nullptr; ///< its last spawn site: writes before it happen before the thread
  };
  /// A write of a flag: an assignment, ++/--, or its address or a non-const reference taken.
  struct Write {
    const FunctionDecl *Unit; ///< canonical
    const Stmt *Site;
  };
  struct Loop {
    const Stmt *S;
    const FunctionDecl *Unit; ///< canonical
  };
  /// A read of a flag in a loop's condition or exit test.
  struct Read {
    const ValueDecl *Flag;
    const Expr *Site;
  };

  /// What a call is, for the walks (cached per callee and object class).
  enum CallKind : unsigned {
    CK_Waits = 1,    ///< sleeps, waits, blocks or locks
    CK_SpinHint = 2, ///< yield(), _mm_pause(): a spin stays a spin
    CK_Opaque = 4,   ///< no body here, or virtual: may do anything
    CK_Spawn = 8,    ///< runs its callable arguments on another thread
  };
  unsigned classify(const CallExpr &Call, const FunctionDecl &FD);
  /// Does \p W happen before any thread its function starts: before the function's last spawn, or
  /// anywhere in a constructor that starts none?
  bool beforeThreads(const Write &W, const SourceManager &SM) const;
  bool isLockType(const CXXRecordDecl *RD);

private:
  friend struct FlagWalker;
  friend struct LoopJudge;
  /// The flag \p E reads or writes (a member or global of a flag type), or null. \p AsFlag: \p E is
  /// read as a truth value or compared with a constant, so integers and enums count too.
  const ValueDecl *flagOf(const Expr *E, bool AsFlag, bool AnyType = false);
  bool isSafeType(QualType T) const;
  void judge(const Loop &L, ASTContext &Ctx);
  void computeThreads();
  bool writtenByLoop(const Loop &L, const ValueDecl *Flag, const llvm::DenseSet<const FunctionDecl *> &Reach);
  bool allWritersVisible(const ValueDecl *Flag) const;
  bool underLock(const Unit &U, const Stmt *Target, ASTContext &Ctx);

  std::string ThreadTypesRaw, SpawnFunctionsRaw, ThreadBodiesRaw, LockTypesRaw, SafeTypesRaw,
      IntegerFlagsRaw; // as configured, for storeOptions
  threads::ThreadTypeSet ThreadTypes;
  NameList SpawnFunctions, ThreadBodies, LockTypes, SafeTypes;
  bool IntegerFlags = true;
  locks::CallList Waiting; ///< blocking calls, condition waits and tether waits
  NameList SpinHints;

  ASTContext *Ctx = nullptr;
  llvm::DenseMap<const FunctionDecl *, Unit> Units;
  llvm::SmallVector<const FunctionDecl *, 8> Entries;
  llvm::DenseSet<const FunctionDecl *> OnThread;
  llvm::DenseMap<const ValueDecl *, llvm::SmallVector<Write, 4>> Writes;
  std::vector<Loop> Loops;
  mutable llvm::DenseMap<const CXXRecordDecl *, bool> ClosedClasses;
  llvm::DenseMap<std::pair<const FunctionDecl *, const CXXRecordDecl *>, unsigned> CallKinds;
  llvm::DenseMap<const CXXRecordDecl *, bool> LockTypeCache;
  ReportOnce Reported;
};

} // namespace clang::tidy::tether

#endif
