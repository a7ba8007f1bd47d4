// tether-blocking-under-lock: every thread that needs a lock waits as long as the thread holding it
// sleeps, joins or does I/O.
//
// Design notes (performance): one matcher on the blocks that take a lock in one of their own
// statements (a scoped-lock declaration or a manual lock call), plus the unevaluated-operand
// recorders. The statements after the lock are walked once per such block; a callee defined in the
// translation unit is walked once and its answer cached. No parent map, no path sensitivity: clang's
// unix.BlockInCriticalSection explores paths and costs a full static-analyzer run.
#include "BlockingUnderLockCheck.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/StmtCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang-tidy/utils/OptionsUtils.h"

using namespace clang::ast_matchers;

namespace clang::tidy::tether {
namespace {

constexpr llvm::StringLiteral Advice = "release the lock first, or move the call out of the critical section";

std::vector<std::string> concat(const NameList &A, const std::vector<std::string> &B) {
  std::vector<std::string> R = A.names();
  R.insert(R.end(), B.begin(), B.end());
  return R;
}

bool isFunctionNamed(const CallExpr &Call, StringRef Name) {
  const FunctionDecl *FD = Call.getDirectCallee();
  return FD && !isa<CXXMethodDecl>(FD) && FD->getDeclName().isIdentifier() && FD->getName() == Name &&
         FD->isExternC();
}

/// A manual lock (lock/lock_shared on a mutex type, pthread_mutex_lock): the mutex it locks.
const Expr *manualLock(const Stmt *S, const NameList &MutexTypes, bool Unlock) {
  if (const auto *MC = dyn_cast_or_null<CXXMemberCallExpr>(S)) {
    const CXXMethodDecl *MD = MC->getMethodDecl();
    if (locks::isNamed(MD, Unlock ? llvm::ArrayRef(locks::UnlockMethods) : llvm::ArrayRef(locks::AcquireMethods)) &&
        locks::isOrDerivesFrom(MD->getParent(), MutexTypes))
      return MC->getImplicitObjectArgument();
    return nullptr;
  }
  if (const auto *Call = dyn_cast_or_null<CallExpr>(S);
      Call && Call->getNumArgs() == 1 &&
      isFunctionNamed(*Call, Unlock ? "pthread_mutex_unlock" : "pthread_mutex_lock"))
    return Call->getArg(0);
  return nullptr;
}

bool refersTo(const Expr *E, const VarDecl *VD) {
  if (!E)
    return false;
  const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts());
  return DRE && DRE->getDecl() == VD;
}

/// The callee as the user sees it: a member through the object's own class (std::future<int>::wait,
/// not libstdc++'s std::__basic_future<int>::wait).
std::string calleeName(const CallExpr &Call) {
  const FunctionDecl *FD = Call.getDirectCallee();
  if (!FD)
    return "call";
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(&Call); MC && FD->getDeclName().isIdentifier())
    if (const Expr *Obj = MC->getImplicitObjectArgument()) {
      QualType T = Obj->IgnoreParenImpCasts()->getType();
      if (T->isPointerType())
        T = T->getPointeeType();
      if (const CXXRecordDecl *RD = T->getAsCXXRecordDecl())
        return RD->getQualifiedNameAsString() + "::" + FD->getName().str();
    }
  return FD->getQualifiedNameAsString();
}

} // namespace

/// The walk over the statements a lock covers.
struct HeldScan {
  BlockingUnderLockCheck &Check;
  ASTContext &Ctx;
  BlockingUnderLockCheck::Held H;
  const FunctionDecl *Self = nullptr;
  bool Holding = true;

  /// Does \p S release (-1) or retake (+1) the held lock?
  int transition(const Stmt *S) const {
    if (H.Lock) {
      const auto *MC = dyn_cast<CXXMemberCallExpr>(S);
      if (!MC || !refersTo(MC->getImplicitObjectArgument(), H.Lock))
        return 0;
      const CXXMethodDecl *MD = MC->getMethodDecl();
      static constexpr llvm::StringLiteral Takes[] = {"lock"};
      return locks::isNamed(MD, locks::ReleaseMethods) ? -1 : locks::isNamed(MD, Takes) ? 1 : 0;
    }
    if (locks::sameObject(manualLock(S, Check.MutexTypes, /*Unlock=*/true), H.Mutex, Ctx))
      return -1;
    if (locks::sameObject(manualLock(S, Check.MutexTypes, /*Unlock=*/false), H.Mutex, Ctx))
      return 1;
    return 0;
  }

  /// Does the condition-variable wait \p Call get the held lock (and so release it while it waits)?
  bool waitReleasesHeld(const CallExpr &Call) const {
    for (const Expr *Arg : Call.arguments())
      if ((H.Lock && refersTo(Arg, H.Lock)) || (H.Mutex && locks::sameObject(Arg, H.Mutex, Ctx)))
        return true;
    return false;
  }

  void scan(const Stmt *S) {
    if (!S || isUnevaluatedOperandRoot(*S) || isa<LambdaExpr, BlockExpr>(S))
      return;
    if (int T = transition(S)) {
      Holding = T > 0;
      return;
    }
    if (const auto *Block = dyn_cast<CompoundStmt>(S)) {
      // An unlock() in a nested block releases the lock until that block ends.
      bool Saved = Holding;
      for (const Stmt *Child : Block->body())
        scan(Child);
      Holding = Saved;
      return;
    }
    if (const auto *Call = dyn_cast<CallExpr>(S); Call && Holding)
      judge(*Call);
    for (const Stmt *Child : S->children())
      scan(Child);
  }

  void judge(const CallExpr &Call) {
    if (Check.ConditionWaits.matches(Call)) {
      if (!waitReleasesHeld(Call))
        Check.report(Call, H, nullptr, /*OtherLockWait=*/true, Ctx);
      return;
    }
    if (Check.Blocking.matches(Call)) {
      Check.report(Call, H, nullptr, false, Ctx);
      return;
    }
    const FunctionDecl *FD = Call.getDirectCallee();
    if (!FD || FD == Self)
      return;
    if (const CallExpr *Inner = Check.blockingCallIn(*FD, Ctx))
      Check.report(Call, H, Inner, false, Ctx);
  }
};

BlockingUnderLockCheck::BlockingUnderLockCheck(StringRef Name, ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      ExtraBlocking(NameList::fromOption(*this, Options, "BlockingFunctions", "", BlockingRaw)),
      LockTypes(NameList::fromOption(*this, Options, "LockTypes", locks::DefaultLockTypes, LockTypesRaw)),
      MutexTypes(
          NameList::fromOption(*this, Options, "MutexTypes", locks::DefaultMutexTypes, MutexTypesRaw)) {
  std::vector<std::string> Defaults;
  for (StringRef N : utils::options::parseStringList(locks::DefaultBlockingFunctions))
    Defaults.push_back(N.str());
  Blocking = locks::CallList(NameList(concat(ExtraBlocking, Defaults)));
  std::vector<std::string> Waits(std::begin(locks::ConditionWaits), std::end(locks::ConditionWaits));
  ConditionWaits = locks::CallList(NameList(std::move(Waits)));
}

void BlockingUnderLockCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "BlockingFunctions", BlockingRaw);
  Options.store(Opts, "LockTypes", LockTypesRaw);
  Options.store(Opts, "MutexTypes", MutexTypesRaw);
}

void BlockingUnderLockCheck::onStartOfTranslationUnit() {
  Unevaluated.clear();
  Reported.clear();
  CalleeCache.clear();
}

void BlockingUnderLockCheck::registerMatchers(MatchFinder *Finder) {
  UnevaluatedOperands::registerMatchers(Finder, this);
  auto ScopedLock = declStmt(has(varDecl(hasType(hasCanonicalType(
      hasDeclaration(cxxRecordDecl(LockTypes.matcher())))))));
  auto ManualLock = anyOf(
      cxxMemberCallExpr(callee(cxxMethodDecl(hasAnyName(std::vector<StringRef>(std::begin(locks::AcquireMethods),
                                                                               std::end(locks::AcquireMethods))),
                                             ofClass(cxxRecordDecl(isSameOrDerivedFrom(MutexTypes.matcher())))))),
      callExpr(callee(functionDecl(hasName("::pthread_mutex_lock")))));
  Finder->addMatcher(compoundStmt(unless(isExpansionInSystemHeader()),
                                  hasAnySubstatement(stmt(anyOf(ScopedLock, ManualLock))))
                         .bind("block"),
                     this);
}

void BlockingUnderLockCheck::check(const MatchFinder::MatchResult &Result) {
  if (Unevaluated.record(Result))
    return;
  if (const auto *Block = Result.Nodes.getNodeAs<CompoundStmt>("block"))
    scanBlock(*Block, *Result.Context);
}

void BlockingUnderLockCheck::scanBlock(const CompoundStmt &Block, ASTContext &Ctx) {
  const SourceManager &SM = Ctx.getSourceManager();
  for (auto It = Block.body_begin(), End = Block.body_end(); It != End; ++It) {
    Held H;
    if (const auto *DS = dyn_cast<DeclStmt>(*It)) {
      for (const Decl *D : DS->decls())
        if (const auto *VD = dyn_cast<VarDecl>(D)) {
          const CXXRecordDecl *RD = VD->getType()->getAsCXXRecordDecl();
          if (RD && LockTypes.matches(*RD) && locks::holdsFromConstruction(*VD)) {
            H.Lock = VD;
            H.Taken = VD->getLocation();
          }
        }
    } else if (const Expr *M = manualLock(*It, MutexTypes, /*Unlock=*/false)) {
      H.Mutex = M;
      H.Taken = (*It)->getBeginLoc();
    }
    if (!H.Lock && !H.Mutex)
      continue;
    if (Unevaluated.contains(*It, SM))
      continue;
    HeldScan Scan{*this, Ctx, H};
    for (auto Rest = It + 1; Rest != End; ++Rest)
      Scan.scan(*Rest);
  }
}

const CallExpr *BlockingUnderLockCheck::blockingCallIn(const FunctionDecl &FD, ASTContext &Ctx) {
  const FunctionDecl *Def = nullptr;
  if (!FD.hasBody(Def) || !Def || Ctx.getSourceManager().isInSystemHeader(Def->getLocation()))
    return nullptr;
  auto [It, Inserted] = CalleeCache.try_emplace(Def, nullptr);
  if (!Inserted)
    return It->second;
  // The callee's own blocking calls, not its callees'. A condition-variable wait on a lock the callee
  // was given (a parameter) may be the caller's held lock, which it releases: not counted.
  const CallExpr *Found = nullptr;
  llvm::SmallVector<const Stmt *, 32> Work{Def->getBody()};
  while (!Work.empty() && !Found) {
    const Stmt *S = Work.pop_back_val();
    if (!S || isUnevaluatedOperandRoot(*S) || isa<LambdaExpr, BlockExpr>(S))
      continue;
    if (const auto *Call = dyn_cast<CallExpr>(S)) {
      if (ConditionWaits.matches(*Call)) {
        bool OnParameter = llvm::any_of(Call->arguments(), [](const Expr *A) {
          const auto *DRE = dyn_cast<DeclRefExpr>(A->IgnoreParenImpCasts());
          return DRE && isa<ParmVarDecl>(DRE->getDecl());
        });
        if (!OnParameter)
          Found = Call;
      } else if (Blocking.matches(*Call)) {
        Found = Call;
      }
    }
    // Children in reverse so that the first call in source order is found first.
    llvm::SmallVector<const Stmt *, 8> Children(S->child_begin(), S->child_end());
    Work.append(Children.rbegin(), Children.rend());
  }
  CalleeCache[Def] = Found;
  return Found;
}

void BlockingUnderLockCheck::report(const CallExpr &Call, const Held &H, const CallExpr *Inner,
                                    bool OtherLockWait, ASTContext &Ctx) {
  const SourceManager &SM = Ctx.getSourceManager();
  SourceLocation Loc = userLocation(SM, Call.getExprLoc());
  if (Reported.claimed(Loc) || Unevaluated.contains(&Call, SM) || !Reported.claim(Loc))
    return;
  std::string Name = calleeName(Call);
  if (OtherLockWait) {
    diag(Loc, "'%0' releases only the lock it is given; the lock held here stays locked while it "
              "waits; %1")
        << Name << Advice << Call.getSourceRange();
  } else if (Inner) {
    diag(Loc, "call to '%0' blocks while a lock is held (it calls '%1'); %2")
        << Name << calleeName(*Inner) << Advice
        << Call.getSourceRange();
    diag(userLocation(SM, Inner->getExprLoc()), "blocks here", DiagnosticIDs::Note);
  } else {
    diag(Loc, "'%0' blocks while a lock is held: every thread waiting for the lock waits as long; %1")
        << Name << Advice << Call.getSourceRange();
  }
  if (H.Lock)
    diag(userLocation(SM, H.Taken), "the lock is taken here by %0", DiagnosticIDs::Note) << H.Lock;
  else
    diag(userLocation(SM, H.Taken), "the lock is taken here", DiagnosticIDs::Note);
}

} // namespace clang::tidy::tether
