// tether-thread-detach: a detached thread has no owner. Nothing can join it, cancel it, bound it or
// learn that it failed, and at shutdown it keeps running against objects that are being destroyed.
#include "ThreadDetachCheck.h"
#include "CheapEvaluation.h"
#include "OptionUtils.h"
#include "utils/Expressions.h"
#include "utils/TetherApi.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Lex/Preprocessor.h"
#include "llvm/ADT/SmallPtrSet.h"

using namespace clang::ast_matchers;

namespace clang::tidy::tether {
namespace {

AST_MATCHER_P(CXXRecordDecl, isThreadType, threads::ThreadTypeSet *, Types) {
  return Types->exact(&Node) >= 0;
}

constexpr llvm::StringLiteral DefaultDetachFunctions = "::pthread_detach;::thrd_detach";

const std::string Consequence =
    "makes this thread unowned: nothing can wait for it, cancel it or see it fail; keep it owned "
    "with " + api::ApprovedSpawn.str();
// C has no tether runtime: the remedy there is an owner that joins.
constexpr llvm::StringLiteral ConsequenceC =
    "makes this thread unowned: nothing can wait for it, cancel it or see it fail; keep it "
    "joinable and join it from the code that owns what it uses";
const std::string AttrConsequence =
    "makes every thread created with this attribute unowned: nothing can wait for them, cancel "
    "them or see them fail; keep them owned with " + api::ApprovedSpawn.str();
constexpr llvm::StringLiteral AttrConsequenceC =
    "makes every thread created with this attribute unowned: nothing can wait for them, cancel "
    "them or see them fail; leave them joinable and join them from the code that owns what they "
    "use";

constexpr llvm::StringLiteral DetachedStateName = "PTHREAD_CREATE_DETACHED";

/// The local variable (automatic storage, incl. parameters and structured bindings) \p E names.
const ValueDecl *localVariable(const Expr *E) {
  const auto *DRE = dyn_cast<DeclRefExpr>(E->IgnoreParenImpCasts());
  if (!DRE)
    return nullptr;
  if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()))
    return VD->hasLocalStorage() ? VD : nullptr;
  if (const auto *BD = dyn_cast<BindingDecl>(DRE->getDecl()))
    if (const auto *DD = dyn_cast_or_null<VarDecl>(BD->getDecomposedDecl()))
      return DD->hasLocalStorage() ? BD : nullptr;
  return nullptr;
}

} // namespace

ThreadDetachCheck::ThreadDetachCheck(StringRef Name, ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      ThreadTypesRaw(Options.get("ThreadTypes", threads::DefaultThreadTypes)),
      DetachFunctionsRaw(Options.get("DetachFunctions", DefaultDetachFunctions)) {
  ThreadTypeNames = validateQualifiedNames(*this, "ThreadTypes",
                                           splitListOption(*this, "ThreadTypes", ThreadTypesRaw));
  DetachFunctionNames = validateQualifiedNames(
      *this, "DetachFunctions", splitListOption(*this, "DetachFunctions", DetachFunctionsRaw));
  Types.setNames(ThreadTypeNames);
}

// The values as written (what --dump-config shows and a run reads back), not the parsed lists.
void ThreadDetachCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "ThreadTypes", ThreadTypesRaw);
  Options.store(Opts, "DetachFunctions", DetachFunctionsRaw);
}

void ThreadDetachCheck::onStartOfTranslationUnit() {
  Types.clearCache();
  Reported.clear();
  Unevaluated.clear();
  DetachedValue.reset();
}

void ThreadDetachCheck::registerMatchers(MatchFinder *Finder) {
  threads::UnevaluatedOperands::registerMatchers(Finder, this);
  // detach() declared by a thread type: also reached through aliases, references, pointers, smart
  // pointers, elements and classes deriving from a thread type (they inherit this member). C has
  // none of these.
  if (!Types.empty() && getLangOpts().CPlusPlus)
    Finder->addMatcher(
        cxxMemberCallExpr(callee(cxxMethodDecl(hasName("detach"), ofClass(isThreadType(&Types)))),
                          unless(isExpansionInSystemHeader()))
            .bind("detach"),
        this);
  if (!DetachFunctionNames.empty())
    Finder->addMatcher(callExpr(callee(functionDecl(hasAnyName(std::vector<StringRef>(DetachFunctionNames.begin(),
                                                                         DetachFunctionNames.end())))
                                       .bind("fn")),
                                unless(isExpansionInSystemHeader()))
                           .bind("call"),
                       this);
  // Templates: a call with dependent arguments is unresolved (an overload set holding the
  // function); it is the same call whatever the template arguments.
  if (!DetachFunctionNames.empty() && getLangOpts().CPlusPlus)
    Finder->addMatcher(callExpr(callee(unresolvedLookupExpr(hasAnyDeclaration(
                                    functionDecl(hasAnyName(std::vector<StringRef>(
                                                     DetachFunctionNames.begin(),
                                                     DetachFunctionNames.end())))
                                        .bind("fn")))),
                                unless(isExpansionInSystemHeader()))
                           .bind("call"),
                       this);
  if (getLangOpts().CPlusPlus)
    Finder->addMatcher(
        callExpr(callee(unresolvedLookupExpr(hasAnyDeclaration(
                     functionDecl(hasName("::pthread_attr_setdetachstate"))))),
                 argumentCountIs(2), unless(isExpansionInSystemHeader()))
            .bind("attr"),
        this);
  // Threads created with a PTHREAD_CREATE_DETACHED attribute start detached: the same as
  // pthread_create followed by pthread_detach. The global function only (not a namesake in a
  // namespace); the state argument decides (see isDetachedState).
  Finder->addMatcher(callExpr(callee(functionDecl(hasName("::pthread_attr_setdetachstate"))),
                              argumentCountIs(2), unless(isExpansionInSystemHeader()))
                         .bind("attr"),
                     this);
}

std::optional<llvm::APSInt> ThreadDetachCheck::detachedStateValue(ASTContext &Ctx) {
  if (DetachedValue)
    return *DetachedValue;
  DetachedValue.emplace();
  IdentifierInfo &II = Ctx.Idents.get(DetachedStateName);
  // glibc: an enumerator (and a macro naming it); a variable in some wrappers.
  for (const NamedDecl *D : Ctx.getTranslationUnitDecl()->lookup(&II)) {
    if (const auto *EC = dyn_cast<EnumConstantDecl>(D)) {
      *DetachedValue = EC->getInitVal();
      return *DetachedValue;
    }
    if (const auto *VD = dyn_cast<VarDecl>(D); VD && VD->getType().isConstQualified()) {
      if (const Expr *Init = VD->getAnyInitializer())
        if (std::optional<llvm::APSInt> V = evaluateIntCheaply(Init, Ctx)) {
          *DetachedValue = *V;
          return *DetachedValue;
        }
    }
  }
  // musl, macOS, the BSDs: `#define PTHREAD_CREATE_DETACHED 1` (possibly parenthesized).
  if (PP)
    if (const MacroInfo *MI = PP->getMacroInfo(&II); MI && MI->isObjectLike()) {
      const Token *Number = nullptr;
      for (const Token &T : MI->tokens()) {
        if (T.isOneOf(tok::l_paren, tok::r_paren))
          continue;
        if (Number || !T.is(tok::numeric_constant))
          return *DetachedValue; // not a plain number: unknown
        Number = &T;
      }
      if (!Number)
        return *DetachedValue;
      llvm::SmallString<16> Buffer;
      bool Invalid = false;
      llvm::StringRef Spelling = PP->getSpelling(*Number, Buffer, &Invalid).rtrim("uUlL");
      llvm::APInt V;
      if (!Invalid && !Spelling.getAsInteger(0, V))
        *DetachedValue = llvm::APSInt(V);
    }
  return *DetachedValue;
}

bool ThreadDetachCheck::isDetachedState(const Expr *State, ASTContext &Ctx) {
  // Named directly: the enumerator (glibc) or a variable of that name.
  if (const auto *DRE = dyn_cast<DeclRefExpr>(State->IgnoreParenImpCasts()))
    if (const IdentifierInfo *II = DRE->getDecl()->getIdentifier();
        II && II->getName() == DetachedStateName)
      return true;
  // A state that depends on template arguments (`template <int State>`): the instantiations decide.
  if (State->isValueDependent() || State->isTypeDependent())
    return false;
  // Anything else that is a constant (a macro expanding to a number, a constexpr variable, a
  // constant conditional) is compared with the platform's value. A state only known at run time
  // is not reported: whether it detaches is not decided here.
  std::optional<llvm::APSInt> Value = evaluateIntCheaply(State, Ctx);
  if (!Value)
    return false;
  std::optional<llvm::APSInt> Detached = detachedStateValue(Ctx);
  return Detached && llvm::APSInt::isSameValue(*Value, *Detached);
}

void ThreadDetachCheck::noteArgument(const Expr *Arg, const SourceManager &SM) {
  const Expr *E = threads::stripConstruction(Arg);
  SourceLocation Loc = threads::userLocation(SM, E->getBeginLoc());
  if (isa<CXXThisExpr>(E)) {
    diag(Loc, "the detached thread is given 'this'; the object may be destroyed while the thread "
              "still runs",
         DiagnosticIDs::Note);
    return;
  }
  // std::ref(x) / std::cref(x): the thread holds a reference to x.
  if (const auto *Call = dyn_cast<CallExpr>(E)) {
    const FunctionDecl *FD = Call->getDirectCallee();
    if (!FD || !FD->isInStdNamespace() || !FD->getDeclName().isIdentifier() ||
        (FD->getName() != "ref" && FD->getName() != "cref") || Call->getNumArgs() != 1)
      return;
    const Expr *Referent = Call->getArg(0)->IgnoreParenImpCasts();
    if (const ValueDecl *V = localVariable(Referent)) {
      diag(Loc, "%0 is passed by reference ('std::%1') and may go out of scope while the detached "
                "thread still runs",
           DiagnosticIDs::Note)
          << V << FD->getName();
    } else if (const auto *ME = dyn_cast<MemberExpr>(Referent);
               ME && isa<CXXThisExpr>(ME->getBase()->IgnoreParenImpCasts())) {
      diag(Loc, "the detached thread is given a reference to member %0; the object may be "
                "destroyed while the thread still runs",
           DiagnosticIDs::Note)
          << ME->getMemberDecl();
    }
    return;
  }
  // &x, or a local array (the thread decay-copies it to a pointer): the thread holds the address
  // of a local.
  const ValueDecl *V = nullptr;
  if (const auto *UO = dyn_cast<UnaryOperator>(E); UO && UO->getOpcode() == UO_AddrOf)
    V = localVariable(UO->getSubExpr());
  else if (const ValueDecl *Local = localVariable(E); Local && Local->getType()->isArrayType())
    V = Local;
  if (V)
    diag(Loc, "the address of %0 is passed to the detached thread; %0 may go out of scope while "
              "the thread still runs",
         DiagnosticIDs::Note)
        << V;
}

void ThreadDetachCheck::noteCallable(const Expr *Callable, const SourceManager &SM) {
  const Expr *E = threads::stripConstruction(Callable);
  if (const Expr *Init = localInitializer(E))
    E = Init;
  const auto *Lambda = dyn_cast<LambdaExpr>(E);
  if (!Lambda)
    return;
  llvm::SmallPtrSet<const ValueDecl *, 8> Captured;
  bool ThisCaptured = false;
  for (const LambdaCapture &C : Lambda->captures()) {
    if (C.capturesThis())
      ThisCaptured = true;
    else if (C.capturesVariable())
      Captured.insert(C.getCapturedVar());
    SourceLocation Loc = threads::userLocation(SM, C.getLocation());
    if (C.capturesThis()) {
      if (C.getCaptureKind() == LCK_This) // [*this] copies the object: nothing dangles
        diag(Loc, "the detached thread captures 'this'; the object may be destroyed while the "
                  "thread still runs",
             DiagnosticIDs::Note);
      continue;
    }
    if (!C.capturesVariable())
      continue;
    const ValueDecl *V = C.getCapturedVar();
    if (C.getCaptureKind() == LCK_ByRef) {
      diag(Loc, "%0 is captured by reference and may go out of scope while the detached thread "
                "still runs",
           DiagnosticIDs::Note)
          << V;
    } else if (const auto *VD = dyn_cast<VarDecl>(V); VD && VD->isInitCapture() && VD->getInit()) {
      // [p = &x] or [self = this]: a copy of a pointer to something that may not outlive the thread.
      noteArgument(VD->getInit(), SM);
    }
  }
  // In a template as written, what a capture-default lambda uses with a dependent type is captured
  // per instantiation only: read from the body, each at its first use (where an instantiation places
  // the implicit capture), so that the notes do not depend on which occurrence is reported.
  const CXXMethodDecl *CallOp = Lambda->getCallOperator();
  if (Lambda->getCaptureDefault() == LCD_None || !CallOp || !CallOp->isDependentContext())
    return;
  llvm::SmallVector<const Stmt *, 32> Work{Lambda->getBody()};
  while (!Work.empty()) {
    const Stmt *S = Work.pop_back_val();
    if (!S)
      continue;
    if (const auto *DRE = dyn_cast<DeclRefExpr>(S)) {
      const auto *VD = dyn_cast<VarDecl>(DRE->getDecl());
      if (VD && VD->hasLocalStorage() && !CallOp->Encloses(VD->getDeclContext()) &&
          Lambda->getCaptureDefault() == LCD_ByRef && Captured.insert(VD).second)
        diag(threads::userLocation(SM, DRE->getLocation()),
             "%0 is captured by reference and may go out of scope while the detached thread "
             "still runs",
             DiagnosticIDs::Note)
            << VD;
    } else if (isa<CXXThisExpr>(S) && !ThisCaptured) {
      ThisCaptured = true;
      diag(threads::userLocation(SM, S->getBeginLoc()),
           "the detached thread captures 'this'; the object may be destroyed while the thread "
           "still runs",
           DiagnosticIDs::Note);
    }
    // Children in reverse: the stack then yields them in source order.
    llvm::SmallVector<const Stmt *, 8> Children(S->children());
    Work.append(Children.rbegin(), Children.rend());
  }
}

void ThreadDetachCheck::addDanglingNotes(const CXXMemberCallExpr *Call, const SourceManager &SM) {
  // The callable is visible when the detached thread is a temporary constructed right here, or a
  // local variable whose initializer constructs it.
  const Expr *Obj = threads::stripConstruction(Call->getImplicitObjectArgument());
  const Expr *Init = Obj;
  if (Obj && !isa<CXXConstructExpr, CXXUnresolvedConstructExpr>(Obj))
    Init = localInitializer(Obj);
  llvm::SmallVector<const Expr *, 4> Args;
  if (const auto *Ctor = dyn_cast_or_null<CXXConstructExpr>(Init)) {
    if (Types.spawnedBy(Ctor) < 0)
      return;
    Args.append(Ctor->arg_begin(), Ctor->arg_end());
  } else if (!threads::unresolvedInitArgs(Init, Args) ||
             threads::judgeDependentConstruction(Args, Types) != threads::DependentSpawn::Spawn) {
    // In a template as written, a construction with dependent arguments is unresolved: its
    // arguments are read as written, so the notes are the same as an instantiation's.
    return;
  }
  if (Args.empty())
    return;
  noteCallable(Args[0], SM);
  for (unsigned I = 1; I < Args.size(); ++I)
    noteArgument(Args[I], SM);
}

void ThreadDetachCheck::check(const MatchFinder::MatchResult &Result) {
  if (Unevaluated.record(Result))
    return;
  const SourceManager &SM = *Result.SourceManager;
  if (const auto *Call = Result.Nodes.getNodeAs<CXXMemberCallExpr>("detach")) {
    // In a template the call is resolved (and so matched) where the object's type is known to be
    // a thread type, also when the object expression depends on template arguments
    // (`this->m_thread` in a class template): judged as written, reported once with the
    // instantiations (same place, same message). A `t.detach()` on a `T t` stays unresolved in the
    // template and is judged per instantiation.
    SourceLocation Loc = threads::userLocation(SM, Call->getExprLoc());
    // Unevaluated sites are not remembered: a macro can hold both a probe in an unevaluated
    // operand and a real detach, which are reported at the same place (the macro's use).
    if (Loc.isInvalid() || Reported.claimed(Loc) || Unevaluated.contains(Call, SM))
      return;
    Reported.settle(Loc);
    diag(Loc, "'detach()' %0") << Consequence << Call->getSourceRange();
    addDanglingNotes(Call, SM);
    return;
  }
  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("call")) {
    const auto *FD = Result.Nodes.getNodeAs<FunctionDecl>("fn");
    SourceLocation Loc = threads::userLocation(SM, Call->getExprLoc());
    if (Loc.isInvalid() || Reported.claimed(Loc) || Unevaluated.contains(Call, SM))
      return;
    Reported.settle(Loc);
    diag(Loc, "'%0()' %1") << FD->getName()
                           << (getLangOpts().CPlusPlus ? llvm::StringRef(Consequence) : llvm::StringRef(ConsequenceC))
                           << Call->getSourceRange();
    return;
  }
  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("attr")) {
    SourceLocation Loc = threads::userLocation(SM, Call->getExprLoc());
    if (Loc.isInvalid() || Reported.claimed(Loc) || Unevaluated.contains(Call, SM) ||
        !isDetachedState(Call->getArg(1), *Result.Context))
      return;
    Reported.settle(Loc);
    diag(Loc, "'pthread_attr_setdetachstate(..., PTHREAD_CREATE_DETACHED)' %0")
        << (getLangOpts().CPlusPlus ? llvm::StringRef(AttrConsequence) : llvm::StringRef(AttrConsequenceC))
        << Call->getArg(1)->getSourceRange();
  }
}

} // namespace clang::tidy::tether
