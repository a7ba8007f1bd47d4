// tether-plain-stop-flag: a loop that can only stop through a flag no other thread can reliably set.
//
// Design notes (performance): one matcher, on the function definitions of non-system code. Each body
// is walked once, recording what the decision needs: the loops, every write of a member or global of
// a flag-like type, the calls (a call graph of the translation unit) and the callables given to
// spawns. Loops are judged at the end of the translation unit; only a loop whose condition or exits
// read a flag costs more: one walk of the loop, and for each flag read one walk of its function to
// see whether a lock is held there. No parent map.
#include "PlainStopFlagCheck.h"
#include "CheapEvaluation.h"
#include "OptionUtils.h"
#include "utils/Cancellation.h"
#include "utils/SpawnSites.h"
#include "utils/Unevaluated.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang-tidy/utils/OptionsUtils.h"
#include "llvm/ADT/SetVector.h"
#include <functional>

using namespace clang::ast_matchers;

namespace clang::tidy::tether {
namespace {

constexpr llvm::StringLiteral Advice = "make it 'std::atomic<bool>' and set it from the stopping side, "
                                       "or use 'std::stop_token' or 'tether::context'";
constexpr llvm::StringLiteral EmplaceMethods[] = {"emplace_back", "emplace", "emplace_front"};

const Expr *strip(const Expr *E) {
  while (E) {
    const Expr *Next = E->IgnoreParenImpCasts();
    if (const auto *FE = dyn_cast<FullExpr>(Next))
      Next = FE->getSubExpr();
    if (Next == E)
      break;
    E = Next;
  }
  return E;
}

/// A constant the evaluator decides within a small budget (CheapEvaluation.h): a `while (slow())`
/// whose constexpr slow() runs long is treated as not constant rather than evaluated in full.
bool isConstant(const Expr *E, const ASTContext &Ctx) {
  if (!E || E->isValueDependent() || E->isTypeDependent())
    return false;
  QualType T = E->getType();
  if (T->isBooleanType())
    return evaluateConditionCheaply(E, Ctx).has_value();
  if (T->isIntegralOrEnumerationType())
    return evaluateIntCheaply(E, Ctx).has_value();
  return isa<CXXNullPtrLiteralExpr, FloatingLiteral, StringLiteral>(E);
}

/// Does \p T name, through its typedefs, a typedef of \p Names (or is it a listed class)?
bool spelledAs(QualType T, const NameList &Names) {
  for (unsigned Depth = 0; !T.isNull() && Depth < 16; ++Depth) {
    const auto *TT = T->getAs<TypedefType>();
    if (!TT)
      break;
    if (Names.matches(*TT->getDecl()))
      return true;
    T = TT->getDecl()->getUnderlyingType();
  }
  if (const CXXRecordDecl *RD = T.isNull() ? nullptr : T->getAsCXXRecordDecl())
    return Names.matches(*RD);
  return false;
}

const NameList &sigAtomic() {
  static const NameList L(std::vector<std::string>{"sig_atomic_t"});
  return L;
}

const FunctionDecl *canon(const FunctionDecl *FD) { return FD ? FD->getCanonicalDecl() : nullptr; }

constexpr llvm::StringLiteral PthreadLock[] = {"pthread_mutex_lock"};
constexpr llvm::StringLiteral PthreadUnlock[] = {"pthread_mutex_unlock"};

/// A function as a note names it: "'Server::stop'", or "a lambda".
std::string describe(const FunctionDecl *FD) {
  if (const auto *MD = dyn_cast<CXXMethodDecl>(FD); MD && MD->getParent()->isLambda())
    return "a lambda";
  return "'" + FD->getQualifiedNameAsString() + "'";
}

} // namespace

/// The walk over one function body (a lambda's body is walked as a unit of its own).
struct FlagWalker {
  PlainStopFlagCheck &C;
  const FunctionDecl *Key;

  void addEntries(const Expr *Arg) {
    llvm::SmallVector<const FunctionDecl *, 4> Found;
    spawnedCallables(Arg, Found);
    C.Entries.append(Found.begin(), Found.end());
    // The walk is in source order: the last site recorded is the last spawn.
    C.Units[Key].LastSpawn = Arg;
  }

  void write(const Expr *Target, const Stmt *Site) {
    if (const ValueDecl *F = C.flagOf(Target, false, /*AnyType=*/true))
      C.Writes[F].push_back({Key, Site});
  }

  /// Arguments bound to non-const lvalue references are writes.
  void referenceArgs(const FunctionDecl *FD, llvm::ArrayRef<const Expr *> Args, unsigned Skip) {
    if (!FD)
      return;
    for (unsigned I = Skip; I < Args.size(); ++I) {
      unsigned P = I - Skip;
      if (P >= FD->getNumParams())
        break;
      QualType PT = FD->getParamDecl(P)->getType();
      if (PT->isLValueReferenceType() && !PT->getPointeeType().isConstQualified())
        write(Args[I], Args[I]);
    }
  }

  void call(const CallExpr *Call) {
    PlainStopFlagCheck::Unit &U = C.Units[Key];
    const FunctionDecl *FD = Call->getDirectCallee();
    if (!FD) {
      U.Opaque = true;
      // In a template, an overloaded or not yet resolved callee: each candidate may be the one.
      if (const auto *OE = dyn_cast<OverloadExpr>(Call->getCallee()->IgnoreParenImpCasts()))
        for (const NamedDecl *D : OE->decls()) {
          D = D->getUnderlyingDecl();
          if (const auto *FT = dyn_cast<FunctionTemplateDecl>(D))
            D = FT->getTemplatedDecl();
          if (const auto *F = dyn_cast<FunctionDecl>(D))
            U.Callees.push_back(canon(F));
        }
      return;
    }
    U.Callees.push_back(canon(FD));
    unsigned Kind = C.classify(*Call, *FD);
    if (Kind & PlainStopFlagCheck::CK_Waits)
      U.Waits = true;
    else if (Kind & PlainStopFlagCheck::CK_Opaque)
      U.Opaque = true;
    llvm::ArrayRef<const Expr *> Args(Call->getArgs(), Call->getNumArgs());
    // An operator call on an object passes it as argument 0.
    unsigned Skip = isa<CXXOperatorCallExpr>(Call) && isa<CXXMethodDecl>(FD) ? 1 : 0;
    referenceArgs(FD, Args, Skip);
    if (Kind & PlainStopFlagCheck::CK_Spawn) {
      for (const Expr *A : Args)
        addEntries(A);
      return;
    }
    // threads.emplace_back(&Server::loop, this): the container constructs the thread.
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(Call); MC && locks::isNamed(FD, EmplaceMethods))
      if (const auto *Spec = dyn_cast_or_null<ClassTemplateSpecializationDecl>(MC->getRecordDecl());
          Spec && Spec->getTemplateArgs().size() > 0 &&
          Spec->getTemplateArgs()[0].getKind() == TemplateArgument::Type)
        if (const CXXRecordDecl *Elem = Spec->getTemplateArgs()[0].getAsType()->getAsCXXRecordDecl();
            Elem && C.ThreadTypes.sameOrDerived(Elem) >= 0)
          for (const Expr *A : Args)
            addEntries(A);
  }

  /// A thread type constructed from \p Init where the template is not instantiated yet
  /// (`std::thread t_(...)` in a class template: a ParenListExpr).
  void dependentConstruction(QualType T, const Expr *Init) {
    const CXXRecordDecl *RD = T.isNull() ? nullptr : T->getAsCXXRecordDecl();
    if (!Init || !RD || C.ThreadTypes.sameOrDerived(RD) < 0)
      return;
    if (const auto *PL = dyn_cast<ParenListExpr>(Init))
      for (unsigned I = 0; I < PL->getNumExprs(); ++I)
        addEntries(PL->getExpr(I));
    else if (const auto *IL = dyn_cast<InitListExpr>(Init))
      for (const Expr *A : IL->inits())
        addEntries(A);
  }

  void walk(const Stmt *S) {
    if (!S || isUnevaluatedOperandRoot(*S))
      return;
    if (const auto *UC = dyn_cast<CXXUnresolvedConstructExpr>(S))
      if (const CXXRecordDecl *RD = UC->getTypeAsWritten()->getAsCXXRecordDecl();
          RD && C.ThreadTypes.sameOrDerived(RD) >= 0)
        for (const Expr *A : UC->arguments())
          addEntries(A);
    if (const auto *L = dyn_cast<LambdaExpr>(S)) {
      for (const Expr *Init : L->capture_inits())
        walk(Init);
      const FunctionDecl *Op = canon(L->getCallOperator());
      PlainStopFlagCheck::Unit &U = C.Units[Op];
      U.Def = L->getCallOperator();
      U.Body = L->getBody();
      FlagWalker{C, Op}.walk(L->getBody());
      return;
    }
    if (isa<WhileStmt, DoStmt, ForStmt>(S))
      C.Loops.push_back({S, Key});
    if (const auto *Call = dyn_cast<CallExpr>(S)) {
      call(Call);
    } else if (const auto *CE = dyn_cast<CXXConstructExpr>(S)) {
      const CXXRecordDecl *RD = CE->getConstructor()->getParent();
      if (C.ThreadTypes.spawnedBy(CE) >= 0)
        for (const Expr *A : CE->arguments())
          addEntries(A);
      if (C.isLockType(RD))
        C.Units[Key].Waits = true;
      referenceArgs(CE->getConstructor(), llvm::ArrayRef(CE->getArgs(), CE->getNumArgs()), 0);
    } else if (const auto *BO = dyn_cast<BinaryOperator>(S); BO && BO->isAssignmentOp()) {
      write(BO->getLHS(), BO);
    } else if (const auto *UO = dyn_cast<UnaryOperator>(S);
               UO && (UO->isIncrementDecrementOp() || UO->getOpcode() == UO_AddrOf)) {
      write(UO->getSubExpr(), UO);
    } else if (const auto *DS = dyn_cast<DeclStmt>(S)) {
      for (const Decl *D : DS->decls())
        if (const auto *VD = dyn_cast<VarDecl>(D); VD && VD->getInit()) {
          if (VD->getType()->isLValueReferenceType() && !VD->getType()->getPointeeType().isConstQualified())
            write(VD->getInit(), VD->getInit());
          dependentConstruction(VD->getType(), VD->getInit());
        }
    }
    for (const Stmt *Child : S->children())
      walk(Child);
  }
};

/// The judgement of one loop.
struct LoopJudge {
  LoopJudge(PlainStopFlagCheck &C, const PlainStopFlagCheck::Loop &L, ASTContext &Ctx) : C(C), L(L), Ctx(Ctx) {}
  PlainStopFlagCheck &C;
  const PlainStopFlagCheck::Loop &L;
  ASTContext &Ctx;

  struct Exit {
    llvm::SmallVector<PlainStopFlagCheck::Read, 2> Guards; ///< flag reads of the enclosing ifs
    bool Pure = true;                                      ///< those ifs test nothing but flags
    llvm::SmallVector<const Stmt *, 4> Branches;           ///< enclosing if branches
  };
  struct InLoopWrite {
    const ValueDecl *Flag;
    llvm::SmallVector<const Stmt *, 4> Branches;
  };
  std::vector<Exit> Exits;
  std::vector<InLoopWrite> LoopWrites;
  llvm::SmallVector<const FunctionDecl *, 8> LoopCallees;
  bool Spins = true;

  /// Reads of flags in the truth value \p E; \p Pure is cleared if it tests anything else.
  void condition(const Expr *E, llvm::SmallVectorImpl<PlainStopFlagCheck::Read> &Reads, bool &Pure) {
    E = strip(E);
    if (!E || isConstant(E, Ctx))
      return;
    if (const auto *UO = dyn_cast<UnaryOperator>(E); UO && UO->getOpcode() == UO_LNot)
      return condition(UO->getSubExpr(), Reads, Pure);
    if (const auto *BO = dyn_cast<BinaryOperator>(E)) {
      if (BO->isLogicalOp()) {
        condition(BO->getLHS(), Reads, Pure);
        condition(BO->getRHS(), Reads, Pure);
        return;
      }
      if (BO->isEqualityOp()) {
        const Expr *A = strip(BO->getLHS()), *B = strip(BO->getRHS());
        if (isConstant(A, Ctx))
          std::swap(A, B);
        if (isConstant(B, Ctx))
          if (const ValueDecl *F = C.flagOf(A, /*AsFlag=*/true)) {
            Reads.push_back({F, A});
            return;
          }
        Pure = false;
        return;
      }
    }
    if (const ValueDecl *F = C.flagOf(E, /*AsFlag=*/true)) {
      Reads.push_back({F, E});
      return;
    }
    Pure = false;
  }

  void exit(llvm::ArrayRef<std::pair<llvm::SmallVector<PlainStopFlagCheck::Read, 2>, bool>> Ifs,
            llvm::ArrayRef<const Stmt *> Branches) {
    Exit X;
    for (const auto &[Reads, Pure] : Ifs) {
      X.Guards.append(Reads.begin(), Reads.end());
      X.Pure = X.Pure && Pure;
    }
    X.Branches.assign(Branches.begin(), Branches.end());
    Exits.push_back(std::move(X));
  }

  struct Scan {
    explicit Scan(LoopJudge &J) : J(J) {}
    LoopJudge &J;
    llvm::SmallVector<std::pair<llvm::SmallVector<PlainStopFlagCheck::Read, 2>, bool>, 4> Ifs;
    llvm::SmallVector<const Stmt *, 4> Branches;

    void flagWrite(const Expr *Target) {
      if (const ValueDecl *F = J.C.flagOf(Target, false, /*AnyType=*/true))
        J.LoopWrites.push_back({F, llvm::SmallVector<const Stmt *, 4>(Branches.begin(), Branches.end())});
    }

    void walk(const Stmt *S, bool InBreakable) {
      if (!S || isUnevaluatedOperandRoot(*S) || isa<LambdaExpr, BlockExpr>(S))
        return;
      if ((isa<BreakStmt>(S) && !InBreakable) ||
          isa<ReturnStmt, CoreturnStmt, GotoStmt, IndirectGotoStmt, CXXThrowExpr>(S)) {
        J.exit(Ifs, Branches);
        for (const Stmt *Child : S->children())
          walk(Child, InBreakable);
        return;
      }
      if (const auto *If = dyn_cast<IfStmt>(S)) {
        walk(If->getInit(), InBreakable);
        walk(If->getConditionVariableDeclStmt(), InBreakable);
        walk(If->getCond(), InBreakable);
        llvm::SmallVector<PlainStopFlagCheck::Read, 2> Reads;
        bool Pure = !If->getConditionVariable() && !If->getInit();
        if (!If->isConsteval())
          J.condition(If->getCond(), Reads, Pure);
        Ifs.push_back({Reads, Pure});
        for (const Stmt *Branch : {If->getThen(), If->getElse()}) {
          if (!Branch)
            continue;
          Branches.push_back(Branch);
          walk(Branch, InBreakable);
          Branches.pop_back();
        }
        Ifs.pop_back();
        return;
      }
      if (isa<WhileStmt, DoStmt, ForStmt, CXXForRangeStmt, SwitchStmt>(S)) {
        for (const Stmt *Child : S->children())
          walk(Child, /*InBreakable=*/true);
        return;
      }
      if (const auto *Call = dyn_cast<CallExpr>(S)) {
        const FunctionDecl *FD = Call->getDirectCallee();
        if (FD)
          J.LoopCallees.push_back(canon(FD));
        J.callForSpin(*Call, FD);
        if (FD && FD->isNoReturn()) {
          for (const Stmt *Child : S->children())
            walk(Child, InBreakable);
          J.exit(Ifs, Branches);
          return;
        }
      } else if (const auto *CE = dyn_cast<CXXConstructExpr>(S)) {
        if (const CXXRecordDecl *RD = CE->getConstructor()->getParent(); J.C.isLockType(RD))
          J.Spins = false;
      } else if (isa<CoawaitExpr, CoyieldExpr>(S)) {
        J.Spins = false;
      } else if (const auto *BO = dyn_cast<BinaryOperator>(S); BO && BO->isAssignmentOp()) {
        flagWrite(BO->getLHS());
      } else if (const auto *UO = dyn_cast<UnaryOperator>(S);
                 UO && (UO->isIncrementDecrementOp() || UO->getOpcode() == UO_AddrOf)) {
        flagWrite(UO->getSubExpr());
      }
      for (const Stmt *Child : S->children())
        walk(Child, InBreakable);
    }
  };

  /// A call in the loop: does it wait, sleep, lock, or do something that cannot be seen?
  void callForSpin(const CallExpr &Call, const FunctionDecl *FD) {
    if (!FD) {
      Spins = false;
      return;
    }
    unsigned Kind = C.classify(Call, *FD);
    if (Kind & PlainStopFlagCheck::CK_SpinHint)
      return;
    if (Kind & PlainStopFlagCheck::CK_Waits) {
      Spins = false;
      return;
    }
    auto It = C.Units.find(canon(FD));
    if (It != C.Units.end() && It->second.Body) {
      if (It->second.Waits || It->second.Opaque)
        Spins = false;
      return;
    }
    if (!FD->isDefined() || (isa<CXXMethodDecl>(FD) && cast<CXXMethodDecl>(FD)->isVirtual()))
      Spins = false;
  }

  void run() {
    const Stmt *Body = nullptr;
    const Expr *Cond = nullptr;
    if (const auto *W = dyn_cast<WhileStmt>(L.S)) {
      Body = W->getBody();
      Cond = W->getCond();
      if (W->getConditionVariable())
        return;
    } else if (const auto *D = dyn_cast<DoStmt>(L.S)) {
      Body = D->getBody();
      Cond = D->getCond();
    } else if (const auto *F = dyn_cast<ForStmt>(L.S)) {
      Body = F->getBody();
      Cond = F->getCond();
      if (F->getConditionVariable())
        return;
    }
    Scan Sc(*this);
    Sc.walk(Body, /*InBreakable=*/false);
    if (const auto *F = dyn_cast<ForStmt>(L.S))
      Sc.walk(F->getInc(), false);
    Sc.walk(Cond, false);

    llvm::SmallVector<PlainStopFlagCheck::Read, 4> Reads;
    bool Pure = true;
    bool ConstantTrue = !Cond;
    if (std::optional<bool> Value = Cond ? evaluateConditionCheaply(Cond, Ctx) : std::nullopt) {
      if (!*Value)
        return; // runs once (do-while(0)), or not at all
      ConstantTrue = true;
    }
    if (ConstantTrue) {
      if (Exits.empty())
        return; // an endless loop: tether-unguarded-loop's business
      for (const Exit &X : Exits) {
        if (X.Guards.empty())
          return; // another way out
        Reads.append(X.Guards.begin(), X.Guards.end());
        Pure = Pure && X.Pure;
      }
    } else {
      condition(Cond, Reads, Pure);
      if (Reads.empty())
        return;
      for (const Exit &X : Exits)
        Pure = Pure && !X.Guards.empty() && X.Pure;
    }

    // The functions the loop calls, transitively: a write there is the loop's own.
    llvm::SmallSetVector<const FunctionDecl *, 16> Reach;
    for (const FunctionDecl *F : LoopCallees)
      Reach.insert(F);
    for (unsigned I = 0; I < Reach.size() && Reach.size() < 4096; ++I) {
      auto It = C.Units.find(Reach[I]);
      if (It != C.Units.end())
        for (const FunctionDecl *F : It->second.Callees)
          Reach.insert(F);
    }

    llvm::SmallPtrSet<const ValueDecl *, 4> Seen;
    for (const PlainStopFlagCheck::Read &R : Reads) {
      if (!Seen.insert(R.Flag).second)
        continue;
      if (decide(R, Reads, Pure, Reach))
        return;
    }
  }

  bool writtenInLoop(const ValueDecl *Flag) const {
    llvm::SmallPtrSet<const Stmt *, 8> ExitBranches;
    for (const Exit &X : Exits)
      ExitBranches.insert(X.Branches.begin(), X.Branches.end());
    for (const InLoopWrite &W : LoopWrites)
      if (W.Flag == Flag && llvm::none_of(W.Branches, [&](const Stmt *B) { return ExitBranches.contains(B); }))
        return true;
    return false;
  }

  /// Reports the loop for \p R if it qualifies; true if reported.
  bool decide(const PlainStopFlagCheck::Read &R, llvm::ArrayRef<PlainStopFlagCheck::Read> Reads, bool Pure,
              const llvm::SmallSetVector<const FunctionDecl *, 16> &Reach) {
    const ValueDecl *Flag = R.Flag;
    if (writtenInLoop(Flag))
      return false;
    llvm::ArrayRef<PlainStopFlagCheck::Write> Ws;
    if (auto It = C.Writes.find(Flag); It != C.Writes.end())
      Ws = It->second;
    for (const PlainStopFlagCheck::Write &W : Ws)
      if (Reach.contains(W.Unit))
        return false;
    const PlainStopFlagCheck::Unit &U = C.Units[L.Unit];
    if (C.underLock(U, R.Site, Ctx))
      return false;
    bool LoopOnThread = C.OnThread.contains(L.Unit);
    const SourceManager &SM = Ctx.getSourceManager();
    SourceLocation Keyword = userLocation(SM, loopKeyword(L.S));

    // Racy: a write from another thread. A write made before the function starts its thread
    // (`running_ = true; thread_ = std::thread(...)`) happens before the thread runs; so does a
    // constructor's, unless the constructor has started a thread already.
    const PlainStopFlagCheck::Write *Racer = nullptr;
    for (const PlainStopFlagCheck::Write &W : Ws) {
      if (W.Unit == L.Unit || C.beforeThreads(W, SM))
        continue;
      if (isa<CXXConstructorDecl, CXXDestructorDecl>(W.Unit) ? LoopOnThread
                                                             : (LoopOnThread || C.OnThread.contains(W.Unit))) {
        Racer = &W;
        break;
      }
    }
    QualType T = Flag->getType();
    if (Racer) {
      if (!C.Reported.claim(Keyword))
        return true;
      C.diag(Keyword, "loop waits for plain %0 flag %1, which another thread writes while this loop "
                      "reads it without synchronization: a data race, and the compiler may read it once and loop "
                      "forever%select{|; the loop busy-spins on it, with no sleep, wait or lock}2; %3")
          << T << Flag << static_cast<unsigned>(Spins) << Advice;
      C.diag(userLocation(SM, R.Site->getExprLoc()), "%0 is read here", DiagnosticIDs::Note) << Flag;
      C.diag(userLocation(SM, Racer->Site->getBeginLoc()), "written here, in %0, %select{while the loop runs on a spawned thread|which runs on a spawned thread}1",
             DiagnosticIDs::Note)
          << describe(Racer->Unit) << static_cast<unsigned>(C.OnThread.contains(Racer->Unit));
      return true;
    }

    // Dead: nothing writes it while the loop runs.
    // Every flag the exits read must be dead; the loop is reported for the first.
    if (!Pure)
      return false;
    for (const PlainStopFlagCheck::Read &Each : Reads)
      if (!dead(Each.Flag, Reach, LoopOnThread))
        return false;
    const PlainStopFlagCheck::Write *Shown = Ws.empty() ? nullptr : &Ws.front();
    if (!C.Reported.claim(Keyword))
      return true;
    // Which kinds of writer there are: 1 constructors, 2 the destructor, 4 the loop's own function.
    unsigned Kinds = 0;
    for (const PlainStopFlagCheck::Write &W : Ws)
      Kinds |= isa<CXXConstructorDecl>(W.Unit) ? 1 : isa<CXXDestructorDecl>(W.Unit) ? 2 : 4;
    unsigned Select = Kinds == 0 ? 0 : Kinds == 1 ? 1 : Kinds == 2 ? 2 : Kinds == 4 ? 3 : 4;
    C.diag(Keyword, "loop can never stop: it exits only through plain %0 flag %1, which nothing "
                    "writes while the loop runs (%select{it is never written|only a constructor "
                    "writes it|only the destructor writes it, which cannot run while the loop does|"
                    "only this function writes it, outside the loop|only constructors, the destructor "
                    "and this function outside the loop write it}2); %3")
        << T << Flag << Select << Advice;
    C.diag(userLocation(SM, R.Site->getExprLoc()), "%0 is read here", DiagnosticIDs::Note) << Flag;
    if (Shown)
      C.diag(userLocation(SM, Shown->Site->getBeginLoc()), "written here, in %0, where the loop cannot be running",
             DiagnosticIDs::Note)
          << describe(Shown->Unit);
    return true;
  }

  /// Does nothing write \p Flag while the loop runs: every writer visible, and each one a
  /// constructor, the destructor (unless the loop runs on a spawned thread) or the loop's own
  /// function outside the loop?
  bool dead(const ValueDecl *Flag, const llvm::SmallSetVector<const FunctionDecl *, 16> &Reach,
            bool LoopOnThread) const {
    const SourceManager &SM = Ctx.getSourceManager();
    if (writtenInLoop(Flag) || !C.allWritersVisible(Flag))
      return false;
    if (auto It = C.Writes.find(Flag); It != C.Writes.end())
      for (const PlainStopFlagCheck::Write &W : It->second)
        if (Reach.contains(W.Unit) ||
            !(W.Unit == L.Unit || (isa<CXXConstructorDecl>(W.Unit) && C.beforeThreads(W, SM)) ||
              (isa<CXXDestructorDecl>(W.Unit) && !LoopOnThread)))
          return false;
    return true;
  }
};

PlainStopFlagCheck::PlainStopFlagCheck(StringRef Name, ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      SpawnFunctions(NameList::fromOption(*this, Options, "SpawnFunctions",
                                          "::pthread_create;::thrd_create;::std::async", SpawnFunctionsRaw)),
      ThreadBodies(NameList::fromOption(*this, Options, "ThreadBodies", "", ThreadBodiesRaw)),
      LockTypes(NameList::fromOption(*this, Options, "LockTypes", locks::DefaultLockTypes, LockTypesRaw)),
      SafeTypes(NameList::fromOption(*this, Options, "SafeTypes", "", SafeTypesRaw)) {
  NameList Threads = NameList::fromOption(*this, Options, "ThreadTypes", threads::DefaultThreadTypes, ThreadTypesRaw);
  ThreadTypes.setNames(Threads.names());
  IntegerFlagsRaw = Options.get("IntegerFlags", "true").str();
  IntegerFlags = parseBoolOption(*this, "IntegerFlags", IntegerFlagsRaw, /*Default=*/true);
  std::vector<std::string> Waits;
  for (StringRef List : {StringRef(locks::DefaultBlockingFunctions), StringRef(locks::DefaultLockFunctions)})
    for (StringRef N : utils::options::parseStringList(List))
      Waits.push_back(N.str());
  Waits.insert(Waits.end(), std::begin(locks::ConditionWaits), std::end(locks::ConditionWaits));
  Waits.insert(Waits.end(), std::begin(cancellation::WaitFunctions), std::end(cancellation::WaitFunctions));
  Waiting = locks::CallList(NameList(std::move(Waits)));
  SpinHints = NameList(llvm::ArrayRef<llvm::StringRef>(std::begin(locks::SpinHints), std::end(locks::SpinHints)));
}

void PlainStopFlagCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "ThreadTypes", ThreadTypesRaw);
  Options.store(Opts, "SpawnFunctions", SpawnFunctionsRaw);
  Options.store(Opts, "ThreadBodies", ThreadBodiesRaw);
  Options.store(Opts, "LockTypes", LockTypesRaw);
  Options.store(Opts, "SafeTypes", SafeTypesRaw);
  Options.store(Opts, "IntegerFlags", IntegerFlagsRaw);
}

void PlainStopFlagCheck::onStartOfTranslationUnit() {
  Ctx = nullptr;
  Units.clear();
  Entries.clear();
  OnThread.clear();
  Writes.clear();
  Loops.clear();
  ClosedClasses.clear();
  CallKinds.clear();
  LockTypeCache.clear();
  Reported.clear();
  ThreadTypes.clearCache();
}

void PlainStopFlagCheck::registerMatchers(MatchFinder *Finder) {
  Finder->addMatcher(functionDecl(isDefinition(), unless(isExpansionInSystemHeader())).bind("fn"), this);
}

void PlainStopFlagCheck::check(const MatchFinder::MatchResult &Result) {
  const auto *FD = Result.Nodes.getNodeAs<FunctionDecl>("fn");
  Ctx = Result.Context;
  // Templates are judged by their pattern; lambdas are walked from the function that holds them.
  if (!FD || !FD->hasBody() || FD->isTemplateInstantiation() || FD->isImplicit() ||
      (isa<CXXMethodDecl>(FD) && cast<CXXMethodDecl>(FD)->getParent()->isLambda()))
    return;
  const Stmt *Body = FD->getBody();
  if (!Body)
    return;
  const FunctionDecl *Key = canon(FD);
  Unit &U = Units[Key];
  U.Def = FD;
  U.Body = Body;
  // In source order (the member initializers run before the body): LastSpawn relies on it.
  FlagWalker W{*this, Key};
  if (const auto *Ctor = dyn_cast<CXXConstructorDecl>(FD))
    for (const CXXCtorInitializer *Init : Ctor->inits()) {
      if (!Init->isWritten())
        continue;
      W.walk(Init->getInit());
      if (const FieldDecl *Member = Init->getMember())
        W.dependentConstruction(Member->getType(), Init->getInit());
    }
  W.walk(Body);
}

const ValueDecl *PlainStopFlagCheck::flagOf(const Expr *E, bool AsFlag, bool AnyType) {
  E = strip(E);
  if (!E)
    return nullptr;
  const ValueDecl *D = nullptr;
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
    const auto *VD = dyn_cast<VarDecl>(DRE->getDecl());
    if (!VD || !VD->hasGlobalStorage() || VD->isStaticLocal())
      return nullptr;
    D = VD;
  } else if (const auto *ME = dyn_cast<MemberExpr>(E)) {
    D = ME->getMemberDecl();
    if (const auto *VD = dyn_cast<VarDecl>(D); VD && !VD->hasGlobalStorage())
      return nullptr;
    if (!isa<FieldDecl, VarDecl>(D))
      return nullptr;
    // A member of a local object (not through a pointer or reference) belongs to this function.
    if (const auto *Base = dyn_cast<DeclRefExpr>(strip(ME->getBase())); Base && !ME->isArrow())
      if (const auto *BV = dyn_cast<VarDecl>(Base->getDecl());
          BV && BV->hasLocalStorage() && !BV->getType()->isReferenceType())
        return nullptr;
  } else {
    return nullptr;
  }
  QualType T = D->getType();
  if (T.isNull() || T->isReferenceType() || T->isDependentType() || T->isAtomicType() ||
      T.isConstQualified())
    return nullptr;
  if (T.isVolatileQualified() && spelledAs(T, sigAtomic()))
    return nullptr;
  if (isSafeType(T))
    return nullptr;
  if (T->isBooleanType())
    return D;
  if (T->isIntegralOrEnumerationType() && (AnyType || (AsFlag && IntegerFlags)))
    return D;
  return nullptr;
}

bool PlainStopFlagCheck::beforeThreads(const Write &W, const SourceManager &SM) const {
  auto It = Units.find(W.Unit);
  const Stmt *Spawn = It == Units.end() ? nullptr : It->second.LastSpawn;
  if (!Spawn)
    return isa<CXXConstructorDecl>(W.Unit);
  return SM.isBeforeInTranslationUnit(W.Site->getBeginLoc(), Spawn->getBeginLoc());
}

unsigned PlainStopFlagCheck::classify(const CallExpr &Call, const FunctionDecl &FD) {
  // A member call also matches through the object's class (CallList): part of the key.
  const CXXRecordDecl *Obj = nullptr;
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(&Call))
    if (const Expr *O = MC->getImplicitObjectArgument()) {
      QualType T = O->IgnoreParenImpCasts()->getType();
      Obj = (T->isPointerType() ? T->getPointeeType() : T)->getAsCXXRecordDecl();
    }
  auto [It, Inserted] = CallKinds.try_emplace({&FD, Obj}, 0);
  if (!Inserted)
    return It->second;
  unsigned Kind = 0;
  if (Waiting.matches(Call) || (isa<CXXMemberCallExpr>(Call) && locks::isNamed(&FD, locks::LockMethods)))
    Kind |= CK_Waits;
  if (SpinHints.matches(FD))
    Kind |= CK_SpinHint;
  else if (!FD.isDefined() || (isa<CXXMethodDecl>(FD) && cast<CXXMethodDecl>(FD).isVirtual()))
    Kind |= CK_Opaque;
  if (SpawnFunctions.matches(FD) || classifyTetherSpawn(&Call))
    Kind |= CK_Spawn;
  It = CallKinds.find({&FD, Obj});
  It->second = Kind;
  return Kind;
}

bool PlainStopFlagCheck::isLockType(const CXXRecordDecl *RD) {
  if (!RD)
    return false;
  auto [It, Inserted] = LockTypeCache.try_emplace(RD, false);
  if (Inserted)
    It->second = LockTypes.matches(*RD);
  return It->second;
}

bool PlainStopFlagCheck::isSafeType(QualType T) const { return !SafeTypes.empty() && spelledAs(T, SafeTypes); }

bool PlainStopFlagCheck::allWritersVisible(const ValueDecl *Flag) const {
  const CXXRecordDecl *RD = nullptr;
  if (const auto *VD = dyn_cast<VarDecl>(Flag)) {
    if (!VD->isStaticDataMember())
      return !VD->isExternallyVisible();
    RD = dyn_cast<CXXRecordDecl>(VD->getDeclContext());
  } else {
    RD = dyn_cast<CXXRecordDecl>(Flag->getDeclContext());
  }
  if (!RD || Flag->getAccess() != AS_private)
    return false;
  auto [It, Inserted] = ClosedClasses.try_emplace(RD, true);
  if (!Inserted)
    return It->second;
  bool Closed = RD->friend_begin() == RD->friend_end();
  for (const Decl *D : RD->decls()) {
    if (!Closed)
      break;
    const FunctionDecl *M = dyn_cast<FunctionDecl>(D);
    if (const auto *FT = dyn_cast<FunctionTemplateDecl>(D))
      M = FT->getTemplatedDecl();
    if (!M || M->isImplicit() || M->isDefaulted() || M->isDeleted() || M->isPureVirtual())
      continue;
    if (!M->isDefined())
      Closed = false;
  }
  It = ClosedClasses.find(RD);
  It->second = Closed;
  return Closed;
}

bool PlainStopFlagCheck::underLock(const Unit &U, const Stmt *Target, ASTContext &Ctx) {
  // 0: not found; 1: found, no lock held; 2: found with a lock held.
  std::function<int(const Stmt *, bool)> Find = [&](const Stmt *S, bool Held) -> int {
    if (S == Target)
      return Held ? 2 : 1;
    if (!S || isa<LambdaExpr, BlockExpr>(S))
      return 0;
    if (const auto *Block = dyn_cast<CompoundStmt>(S)) {
      bool H = Held;
      for (const Stmt *Child : Block->body()) {
        if (int R = Find(Child, H))
          return R;
        if (const auto *DS = dyn_cast<DeclStmt>(Child)) {
          for (const Decl *D : DS->decls())
            if (const auto *VD = dyn_cast<VarDecl>(D))
              if (const CXXRecordDecl *RD = VD->getType()->getAsCXXRecordDecl();
                  isLockType(RD) && locks::holdsFromConstruction(*VD))
                H = true;
        } else if (const auto *Call = dyn_cast<CallExpr>(Child)) {
          const FunctionDecl *FD = Call->getDirectCallee();
          bool Member = isa<CXXMemberCallExpr>(Call);
          if ((Member && locks::isNamed(FD, locks::AcquireMethods)) ||
              (!Member && locks::isNamed(FD, PthreadLock)))
            H = true;
          else if ((Member && (locks::isNamed(FD, locks::UnlockMethods) || locks::isNamed(FD, locks::ReleaseMethods))) ||
                   (!Member && locks::isNamed(FD, PthreadUnlock)))
            H = Held;
        }
      }
      return 0;
    }
    for (const Stmt *Child : S->children())
      if (int R = Find(Child, Held))
        return R;
    return 0;
  };
  return Find(U.Body, false) == 2;
}

void PlainStopFlagCheck::computeThreads() {
  llvm::SmallSetVector<const FunctionDecl *, 32> Work;
  for (const FunctionDecl *E : Entries)
    Work.insert(E);
  if (!ThreadBodies.empty())
    for (const auto &[Key, U] : Units) {
      if (ThreadBodies.matches(*Key)) {
        Work.insert(Key);
        continue;
      }
      const auto *MD = dyn_cast<CXXMethodDecl>(Key);
      llvm::SmallVector<const CXXMethodDecl *, 4> Over;
      if (MD)
        Over.append(MD->begin_overridden_methods(), MD->end_overridden_methods());
      for (unsigned I = 0; I < Over.size() && I < 64; ++I) {
        if (ThreadBodies.matches(*Over[I])) {
          Work.insert(Key);
          break;
        }
        Over.append(Over[I]->begin_overridden_methods(), Over[I]->end_overridden_methods());
      }
    }
  for (unsigned I = 0; I < Work.size(); ++I) {
    auto It = Units.find(Work[I]);
    if (It != Units.end())
      for (const FunctionDecl *F : It->second.Callees)
        Work.insert(F);
  }
  OnThread.insert(Work.begin(), Work.end());
}

void PlainStopFlagCheck::onEndOfTranslationUnit() {
  if (!Ctx || Loops.empty())
    return;
  computeThreads();
  for (const Loop &L : Loops)
    LoopJudge(*this, L, *Ctx).run();
}

} // namespace clang::tidy::tether
