#include "UnguardedLoopCheck.h"
#include "utils/Cancellation.h"
#include "utils/SpawnSites.h"
#include "utils/Unevaluated.h"
#include "CheapEvaluation.h"
#include "OptionUtils.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/StmtCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Lex/Lexer.h"
#include "llvm/ADT/SmallPtrSet.h"
#include <deque>

using namespace clang::ast_matchers;

namespace clang::tidy::tether {

namespace {

constexpr llvm::StringLiteral Message =
    "loop never exits and never checks for cancellation; check a 'std::stop_token' or "
    "'tether::context' in it, or use 'tether::every' for periodic work";
constexpr llvm::StringLiteral StrictMessage =
    "loop never checks for cancellation (StrictMode): check a 'std::stop_token' or "
    "'tether::context' in it, or use 'tether::every' for periodic work";
constexpr llvm::StringLiteral SleepNote =
    "sleeps without looking at cancellation; use 'tether::sleep_for(ctx, d)' which returns early "
    "on cancellation";
// C has neither std::stop_token nor the tether runtime: the remedy there is a stop flag.
constexpr llvm::StringLiteral MessageC =
    "loop never exits and never checks for cancellation; check an atomic stop flag in it (or "
    "call 'pthread_testcancel') so that its owner can stop it";
constexpr llvm::StringLiteral StrictMessageC =
    "loop never checks for cancellation (StrictMode): check an atomic stop flag in it (or call "
    "'pthread_testcancel') so that its owner can stop it";
constexpr llvm::StringLiteral SleepNoteC =
    "sleeps without looking at cancellation; wait on a condition variable with a timeout "
    "instead, so that a stop request wakes it";

/// The members of std::atomic<bool> / std::atomic_flag that read the flag.
constexpr llvm::StringLiteral AtomicReadMembers[] = {
    "load", "exchange", "compare_exchange_weak", "compare_exchange_strong", "wait", "test",
    "test_and_set"};

/// Is \p T (through `_Atomic`) a boolean? For C's `atomic_bool` / `_Atomic _Bool` and the GNU
/// `__atomic_*` builtins on a `bool`.
bool isAtomicBoolValue(QualType T) {
  if (T.isNull())
    return false;
  if (const auto *AT = T->getAs<AtomicType>())
    T = AT->getValueType();
  return T->isBooleanType();
}

/// Does \p E (a C11 `__c11_atomic_*` or GNU `__atomic_*` builtin, which C's <stdatomic.h>
/// expands to) read a boolean flag? Loads, exchanges, compare-exchanges and test-and-set.
bool isAtomicBoolRead(const AtomicExpr *E) {
  switch (E->getOp()) {
  case AtomicExpr::AO__c11_atomic_load:
  case AtomicExpr::AO__c11_atomic_exchange:
  case AtomicExpr::AO__c11_atomic_compare_exchange_strong:
  case AtomicExpr::AO__c11_atomic_compare_exchange_weak:
  case AtomicExpr::AO__atomic_load:
  case AtomicExpr::AO__atomic_load_n:
  case AtomicExpr::AO__atomic_exchange:
  case AtomicExpr::AO__atomic_exchange_n:
  case AtomicExpr::AO__atomic_compare_exchange:
  case AtomicExpr::AO__atomic_compare_exchange_n:
  case AtomicExpr::AO__atomic_test_and_set:
    break;
  default:
    return false;
  }
  const Expr *Ptr = E->getPtr();
  if (!Ptr || Ptr->isTypeDependent())
    return false;
  QualType T = Ptr->getType();
  if (!T->isPointerType())
    return false;
  T = T->getPointeeType();
  // __atomic_test_and_set works on any byte: it is a flag by nature.
  return E->getOp() == AtomicExpr::AO__atomic_test_and_set || isAtomicBoolValue(T);
}

/// Does a handler of \p Try catch an exception of type \p Thrown (null: a rethrow, type unknown)?
/// A handler of a dependent type sets \p Dependent: instantiations decide.
bool catches(const CXXTryStmt *Try, const Type *Thrown, bool &Dependent) {
  for (unsigned I = 0, N = Try->getNumHandlers(); I != N; ++I) {
    const CXXCatchStmt *H = Try->getHandler(I);
    if (!H->getExceptionDecl())
      return true; // catch (...)
    if (!Thrown)
      continue;
    QualType Caught = H->getCaughtType().getNonReferenceType().getUnqualifiedType();
    if (Caught->isDependentType()) {
      Dependent = true;
      continue;
    }
    QualType E = QualType(Thrown, 0);
    if (E->isPointerType() && Caught->isPointerType()) {
      E = E->getPointeeType().getUnqualifiedType();
      Caught = Caught->getPointeeType().getUnqualifiedType();
    }
    if (E.getCanonicalType() == Caught.getCanonicalType())
      return true;
    const auto *ERD = E->getAsCXXRecordDecl();
    const auto *CRD = Caught->getAsCXXRecordDecl();
    if (ERD && CRD && ERD->hasDefinition() && ERD->isDerivedFrom(CRD))
      return true;
  }
  return false;
}

/// Is \p Loc inside an expansion of an assertion macro (`assert`, `BOOST_ASSERT`, `zmq_assert`:
/// any macro whose name contains "assert", at any depth)? A failed assertion aborts, but it is a
/// bug trap, not a way for the loop to stop: it must not make the loop look guarded.
bool isInAssertMacro(SourceLocation Loc, const SourceManager &SM, const LangOptions &LO) {
  for (unsigned Depth = 0; Loc.isMacroID() && Depth < 16; ++Depth) {
    StringRef Name = Lexer::getImmediateMacroName(Loc, SM, LO);
    if (Name.contains_insensitive("assert"))
      return true;
    Loc = SM.getImmediateMacroCallerLoc(Loc);
  }
  return false;
}

/// One linear walk over a loop's body. It does not enter lambdas, blocks or local classes; it
/// enters nested loops and switches (a plain `break` there is theirs, everything else still counts).
class LoopWalker {
public:
  LoopWalker(UnguardedLoopCheck &Check, const ASTContext &Ctx, const Stmt *Loop, bool StopOnExit)
      : Check(Check), Ctx(Ctx), Loop(Loop), StopOnExit(StopOnExit) {}

  UnguardedLoopCheck::LoopFacts run() {
    auto Push = [&](const Stmt *S) {
      if (S)
        Work.push_back({S, /*BreakOwned=*/true, nullptr});
    };
    // The condition is constant, but may still call something: `while ((void)poll(), true)`.
    for (const Stmt *Part : loopRepeatedParts(Loop))
      Push(Part);
    while (!Work.empty() && !done()) {
      Item It = Work.pop_back_val();
      visit(It);
    }
    // A goto counts as an exit when its label is not inside the loop (nor the loop's own label,
    // which only restarts it).
    if (!done())
      for (const LabelStmt *Target : GotoTargets)
        if (!Target || (!Labels.contains(Target) && Target->getSubStmt() != Loop))
          Facts.HasExit = true;
    return std::move(Facts);
  }

private:
  struct TryScope {
    const CXXTryStmt *Try;
    const TryScope *Parent;
  };
  struct Item {
    const Stmt *S;
    bool BreakOwned; ///< A plain `break` here leaves the analysed loop.
    const TryScope *Tries; ///< Try blocks inside the loop that enclose S.
  };

  bool done() const {
    return Facts.HasCancellation || (StopOnExit && Facts.HasExit);
  }

  void children(const Item &It, bool BreakOwned) {
    for (const Stmt *C : It.S->children())
      if (C)
        Work.push_back({C, BreakOwned, It.Tries});
  }
  void child(const Item &It, const Stmt *C) {
    if (C)
      Work.push_back({C, It.BreakOwned, It.Tries});
  }

  bool caughtInside(const TryScope *T, const Type *Thrown) {
    for (; T; T = T->Parent)
      if (catches(T->Try, Thrown, Facts.Dependent))
        return true;
    return false;
  }

  /// \p AnyMayTakeToken: whether the callee may have a parameter receiving a token (see
  /// mayBindToken); if not, an argument of a dependent type is not one.
  void checkArgs(const Expr *const *Args, unsigned N, bool AnyMayTakeToken = true) {
    for (unsigned I = 0; I != N; ++I) {
      const Expr *A = Args[I];
      if (!A)
        continue;
      if (A->isTypeDependent()) {
        if (AnyMayTakeToken)
          Facts.Dependent = true; // it may be a token, depending on the template arguments
        continue;
      }
      if (Check.isCancellationType(A->getType()))
        Facts.HasCancellation = true;
    }
  }

  /// A callee that clang left unresolved in a template. An overload set (`tether::sleep_for(ctx,
  /// d)`, `pthread_testcancel()` with dependent arguments) is read through its candidates: one that
  /// is a cancellation check makes the loop depend on the template arguments, a sleep gets its note,
  /// and candidates that are all noreturn are an exit. A member or qualified name of a dependent
  /// type (`tok.stop_requested()`, `flag.load()`, `T::poll()`) may be a check if it has the name of
  /// one. Anything else (`fn()`, `t.poll()`) is not a cancellation check whatever the arguments are.
  void visitUnresolvedCallee(const Expr *Callee) {
    if (const auto *OE = dyn_cast<OverloadExpr>(Callee)) {
      bool AllNoReturn = OE->getNumDecls() > 0;
      bool Sleep = false;
      // Argument-dependent lookup may add candidates: any of them may take a token.
      const auto *ULE = dyn_cast<UnresolvedLookupExpr>(OE);
      MayTakeToken = ULE && ULE->requiresADL();
      for (const NamedDecl *D : OE->decls()) {
        const FunctionDecl *Candidate = D->getUnderlyingDecl()->getAsFunction();
        unsigned Flags = Candidate ? Check.classifyCallee(Candidate) : 0;
        if (Candidate && !MayTakeToken)
          MayTakeToken = llvm::any_of(Candidate->parameters(), [&](const ParmVarDecl *P) {
            return mayBindToken(P->getType());
          });
        if (Flags & (UnguardedLoopCheck::CF_Cancellation | UnguardedLoopCheck::CF_AtomicRead |
                     UnguardedLoopCheck::CF_AtomicReadFree))
          Facts.Dependent = true;
        Sleep |= (Flags & UnguardedLoopCheck::CF_Sleep) != 0;
        AllNoReturn &= (Flags & UnguardedLoopCheck::CF_NoReturn) != 0;
      }
      if (Sleep)
        Facts.Sleeps.push_back(Callee->getBeginLoc());
      if (AllNoReturn && !isInAssertMacro(Callee->getBeginLoc(), Ctx.getSourceManager(),
                                          Ctx.getLangOpts()))
        Facts.HasExit = true;
      return;
    }
    MayTakeToken = true; // a callable or member of unknown type
    DeclarationName Name;
    if (const auto *DM = dyn_cast<CXXDependentScopeMemberExpr>(Callee))
      Name = DM->getMember();
    else if (const auto *DR = dyn_cast<DependentScopeDeclRefExpr>(Callee))
      Name = DR->getDeclName();
    if (const IdentifierInfo *II = Name.getAsIdentifierInfo(); // null for an empty name
        II && Check.mayBeCancellationName(II->getName()))
      Facts.Dependent = true;
  }

  /// Can a parameter of type \p T receive a token or context (by value, reference or pointer)? A
  /// cancellation type, or a bare template parameter (`T`, `const T &`, `Args &&...`); not a
  /// `std::chrono::duration<Rep, Period>`.
  bool mayBindToken(QualType T) {
    T = T.getNonReferenceType();
    if (T->isPointerType())
      T = T->getPointeeType();
    if (const auto *PE = T->getAs<PackExpansionType>())
      T = PE->getPattern().getNonReferenceType();
    return T->getAs<TemplateTypeParmType>() || Check.isCancellationType(T);
  }

  /// A condition (or an operand of `!`, `&&`, `||`) of a dependent type naming a variable or
  /// member: `if (stop_)` on a `T stop_` may read an atomic<bool>.
  void visitCondition(const Expr *Cond) {
    if (!Cond)
      return;
    Cond = Cond->IgnoreParenImpCasts();
    if (Cond->isTypeDependent() && isa<DeclRefExpr, MemberExpr, CXXDependentScopeMemberExpr,
                                       DependentScopeDeclRefExpr>(Cond))
      Facts.Dependent = true;
  }

  void visitCall(const CallExpr *Call) {
    const Decl *CalleeD = Call->getCalleeDecl();
    const auto *FD = dyn_cast_or_null<FunctionDecl>(CalleeD);
    if (!FD) {
      const Expr *Callee = Call->getCallee();
      if (!Callee) {
        Facts.Dependent = true;
      } else if (Callee->isTypeDependent() || isa<OverloadExpr>(Callee->IgnoreParens())) {
        // In a template as written: the callee is resolved per instantiation. It may be a
        // cancellation check only if it has the name of one; an overloaded operator is not one, and
        // does not observe the token it may be given.
        if (isa<CXXOperatorCallExpr>(Call))
          return;
        visitUnresolvedCallee(Callee->IgnoreParens());
      } else {
        // A call through a pointer to a noreturn function type.
        QualType T = Callee->getType();
        if (T->isPointerType() || T->isReferenceType())
          T = T->getPointeeType();
        if (const auto *FT = T->getAs<FunctionType>(); FT && FT->getNoReturnAttr())
          Facts.HasExit = true;
      }
    } else {
      unsigned Flags = Check.classifyCallee(FD);
      if ((Flags & UnguardedLoopCheck::CF_NoReturn) &&
          !(Call->getBeginLoc().isMacroID() &&
            isInAssertMacro(Call->getBeginLoc(), Ctx.getSourceManager(), Ctx.getLangOpts())))
        Facts.HasExit = true;
      if (Flags & UnguardedLoopCheck::CF_Cancellation)
        Facts.HasCancellation = true;
      if (Flags & UnguardedLoopCheck::CF_Sleep)
        Facts.Sleeps.push_back(Call->getBeginLoc());
      if (Flags & UnguardedLoopCheck::CF_AtomicRead) {
        if (const auto *MC = dyn_cast<CXXMemberCallExpr>(Call)) {
          if (const Expr *Obj = MC->getImplicitObjectArgument()) {
            QualType T = Obj->getType();
            if (T->isPointerType())
              T = T->getPointeeType();
            if (Check.isAtomicBoolLike(T))
              Facts.HasCancellation = true;
          }
        } else if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(Call);
                   OC && OC->getNumArgs() > 0) {
          if (Check.isAtomicBoolLike(OC->getArg(0)->getType()))
            Facts.HasCancellation = true;
        }
      }
      if ((Flags & UnguardedLoopCheck::CF_AtomicReadFree) && Call->getNumArgs() > 0) {
        QualType T = Call->getArg(0)->getType();
        if (T->isPointerType() && Check.isAtomicBoolLike(T->getPointeeType()))
          Facts.HasCancellation = true;
      }
    }
    // `std::this_thread::sleep_for(interval_)`: no candidate takes a token, whatever the argument.
    if (FD)
      MayTakeToken = FD->isVariadic() || llvm::any_of(FD->parameters(), [&](const ParmVarDecl *P) {
                       return mayBindToken(P->getType());
                     });
    else if (!Call->getCallee() || !(Call->getCallee()->isTypeDependent() ||
                                     isa<OverloadExpr>(Call->getCallee()->IgnoreParens())))
      MayTakeToken = true;
    checkArgs(Call->getArgs(), Call->getNumArgs(), MayTakeToken);
  }

  void visit(const Item &It) {
    const Stmt *S = It.S;
    if (const auto *E = dyn_cast<Expr>(S); E && E->isInstantiationDependent())
      Facts.Pattern = true; // only a template as written holds dependent expressions
    // Code that never runs: unevaluated operands.
    if (isUnevaluatedOperandRoot(*S))
      return;
    switch (S->getStmtClass()) {
    // Code that runs elsewhere: its exits and checks are not the loop's.
    case Stmt::LambdaExprClass:
    case Stmt::BlockExprClass:
      return;

    case Stmt::BreakStmtClass: {
      const auto *B = cast<BreakStmt>(S);
      if (B->hasLabelTarget() ? B->getNamedLoopOrSwitch() == Loop : It.BreakOwned)
        Facts.HasExit = true;
      return;
    }
    case Stmt::ReturnStmtClass:
      Facts.HasExit = true;
      return children(It, It.BreakOwned);
    case Stmt::CoreturnStmtClass:
      Facts.HasExit = true;
      return child(It, cast<CoreturnStmt>(S)->getOperand());
    case Stmt::CoyieldExprClass:
      // A suspension point handing control back to the coroutine's owner, which may destroy it:
      // an infinite generator is not a leaked loop.
      Facts.HasExit = true;
      return child(It, cast<CoyieldExpr>(S)->getOperand());
    case Stmt::CoawaitExprClass:
      return child(It, cast<CoawaitExpr>(S)->getOperand());
    case Stmt::DependentCoawaitExprClass:
      Facts.Dependent = true;
      return child(It, cast<DependentCoawaitExpr>(S)->getOperand());
    case Stmt::CXXThrowExprClass: {
      const auto *T = cast<CXXThrowExpr>(S);
      const Expr *Sub = T->getSubExpr();
      const Type *Thrown = nullptr;
      if (Sub) {
        QualType QT = Sub->getType();
        if (QT->isDependentType()) {
          Facts.Dependent = true;
        } else {
          Thrown = QT.getCanonicalType().getUnqualifiedType().getTypePtr();
        }
      }
      if (!caughtInside(It.Tries, Thrown))
        Facts.HasExit = true;
      return child(It, Sub);
    }
    case Stmt::GotoStmtClass:
      GotoTargets.push_back(cast<GotoStmt>(S)->getLabel()->getStmt());
      return;
    case Stmt::IndirectGotoStmtClass:
      Facts.HasExit = true;
      return children(It, It.BreakOwned);
    case Stmt::LabelStmtClass:
      Labels.insert(cast<LabelStmt>(S));
      return children(It, It.BreakOwned);

    // Nested loops and switches own their plain `break`s.
    case Stmt::ForStmtClass:
    case Stmt::WhileStmtClass:
    case Stmt::DoStmtClass:
    case Stmt::CXXForRangeStmtClass:
    case Stmt::SwitchStmtClass:
      if (const auto *W = dyn_cast<WhileStmt>(S))
        visitCondition(W->getCond());
      else if (const auto *D = dyn_cast<DoStmt>(S))
        visitCondition(D->getCond());
      else if (const auto *F = dyn_cast<ForStmt>(S))
        visitCondition(F->getCond());
      return children(It, /*BreakOwned=*/false);

    case Stmt::CXXTryStmtClass: {
      const auto *Try = cast<CXXTryStmt>(S);
      Scopes.push_back({Try, It.Tries});
      Work.push_back({Try->getTryBlock(), It.BreakOwned, &Scopes.back()});
      for (unsigned I = 0, N = Try->getNumHandlers(); I != N; ++I)
        child(It, Try->getHandler(I));
      return;
    }

    case Stmt::CXXConstructExprClass:
    case Stmt::CXXTemporaryObjectExprClass: {
      const auto *C = cast<CXXConstructExpr>(S);
      // Copying a token is not observing it.
      if (!C->getConstructor()->isCopyOrMoveConstructor())
        checkArgs(C->getArgs(), C->getNumArgs());
      return children(It, It.BreakOwned);
    }

    default:
      break;
    }

    if (const auto *Call = dyn_cast<CallExpr>(S)) {
      visitCall(Call);
    } else if (const auto *AE = dyn_cast<AtomicExpr>(S)) {
      if (isAtomicBoolRead(AE)) // C: atomic_load(&stop), atomic_flag_test_and_set(&f)
        Facts.HasCancellation = true;
    } else if (const auto *IC = dyn_cast<ImplicitCastExpr>(S);
               IC && IC->getCastKind() == CK_AtomicToNonAtomic &&
               isAtomicBoolValue(IC->getSubExpr()->getType())) {
      Facts.HasCancellation = true; // C: `if (stop)` on an atomic_bool reads it
    } else if (const auto *U = dyn_cast<CXXUnresolvedConstructExpr>(S)) {
      // `T(ctx)`, `Session(sock_)` in a template: a construction receiving what may be a token.
      checkArgs(U->arg_begin(), U->getNumArgs());
    } else if (const auto *PL = dyn_cast<ParenListExpr>(S)) {
      checkArgs(const_cast<ParenListExpr *>(PL)->getExprs(), PL->getNumExprs()); // no const accessor
    } else if (const auto *If = dyn_cast<IfStmt>(S)) {
      visitCondition(If->getCond());
    } else if (const auto *CO = dyn_cast<ConditionalOperator>(S)) {
      visitCondition(CO->getCond());
    } else if (const auto *BO = dyn_cast<BinaryOperator>(S); BO && BO->isLogicalOp()) {
      visitCondition(BO->getLHS());
      visitCondition(BO->getRHS());
    } else if (const auto *UO = dyn_cast<UnaryOperator>(S); UO && UO->getOpcode() == UO_LNot) {
      visitCondition(UO->getSubExpr());
    }
    // Any other dependent expression (an operator on a `T`, a member of unknown type) is neither an
    // exit nor a cancellation check as written: a template is judged as written unless its verdict
    // hinges on a template argument (above: a call that may be a check, an argument that may be a
    // token, a flag that may be atomic).
    children(It, It.BreakOwned);
  }

  UnguardedLoopCheck &Check;
  const ASTContext &Ctx;
  const Stmt *Loop;
  bool StopOnExit;
  UnguardedLoopCheck::LoopFacts Facts;
  bool MayTakeToken = true; ///< Set by visitUnresolvedCallee for the call being visited.
  llvm::SmallVector<Item, 64> Work;
  std::deque<TryScope> Scopes; // Stable addresses.
  llvm::SmallPtrSet<const LabelStmt *, 4> Labels;
  llvm::SmallVector<const LabelStmt *, 2> GotoTargets;
};

} // namespace

UnguardedLoopCheck::UnguardedLoopCheck(StringRef Name, ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      StrictModeValue(Options.get("StrictMode", "false").str()),
      CancellationFunctions(Options.get("CancellationFunctions", "").str()),
      SleepFunctions(Options.get("SleepFunctions", cancellation::DefaultSleepFunctions).str()) {
  StrictMode = parseBoolOption(*this, "StrictMode", StrictModeValue, /*Default=*/false);

  // Built in (the cancellation vocabulary's checks and waits); the option adds to these.
  std::vector<std::string> Cancel(std::begin(cancellation::CheckFunctions),
                                  std::end(cancellation::CheckFunctions));
  Cancel.insert(Cancel.end(), std::begin(cancellation::WaitFunctions),
                std::end(cancellation::WaitFunctions));
  for (std::string &N :
       validateQualifiedNames(*this, "CancellationFunctions",
                              splitListOption(*this, "CancellationFunctions", CancellationFunctions)))
    Cancel.push_back(std::move(N));
  for (const std::string &N : Cancel)
    CancellationLastNames.insert(llvm::StringRef(N).rsplit("::").second.empty()
                                     ? llvm::StringRef(N)
                                     : llvm::StringRef(N).rsplit("::").second);
  for (llvm::StringRef N : AtomicReadMembers)
    CancellationLastNames.insert(N);
  CancellationNames = NameList(std::move(Cancel));
  SleepNames = NameList(validateQualifiedNames(
      *this, "SleepFunctions", splitListOption(*this, "SleepFunctions", SleepFunctions)));
  // A call that receives one of these (by value, reference or pointer) observes cancellation.
  CancellationTypeNames = NameList(llvm::ArrayRef<llvm::StringRef>(
      std::begin(cancellation::TokenTypes), std::end(cancellation::TokenTypes)));
}

UnguardedLoopCheck::~UnguardedLoopCheck() = default;

void UnguardedLoopCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "StrictMode", StrictModeValue);
  Options.store(Opts, "CancellationFunctions", CancellationFunctions);
  Options.store(Opts, "SleepFunctions", SleepFunctions);
}

void UnguardedLoopCheck::registerMatchers(MatchFinder *Finder) {
  // Patterns and instantiations alike (no isInTemplateInstantiation(): it needs the parent map);
  // onEndOfTranslationUnit reports each loop once. One matcher per loop kind, so that the match
  // finder only runs them on loops, not on every statement.
  auto NotSystem = unless(isExpansionInSystemHeader());
  Finder->addMatcher(forStmt(NotSystem).bind("loop"), this);
  Finder->addMatcher(whileStmt(NotSystem).bind("loop"), this);
  Finder->addMatcher(doStmt(NotSystem).bind("loop"), this);
}

void UnguardedLoopCheck::onStartOfTranslationUnit() {
  CalleeCache.clear();
  CancellationTypeCache.clear();
  AtomicTypeCache.clear();
  Loops.clear();
  SM = nullptr;
}

unsigned UnguardedLoopCheck::classifyCallee(const FunctionDecl *FD) {
  auto [It, Inserted] = CalleeCache.try_emplace(FD, CF_None);
  if (!Inserted)
    return It->second;
  unsigned Flags = CF_None;
  if (FD->isNoReturn())
    Flags |= CF_NoReturn;
  if (CancellationNames.matches(*FD))
    Flags |= CF_Cancellation;
  if (SleepNames.matches(*FD))
    Flags |= CF_Sleep;
  if (const IdentifierInfo *II = FD->getIdentifier()) {
    StringRef N = II->getName();
    if (isa<CXXMethodDecl>(FD)) {
      if (llvm::is_contained(AtomicReadMembers, N))
        Flags |= CF_AtomicRead;
    } else if (FD->isInStdNamespace() &&
               llvm::is_contained({"atomic_load", "atomic_load_explicit", "atomic_exchange",
                                   "atomic_exchange_explicit", "atomic_flag_test",
                                   "atomic_flag_test_explicit", "atomic_flag_test_and_set",
                                   "atomic_flag_test_and_set_explicit"},
                                  N)) {
      Flags |= CF_AtomicReadFree;
    }
  } else if (isa<CXXConversionDecl>(FD)) {
    Flags |= CF_AtomicRead; // operator bool / operator T of an atomic.
  }
  It->second = Flags; // Nothing above inserted into the cache, so It is still valid.
  return Flags;
}

bool UnguardedLoopCheck::mayBeCancellationName(llvm::StringRef Name) const {
  return CancellationLastNames.contains(Name);
}

bool UnguardedLoopCheck::isCancellationType(QualType T) {
  T = T.getNonReferenceType();
  if (T->isPointerType())
    T = T->getPointeeType();
  const Type *Key = T.getCanonicalType().getTypePtr();
  auto [It, Inserted] = CancellationTypeCache.try_emplace(Key, false);
  if (!Inserted)
    return It->second;
  bool R = false;
  if (const auto *RD = Key->getAsCXXRecordDecl())
    R = CancellationTypeNames.matches(*RD);
  It->second = R;
  return R;
}

bool UnguardedLoopCheck::isAtomicBoolLike(QualType T) {
  T = T.getNonReferenceType();
  const Type *Key = T.getCanonicalType().getTypePtr();
  auto [It, Inserted] = AtomicTypeCache.try_emplace(Key, false);
  if (!Inserted)
    return It->second;
  bool R = false;
  if (const auto *RD = Key->getAsCXXRecordDecl(); RD && RD->isInStdNamespace() &&
                                                  RD->getIdentifier()) {
    StringRef N = RD->getName();
    if (N == "atomic_flag") {
      R = true;
    } else if (N == "atomic" || N == "atomic_ref") {
      if (const auto *Spec = dyn_cast<ClassTemplateSpecializationDecl>(RD)) {
        const TemplateArgumentList &Args = Spec->getTemplateArgs();
        R = Args.size() >= 1 && Args[0].getKind() == TemplateArgument::Type &&
            Args[0].getAsType()->isBooleanType();
      }
    }
  }
  It->second = R;
  return R;
}

UnguardedLoopCheck::Verdict UnguardedLoopCheck::judge(const Stmt *Loop, ASTContext &Ctx,
                                                      Finding &Out) {
  // Unbounded: no condition, or one that is constantly true.
  const Expr *Cond = nullptr;
  if (const auto *F = dyn_cast<ForStmt>(Loop)) {
    Cond = F->getCond();
  } else if (const auto *W = dyn_cast<WhileStmt>(Loop)) {
    if (W->getConditionVariable())
      return Verdict::Bounded;
    Cond = W->getCond();
  } else {
    Cond = cast<DoStmt>(Loop)->getCond();
  }
  bool Undecided = false;
  if (Cond) {
    if (Cond->containsErrors())
      return Verdict::Bounded;
    if (Cond->isValueDependent() || Cond->isTypeDependent()) {
      Undecided = true; // Instantiations decide.
    } else {
      // Within a step budget: a condition that is constant only after a long constexpr
      // computation is treated as non-constant rather than paid for per loop and instantiation.
      std::optional<bool> Value = evaluateConditionCheaply(Cond, Ctx);
      if (!Value || !*Value)
        return Verdict::Bounded;
    }
  }

  LoopFacts Facts = LoopWalker(*this, Ctx, Loop, /*StopOnExit=*/!StrictMode).run();
  if (Facts.HasCancellation || (!StrictMode && Facts.HasExit))
    return Verdict::Guarded;
  if (Undecided || Facts.Dependent)
    return Verdict::Undecided; // A template pattern: its instantiations decide.
  Out.Keyword = loopKeyword(Loop);
  Out.Strict = Facts.HasExit;
  Out.Pattern = Facts.Pattern;
  Out.Sleeps = std::move(Facts.Sleeps);
  return Verdict::Unguarded;
}

void UnguardedLoopCheck::check(const MatchFinder::MatchResult &Result) {
  const auto *Loop = Result.Nodes.getNodeAs<Stmt>("loop");
  if (!Loop)
    return;
  SM = Result.SourceManager;
  Finding F;
  Verdict V = judge(Loop, *Result.Context, F);
  if (V == Verdict::Bounded)
    return; // Most loops: nothing to record.
  LoopRecord &R = Loops[loopKeyword(Loop).getRawEncoding()];
  if (V == Verdict::Guarded)
    R.AnyGuarded = true;
  else if (V == Verdict::Undecided)
    R.AnyUndecided = true;
  else if (!R.Unguarded || (F.Pattern && !R.Unguarded->Pattern))
    R.Unguarded = std::move(F);
}

void UnguardedLoopCheck::emit(const Finding &F, const SourceManager &SM) {
  bool CPlusPlus = getLangOpts().CPlusPlus;
  diag(SM.getFileLoc(F.Keyword), F.Strict ? (CPlusPlus ? StrictMessage : StrictMessageC)
                                          : (CPlusPlus ? Message : MessageC));
  // The walk uses a stack; notes go out in source order.
  llvm::SmallVector<SourceLocation, 2> Sleeps(F.Sleeps);
  llvm::sort(Sleeps, [&SM](SourceLocation A, SourceLocation B) {
    return SM.isBeforeInTranslationUnit(A, B);
  });
  for (SourceLocation S : Sleeps)
    diag(SM.getFileLoc(S), CPlusPlus ? SleepNote : SleepNoteC, DiagnosticIDs::Note);
}

void UnguardedLoopCheck::onEndOfTranslationUnit() {
  // A loop is reported once, however many times it was seen:
  //  - a template as written whose verdict does not hinge on its arguments but that holds dependent
  //    expressions (a call on a `T` that is no cancellation check): unguarded as written, whatever
  //    its instantiations in this translation unit resolve those calls to (a TU without them must
  //    come to the same verdict);
  //  - a template pattern that could not be judged (undecided): if some instantiation is
  //    unguarded;
  //  - otherwise (plain code, or a template judged by its pattern): if no occurrence is guarded.
  //    An instantiation can only lose guards (a discarded `if constexpr` branch), never gain
  //    them, so this is the pattern's verdict.
  if (SM)
    for (const auto &[Key, R] : Loops)
      if (R.Unguarded && (R.Unguarded->Pattern || R.AnyUndecided || !R.AnyGuarded))
        emit(*R.Unguarded, *SM);
  Loops.clear();
  CalleeCache.clear();
  CancellationTypeCache.clear();
  AtomicTypeCache.clear();
}

} // namespace clang::tidy::tether
