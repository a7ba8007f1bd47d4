#include "SpawnSites.h"
#include "../CheapEvaluation.h"
#include "Expressions.h"
#include "Options.h"
#include "TetherApi.h"
#include "Unevaluated.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/StmtCXX.h"
#include "clang/ASTMatchers/ASTMatchers.h"

using namespace clang::ast_matchers;

namespace clang::tidy::tether {

namespace {

const NameList &taskGroupType() {
  static const NameList L({api::TaskGroup});
  return L;
}
const NameList &safeGo() {
  static const NameList L({api::SafeGo});
  return L;
}
const NameList &machineBounds() {
  static const NameList L(llvm::ArrayRef<llvm::StringRef>(std::begin(api::HardwareConcurrency),
                                                          std::end(api::HardwareConcurrency)));
  return L;
}

bool isStdRecord(const CXXRecordDecl *RD, StringRef Name) {
  return RD && RD->isInStdNamespace() && RD->getIdentifier() && RD->getName() == Name;
}

/// The limit an argument for task_group's `std::optional<std::size_t> limit` parameter gives.
GroupLimit limitOf(const Expr *Arg) {
  if (!Arg)
    return GroupLimit::None;
  const Expr *E = stripConstruction(Arg);
  for (unsigned Depth = 0; E && Depth < 8; ++Depth) {
    if (const auto *ILE = dyn_cast<InitListExpr>(E))
      return ILE->getNumInits() == 0 ? GroupLimit::None : GroupLimit::Bounded;
    if (isStdRecord(E->getType().getNonReferenceType()->getAsCXXRecordDecl(), "nullopt_t"))
      return GroupLimit::None;
    const auto *C = dyn_cast<CXXConstructExpr>(E);
    if (!C || !isStdRecord(C->getConstructor()->getParent(), "optional"))
      break;
    if (C->getNumArgs() == 0)
      return GroupLimit::None; // std::optional<std::size_t>{}
    if (C->getConstructor()->isCopyOrMoveConstructor())
      break; // another optional: its value is not known here
    E = stripConstruction(C->getArg(0));
  }
  // A number, or an optional whose value is decided at run time: the author chose a bound.
  return GroupLimit::Bounded;
}

/// Folds one more visible construction of a group into what is known of its limit.
void addConstruction(const Expr *Init, GroupLimit &Limit, const CXXConstructExpr *&Unlimited) {
  if (const auto *DIE = dyn_cast_or_null<CXXDefaultInitExpr>(Init))
    Init = DIE->getExpr();
  const auto *C = dyn_cast_or_null<CXXConstructExpr>(stripConstruction(Init));
  std::optional<GroupConstruction> G = readGroupConstruction(C);
  if (!G)
    return;
  if (G->Limit == GroupLimit::None) {
    Limit = GroupLimit::None;
    if (!Unlimited)
      Unlimited = G->Construct;
  } else if (Limit == GroupLimit::Unknown) {
    Limit = GroupLimit::Bounded;
  }
}

void groupLimit(const Expr *Group, TetherSpawn &Out) {
  const Expr *E = Group ? Group->IgnoreParenImpCasts() : nullptr;
  if (const auto *DRE = dyn_cast_or_null<DeclRefExpr>(E)) {
    const auto *VD = dyn_cast<VarDecl>(DRE->getDecl());
    if (!VD || isa<ParmVarDecl>(VD) || VD->getType()->isReferenceType())
      return;
    addConstruction(VD->getInit(), Out.Limit, Out.UnlimitedConstruction);
  } else if (const auto *ME = dyn_cast_or_null<MemberExpr>(E)) {
    const auto *FD = dyn_cast<FieldDecl>(ME->getMemberDecl());
    if (!FD || FD->getType()->isReferenceType())
      return;
    if (FD->hasInClassInitializer())
      addConstruction(FD->getInClassInitializer(), Out.Limit, Out.UnlimitedConstruction);
    const auto *RD = dyn_cast<CXXRecordDecl>(FD->getParent());
    if (!RD)
      return;
    for (const CXXConstructorDecl *Ctor : RD->ctors()) {
      const FunctionDecl *Def = nullptr;
      if (!Ctor->hasBody(Def))
        continue;
      for (const CXXCtorInitializer *Init : cast<CXXConstructorDecl>(Def)->inits())
        if (Init->getMember() &&
            Init->getMember()->getCanonicalDecl() == FD->getCanonicalDecl())
          addConstruction(Init->getInit(), Out.Limit, Out.UnlimitedConstruction);
    }
  }
}

/// A call of tether::safe_go (resolved or not), with its context and component arguments.
TetherSpawn safeGoSpawn(const CallExpr *Call) {
  TetherSpawn T;
  T.Call = Call;
  T.Kind = SpawnKind::SafeGo;
  if (Call->getNumArgs() > api::SafeGoContextArg)
    T.Context = Call->getArg(api::SafeGoContextArg);
  if (Call->getNumArgs() > api::SafeGoComponentArg)
    T.Component = Call->getArg(api::SafeGoComponentArg);
  return T;
}

} // namespace

std::optional<GroupConstruction> readGroupConstruction(const CXXConstructExpr *E) {
  if (!E)
    return std::nullopt;
  const CXXConstructorDecl *C = E->getConstructor();
  if (!C || C->isCopyOrMoveConstructor() || !taskGroupType().matches(*C->getParent()))
    return std::nullopt;
  auto Arg = [E](unsigned I) -> const Expr * {
    if (I >= E->getNumArgs() || isa<CXXDefaultArgExpr>(E->getArg(I)))
      return nullptr;
    return E->getArg(I);
  };
  GroupConstruction G;
  G.Construct = E;
  G.Parent = Arg(api::GroupParentArg);
  G.Component = Arg(api::GroupComponentArg);
  G.Limit = limitOf(Arg(api::GroupLimitArg));
  return G;
}

std::optional<TetherSpawn> classifyTetherSpawn(const CallExpr *Call) {
  const FunctionDecl *FD = Call ? Call->getDirectCallee() : nullptr;
  if (!FD || !FD->getIdentifier())
    return std::nullopt;
  TetherSpawn T;
  T.Call = Call;
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(Call)) {
    const auto *MD = dyn_cast<CXXMethodDecl>(FD);
    if (!MD || !taskGroupType().matches(*MD->getParent()))
      return std::nullopt;
    if (FD->getName() == "spawn")
      T.Kind = SpawnKind::GroupSpawn;
    else if (FD->getName() == "try_spawn")
      T.Kind = SpawnKind::GroupTrySpawn;
    else
      return std::nullopt;
    T.Group = MC->getImplicitObjectArgument();
    groupLimit(T.Group, T);
    return T;
  }
  if (!safeGo().matches(*FD))
    return std::nullopt;
  return safeGoSpawn(Call);
}

std::optional<TetherSpawn> classifyUnresolvedTetherSpawn(const CallExpr *Call) {
  const auto *OE = Call ? dyn_cast<OverloadExpr>(Call->getCallee()->IgnoreParens()) : nullptr;
  const IdentifierInfo *II = OE ? OE->getName().getAsIdentifierInfo() : nullptr;
  if (!II)
    return std::nullopt;
  TetherSpawn T;
  T.Call = Call;
  if (const auto *UME = dyn_cast<UnresolvedMemberExpr>(OE)) {
    if (II->getName() == "spawn")
      T.Kind = SpawnKind::GroupSpawn;
    else if (II->getName() == "try_spawn")
      T.Kind = SpawnKind::GroupTrySpawn;
    else
      return std::nullopt;
    const CXXRecordDecl *RD = UME->getNamingClass();
    if (!RD || !taskGroupType().matches(*RD) || UME->isImplicitAccess())
      return std::nullopt;
    T.Group = UME->getBase();
    groupLimit(T.Group, T);
    return T;
  }
  if (!llvm::any_of(OE->decls(), [](const NamedDecl *D) {
        const FunctionDecl *FD = D->getUnderlyingDecl()->getAsFunction();
        return FD && safeGo().matches(*FD);
      }))
    return std::nullopt;
  return safeGoSpawn(Call);
}

// ---------------------------------------------------------------------------------------------
// Trip counts.
// ---------------------------------------------------------------------------------------------
namespace {

std::optional<int64_t> constantInt(const Expr *E, const ASTContext &Ctx) {
  // With a step budget: a bound computed by an expensive constexpr function is not "constant".
  std::optional<llvm::APSInt> V = E ? evaluateIntCheaply(E, Ctx) : std::nullopt;
  if (!V || V->getSignificantBits() > 63)
    return std::nullopt;
  return V->getExtValue();
}

/// Is \p E bounded by the machine (hardware_concurrency(), pool_threads()), possibly combined with
/// constants?
bool machineBounded(const Expr *E, const ASTContext &Ctx, unsigned Depth = 0) {
  if (!E || Depth > 6)
    return false;
  E = stripConstruction(E)->IgnoreParenCasts();
  auto ConstOrMachine = [&](const Expr *X) {
    return constantInt(X, Ctx).has_value() || machineBounded(X, Ctx, Depth + 1);
  };
  if (const auto *Call = dyn_cast<CallExpr>(E)) {
    const FunctionDecl *FD = Call->getDirectCallee();
    if (!FD)
      return false;
    if (machineBounds().matches(*FD))
      return true;
    if (FD->isInStdNamespace() && FD->getIdentifier() && Call->getNumArgs() > 0) {
      if (FD->getName() == "min")
        return llvm::any_of(Call->arguments(),
                            [&](const Expr *A) { return machineBounded(A, Ctx, Depth + 1); });
      if (FD->getName() == "max" || FD->getName() == "clamp")
        return llvm::all_of(Call->arguments(), ConstOrMachine) &&
               llvm::any_of(Call->arguments(),
                            [&](const Expr *A) { return machineBounded(A, Ctx, Depth + 1); });
    }
    return false;
  }
  if (const auto *BO = dyn_cast<BinaryOperator>(E)) {
    switch (BO->getOpcode()) {
    case BO_Mul:
    case BO_Add:
    case BO_Sub:
      return (machineBounded(BO->getLHS(), Ctx, Depth + 1) && constantInt(BO->getRHS(), Ctx)) ||
             (constantInt(BO->getLHS(), Ctx) && machineBounded(BO->getRHS(), Ctx, Depth + 1));
    case BO_Div:
    case BO_Shr:
    case BO_Shl:
      return machineBounded(BO->getLHS(), Ctx, Depth + 1) && constantInt(BO->getRHS(), Ctx);
    default:
      return false;
    }
  }
  if (const auto *CO = dyn_cast<ConditionalOperator>(E))
    return ConstOrMachine(CO->getTrueExpr()) && ConstOrMachine(CO->getFalseExpr()) &&
           (machineBounded(CO->getTrueExpr(), Ctx, Depth + 1) ||
            machineBounded(CO->getFalseExpr(), Ctx, Depth + 1));
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E))
    if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()); VD && !isa<ParmVarDecl>(VD))
      if (const Expr *Init = VD->getAnyInitializer())
        return machineBounded(Init, Ctx, Depth + 1);
  return false;
}

const VarDecl *inductionVar(const Expr *E) {
  const auto *DRE = dyn_cast_or_null<DeclRefExpr>(E ? E->IgnoreParenImpCasts() : nullptr);
  return DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
}

TripCount countedFor(const ForStmt *F, ASTContext &Ctx) {
  TripCount Unbounded;
  // Start: `int i = A` or `i = A`.
  const VarDecl *IV = nullptr;
  const Expr *Start = nullptr;
  if (const auto *DS = dyn_cast_or_null<DeclStmt>(F->getInit()); DS && DS->isSingleDecl()) {
    IV = dyn_cast<VarDecl>(DS->getSingleDecl());
    Start = IV ? IV->getInit() : nullptr;
  } else if (const auto *BO = dyn_cast_or_null<BinaryOperator>(F->getInit());
             BO && BO->getOpcode() == BO_Assign) {
    IV = inductionVar(BO->getLHS());
    Start = BO->getRHS();
  }
  if (!IV || !Start)
    return Unbounded;
  // Condition: `i OP B` or `B OP i`.
  const auto *Cond = dyn_cast_or_null<BinaryOperator>(F->getCond()->IgnoreParenImpCasts());
  if (!Cond || !(Cond->isRelationalOp() || Cond->getOpcode() == BO_NE))
    return Unbounded;
  BinaryOperatorKind Op = Cond->getOpcode();
  const Expr *Bound = nullptr;
  if (inductionVar(Cond->getLHS()) == IV) {
    Bound = Cond->getRHS();
  } else if (inductionVar(Cond->getRHS()) == IV) {
    Bound = Cond->getLHS();
    Op = BinaryOperator::reverseComparisonOp(Op);
  } else {
    return Unbounded;
  }
  // Step: ++i, i++, --i, i--, i += k, i -= k.
  int64_t Step = 0;
  const Expr *Inc = F->getInc() ? F->getInc()->IgnoreParenImpCasts() : nullptr;
  if (const auto *UO = dyn_cast_or_null<UnaryOperator>(Inc); UO && inductionVar(UO->getSubExpr()) == IV) {
    Step = UO->isIncrementOp() ? 1 : UO->isDecrementOp() ? -1 : 0;
  } else if (const auto *CA = dyn_cast_or_null<CompoundAssignOperator>(Inc);
             CA && inductionVar(CA->getLHS()) == IV) {
    if (std::optional<int64_t> K = constantInt(CA->getRHS(), Ctx))
      Step = CA->getOpcode() == BO_AddAssign ? *K : CA->getOpcode() == BO_SubAssign ? -*K : 0;
  }
  if (Step == 0)
    return Unbounded;
  if (machineBounded(Bound, Ctx) || machineBounded(Start, Ctx))
    return {TripCount::Machine, 0};
  std::optional<int64_t> S = constantInt(Start, Ctx), B = constantInt(Bound, Ctx);
  if (!S || !B)
    return Unbounded;
  // Work in the direction of the step.
  __int128 From = *S, To = *B, K = Step;
  if (Step < 0) {
    From = -From;
    To = -To;
    K = -K;
    Op = BinaryOperator::reverseComparisonOp(Op);
  }
  __int128 N;
  switch (Op) {
  case BO_LT:
    N = To > From ? (To - From + K - 1) / K : 0;
    break;
  case BO_LE:
    N = To >= From ? (To - From) / K + 1 : 0;
    break;
  case BO_NE:
    if (To < From || (To - From) % K != 0)
      return Unbounded;
    N = (To - From) / K;
    break;
  default:
    // Counting up while i > B (or >=): never runs, or runs until overflow.
    if ((Op == BO_GT && !(From > To)) || (Op == BO_GE && !(From >= To)))
      return {TripCount::Constant, 0};
    return Unbounded;
  }
  return {TripCount::Constant, N > INT64_MAX ? uint64_t(INT64_MAX) : uint64_t(N)};
}

TripCount rangeFor(const CXXForRangeStmt *F, ASTContext &Ctx) {
  const Expr *Range = F->getRangeInit();
  if (!Range)
    return {};
  QualType T = Range->getType().getNonReferenceType();
  if (const auto *CAT = Ctx.getAsConstantArrayType(T))
    return {TripCount::Constant, CAT->getSize().getLimitedValue()};
  if (const auto *Spec = dyn_cast_or_null<ClassTemplateSpecializationDecl>(T->getAsCXXRecordDecl());
      Spec && isStdRecord(Spec, "array") && Spec->getTemplateArgs().size() == 2 &&
      Spec->getTemplateArgs()[1].getKind() == TemplateArgument::Integral)
    return {TripCount::Constant, Spec->getTemplateArgs()[1].getAsIntegral().getLimitedValue()};
  if (const auto *IL = dyn_cast<CXXStdInitializerListExpr>(stripConstruction(Range)))
    if (const auto *ILE = dyn_cast<InitListExpr>(stripConstruction(IL->getSubExpr())))
      return {TripCount::Constant, ILE->getNumInits()};
  return {};
}

const NameList &alwaysFalse() {
  // googletest wraps its assertion macros in `do { ... } while (::testing::internal::AlwaysFalse())`:
  // false, but opaque to the compiler on purpose (no "constant condition" warnings).
  static constexpr llvm::StringLiteral Name = "::testing::internal::AlwaysFalse";
  static const NameList L({Name});
  return L;
}

bool constantlyFalse(const Expr *Cond, const ASTContext &Ctx) {
  if (!Cond || Cond->isValueDependent() || Cond->isTypeDependent())
    return false;
  if (const auto *Call = dyn_cast<CallExpr>(Cond->IgnoreParenImpCasts());
      Call && Call->getNumArgs() == 0 && Call->getDirectCallee() &&
      alwaysFalse().matches(*Call->getDirectCallee()))
    return true;
  return evaluateConditionCheaply(Cond, Ctx) == std::optional<bool>(false);
}

} // namespace

TripCount tripCount(const Stmt *Loop, ASTContext &Ctx) {
  if (const auto *D = dyn_cast<DoStmt>(Loop))
    return constantlyFalse(D->getCond(), Ctx) ? TripCount{TripCount::Constant, 1} : TripCount{};
  if (const auto *W = dyn_cast<WhileStmt>(Loop))
    return constantlyFalse(W->getCond(), Ctx) ? TripCount{TripCount::Constant, 0} : TripCount{};
  if (const auto *F = dyn_cast<ForStmt>(Loop)) {
    if (!F->getCond())
      return {};
    if (constantlyFalse(F->getCond(), Ctx))
      return {TripCount::Constant, 0};
    return countedFor(F, Ctx);
  }
  if (const auto *R = dyn_cast<CXXForRangeStmt>(Loop))
    return rangeFor(R, Ctx);
  return {};
}

FanOut fanOut(const LoopIndex &Loops, const Stmt *Site, ASTContext &Ctx) {
  FanOut F;
  for (const LoopIndex::Repeating &R : Loops.loopsRepeating(Site, Ctx.getSourceManager())) {
    if (R.ExitsAfter)
      continue;
    TripCount TC = tripCount(R.Loop, Ctx);
    if (TC.K == TripCount::Unbounded) {
      F.UnboundedLoop = R.Loop;
      break;
    }
    if (TC.K == TripCount::Constant) {
      F.ConstantProduct = TC.N == 0 ? 0
                          : F.ConstantProduct > UINT64_MAX / TC.N ? UINT64_MAX
                                                                   : F.ConstantProduct * TC.N;
      if (!F.OutermostCounted)
        F.OutermostCounted = R.Loop;
    }
  }
  return F;
}

void spawnedCallables(const Expr *Arg, llvm::SmallVectorImpl<const FunctionDecl *> &Out) {
  llvm::SmallVector<const Stmt *, 8> Work{Arg};
  while (!Work.empty()) {
    const Stmt *S = Work.pop_back_val();
    if (!S)
      continue;
    if (const auto *L = dyn_cast<LambdaExpr>(S)) {
      Out.push_back(L->getCallOperator()->getCanonicalDecl());
      for (const Expr *Init : L->capture_inits())
        Work.push_back(Init);
      continue;
    }
    if (const auto *DRE = dyn_cast<DeclRefExpr>(S)) {
      if (const auto *FD = dyn_cast<FunctionDecl>(DRE->getDecl()))
        Out.push_back(FD->getCanonicalDecl());
      continue;
    }
    if (const auto *E = dyn_cast<Expr>(S); E && (isa<CXXConstructExpr, CXXTemporaryObjectExpr>(E)))
      if (const CXXRecordDecl *RD = E->getType()->getAsCXXRecordDecl();
          RD && RD->hasDefinition() && !RD->isLambda())
        for (const CXXMethodDecl *M : RD->methods())
          if (M->getOverloadedOperator() == OO_Call)
            Out.push_back(M->getCanonicalDecl());
    for (const Stmt *Child : S->children())
      Work.push_back(Child);
  }
}

SourceLocation loopKeyword(const Stmt *Loop) {
  if (const auto *F = dyn_cast<ForStmt>(Loop))
    return F->getForLoc();
  if (const auto *W = dyn_cast<WhileStmt>(Loop))
    return W->getWhileLoc();
  if (const auto *D = dyn_cast<DoStmt>(Loop))
    return D->getDoLoc();
  if (const auto *R = dyn_cast<CXXForRangeStmt>(Loop))
    return R->getForLoc();
  return Loop->getBeginLoc();
}

llvm::SmallVector<const Stmt *, 4> loopRepeatedParts(const Stmt *Loop) {
  llvm::SmallVector<const Stmt *, 4> Parts;
  auto Add = [&](const Stmt *S) {
    if (S)
      Parts.push_back(S);
  };
  if (const auto *F = dyn_cast<ForStmt>(Loop)) {
    Add(F->getConditionVariableDeclStmt());
    Add(F->getCond());
    Add(F->getInc());
    Add(F->getBody());
  } else if (const auto *W = dyn_cast<WhileStmt>(Loop)) {
    Add(W->getConditionVariableDeclStmt());
    Add(W->getCond());
    Add(W->getBody());
  } else if (const auto *D = dyn_cast<DoStmt>(Loop)) {
    Add(D->getBody());
    Add(D->getCond());
  } else if (const auto *R = dyn_cast<CXXForRangeStmt>(Loop)) {
    Add(R->getLoopVarStmt());
    Add(R->getBody());
  }
  return Parts;
}

// ---------------------------------------------------------------------------------------------
// LoopIndex.
// ---------------------------------------------------------------------------------------------
namespace {

constexpr llvm::StringLiteral LoopID = "tether-loop-index";

bool isLoopOrSwitch(const Stmt *S) {
  return isa<ForStmt, WhileStmt, DoStmt, CXXForRangeStmt, SwitchStmt>(S);
}

/// The path from one of \p Loop's repeated parts down to \p Site (both included), or empty if the site
/// is not run by the loop itself. Iterative: bodies can be deep.
llvm::SmallVector<const Stmt *, 16> pathTo(const Stmt *Loop, const Stmt *Site) {
  struct Node {
    const Stmt *S;
    int Parent;
  };
  std::vector<Node> Nodes;
  llvm::SmallVector<int, 32> Work;
  for (const Stmt *P : loopRepeatedParts(Loop)) {
    Nodes.push_back({P, -1});
    Work.push_back(static_cast<int>(Nodes.size()) - 1);
  }
  while (!Work.empty()) {
    int I = Work.pop_back_val();
    const Stmt *S = Nodes[I].S;
    if (S == Site) {
      llvm::SmallVector<const Stmt *, 16> Path;
      for (int J = I; J >= 0; J = Nodes[J].Parent)
        Path.push_back(Nodes[J].S);
      std::reverse(Path.begin(), Path.end());
      return Path;
    }
    // Code that runs elsewhere or never: not repeated by this loop.
    if (isa<LambdaExpr, BlockExpr>(S) || isUnevaluatedOperandRoot(*S))
      continue;
    for (const Stmt *C : S->children())
      if (C) {
        Nodes.push_back({C, I});
        Work.push_back(static_cast<int>(Nodes.size()) - 1);
      }
  }
  return {};
}

/// Is the last element of \p Path followed, in one of the compound statements on the path, by an
/// unconditional exit from the loop at the path's root?
bool exitsAfter(llvm::ArrayRef<const Stmt *> Path) {
  bool BreakOwned = true, InTry = false;
  for (size_t I = 0; I + 1 < Path.size(); ++I) {
    const Stmt *S = Path[I];
    if (isLoopOrSwitch(S))
      BreakOwned = false;
    if (isa<CXXTryStmt>(S))
      InTry = true;
    const auto *CS = dyn_cast<CompoundStmt>(S);
    if (!CS)
      continue;
    bool After = false;
    for (const Stmt *Child : CS->body()) {
      if (Child == Path[I + 1]) {
        After = true;
        continue;
      }
      if (!After)
        continue;
      if ((isa<BreakStmt>(Child) && BreakOwned) || isa<ReturnStmt, CoreturnStmt>(Child))
        return true;
      if (const auto *E = dyn_cast<Expr>(Child); E && !InTry &&
                                                 isa<CXXThrowExpr>(E->IgnoreParenImpCasts()))
        return true;
    }
  }
  return false;
}

} // namespace

void LoopIndex::registerMatchers(MatchFinder *Finder, MatchFinder::MatchCallback *Callback) {
  auto NotSystem = unless(isExpansionInSystemHeader());
  Finder->addMatcher(forStmt(NotSystem).bind(LoopID), Callback);
  Finder->addMatcher(whileStmt(NotSystem).bind(LoopID), Callback);
  Finder->addMatcher(doStmt(NotSystem).bind(LoopID), Callback);
  Finder->addMatcher(cxxForRangeStmt(NotSystem).bind(LoopID), Callback);
}

bool LoopIndex::record(const MatchFinder::MatchResult &Result) {
  const auto *Loop = Result.Nodes.getNodeAs<Stmt>(LoopID);
  if (!Loop)
    return false;
  const SourceManager &SM = *Result.SourceManager;
  SourceLocation Begin = SM.getExpansionLoc(Loop->getBeginLoc());
  SourceLocation End = SM.getExpansionRange(Loop->getEndLoc()).getEnd();
  auto [BeginFile, BeginOffset] = SM.getDecomposedLoc(Begin);
  auto [EndFile, EndOffset] = SM.getDecomposedLoc(End);
  if (BeginFile.isValid() && BeginFile == EndFile && BeginOffset <= EndOffset)
    Loops.push_back({Loop, BeginFile, BeginOffset, EndOffset});
  return true;
}

llvm::SmallVector<LoopIndex::Repeating, 2>
LoopIndex::loopsRepeating(const Stmt *Site, const SourceManager &SM) const {
  llvm::SmallVector<Repeating, 2> Out;
  if (Loops.empty() || !Site)
    return Out;
  auto [File, Offset] = SM.getDecomposedLoc(SM.getExpansionLoc(Site->getBeginLoc()));
  for (const Recorded &R : Loops) {
    if (R.File != File || Offset < R.Begin || Offset > R.End)
      continue;
    llvm::SmallVector<const Stmt *, 16> Path = pathTo(R.Loop, Site);
    if (!Path.empty())
      Out.push_back({R.Loop, exitsAfter(Path)});
  }
  return Out;
}

} // namespace clang::tidy::tether
