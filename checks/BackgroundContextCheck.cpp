// tether-background-context: work started on a context nothing can cancel.
//
// Design notes (performance): the per-node work is one matcher on calls and constructions of user
// code whose inner test looks at each argument's node kind (a call to `background`, a default
// construction, or a reference to a local variable initialized with one) before anything else; root
// functions are recorded by a name matcher on definitions. No parent map.
#include "BackgroundContextCheck.h"
#include "utils/Cancellation.h"
#include "utils/Expressions.h"
#include "utils/TetherApi.h"
#include "clang-tidy/utils/DeclRefExprUtils.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"

using namespace clang::ast_matchers;

namespace clang::tidy::tether {

namespace {

constexpr llvm::StringLiteral DefaultRootFunctions = "main";
constexpr llvm::StringLiteral DefaultTestFileRegex =
    "(^|/)(tests|unittests?|testing)/|[_-](unit)?tests?\\.[^./]+$|(^|/)test_[^/]*$";

using cancellation::Root;

/// \p E without a copy or move of it around: `run(ctx)` for a by-value parameter copies `ctx`.
const Expr *throughCopy(const Expr *E) {
  E = stripConstruction(E);
  if (const auto *C = dyn_cast_or_null<CXXConstructExpr>(E);
      C && C->getNumArgs() == 1 && C->getConstructor()->isCopyOrMoveConstructor())
    E = stripConstruction(C->getArg(0));
  return E;
}

/// The root an argument carries: written there, or held by a local variable initialized with it
/// (then \p Via, if given, is set to the variable).
Root rootOfArgument(const Expr *Arg, const VarDecl **Via) {
  const Expr *E = throughCopy(Arg);
  Root R = cancellation::rootOf(E);
  if (R != Root::None)
    return R;
  const Expr *Init = localInitializer(E);
  if (!Init)
    return Root::None;
  R = cancellation::rootOf(Init);
  if (R != Root::None && Via)
    *Via = cast<VarDecl>(cast<DeclRefExpr>(E->IgnoreParenImpCasts())->getDecl());
  return R;
}

/// Templates: a call with dependent arguments is left unresolved in the template as written
/// (`tether::safe_go(tether::background(), "name", policy, [this] { ... })`). When its overload set is
/// one function (a function template: its pattern) and argument-dependent lookup cannot add others,
/// that function is the callee whatever the template arguments are; null otherwise.
const FunctionDecl *onlyCandidate(const Expr *Callee) {
  const auto *ULE = dyn_cast_or_null<UnresolvedLookupExpr>(Callee ? Callee->IgnoreParens() : nullptr);
  if (!ULE || ULE->requiresADL() || ULE->getNumDecls() != 1)
    return nullptr;
  return (*ULE->decls_begin())->getUnderlyingDecl()->getAsFunction();
}

AST_MATCHER(Expr, carriesRoot) { return rootOfArgument(&Node, nullptr) != Root::None; }

/// Is the local variable \p VD never changed after its initialization?
bool neverModified(const VarDecl &VD, ASTContext &Ctx) {
  if (VD.getType().isConstQualified())
    return true;
  const auto *Fn = dyn_cast<FunctionDecl>(VD.getDeclContext());
  const Stmt *Body = Fn ? Fn->getBody() : nullptr;
  return Body && utils::decl_ref_expr::isOnlyUsedAsConst(VD, *Body, Ctx, 0);
}

std::string calleeName(const FunctionDecl *FD) {
  if (const auto *Ctor = dyn_cast<CXXConstructorDecl>(FD))
    return Ctor->getParent()->getQualifiedNameAsString();
  return FD->getQualifiedNameAsString();
}

} // namespace

BackgroundContextCheck::BackgroundContextCheck(StringRef Name, ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      RootFunctions(
          NameList::fromOption(*this, Options, "RootFunctions", DefaultRootFunctions, RootFunctionsRaw)),
      TestFileRegex(readRegexOption(*this, Options, "TestFileRegex", DefaultTestFileRegex)) {}

void BackgroundContextCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "RootFunctions", RootFunctionsRaw);
  Options.store(Opts, "TestFileRegex", TestFileRegex.Text);
}

void BackgroundContextCheck::onStartOfTranslationUnit() {
  RootBodies.clear();
  TestFiles.clear();
  Unevaluated.clear();
  Reported.clear();
}

void BackgroundContextCheck::registerMatchers(MatchFinder *Finder) {
  UnevaluatedOperands::registerMatchers(Finder, this);
  auto NotSystem = unless(isExpansionInSystemHeader());
  if (!RootFunctions.empty())
    Finder->addMatcher(functionDecl(isDefinition(), RootFunctions.matcher(), NotSystem).bind("root"),
                       this);
  Finder->addMatcher(callExpr(hasAnyArgument(carriesRoot()), NotSystem).bind("call"), this);
  Finder->addMatcher(cxxConstructExpr(hasAnyArgument(carriesRoot()), NotSystem).bind("construct"),
                     this);
  Finder->addMatcher(parmVarDecl(hasDefaultArgument(), NotSystem).bind("param"), this);
}

bool BackgroundContextCheck::inRootFunction(SourceLocation Loc, const SourceManager &SM) const {
  auto [File, Offset] = SM.getDecomposedLoc(SM.getExpansionLoc(Loc));
  return llvm::any_of(RootBodies, [&, File = File, Offset = Offset](const Range &R) {
    return R.File == File && R.Begin <= Offset && Offset <= R.End;
  });
}

bool BackgroundContextCheck::inTestFile(SourceLocation UserLoc, const SourceManager &SM) {
  if (!TestFileRegex.Regex)
    return false;
  FileID File = SM.getFileID(SM.getExpansionLoc(UserLoc));
  auto [It, Inserted] = TestFiles.try_emplace(File, false);
  if (Inserted)
    It->second = TestFileRegex.matches(SM.getFilename(SM.getExpansionLoc(UserLoc)));
  return It->second;
}

void BackgroundContextCheck::checkArguments(const Expr *Site, const FunctionDecl *Callee,
                                            llvm::ArrayRef<const Expr *> Args, unsigned ParamOffset,
                                            const MatchFinder::MatchResult &Result) {
  if (!Callee || cancellation::isOwnMember(*Callee))
    return;
  // Deriving a child from a root makes a cancellable context; linking a token that can never be
  // stopped does not.
  bool Derivation = cancellation::isDerivation(*Callee);
  const SourceManager &SM = *Result.SourceManager;
  for (unsigned I = ParamOffset; I < Args.size(); ++I) {
    unsigned P = I - ParamOffset;
    if (P >= Callee->getNumParams())
      break; // C varargs: no parameter type to go by
    QualType ParamType = Callee->getParamDecl(P)->getType();
    const VarDecl *Via = nullptr;
    Root R = rootOfArgument(Args[I], &Via);
    if (R == Root::None || (Derivation && R != Root::DefaultToken))
      continue;
    bool Expected = R == Root::DefaultToken ? cancellation::isStopTokenType(ParamType)
                                            : cancellation::isContextType(ParamType);
    if (!Expected)
      continue;
    SourceLocation Loc = userLocation(SM, Args[I]->getBeginLoc());
    if (Reported.claimed(Loc) || inRootFunction(Loc, SM) || inTestFile(Loc, SM) ||
        Unevaluated.contains(Site, SM))
      continue;
    if (Via && (inRootFunction(Via->getLocation(), SM) || !neverModified(*Via, *Result.Context)))
      continue;
    if (!Reported.claim(Loc))
      continue;
    std::string Name = calleeName(Callee);
    if (R == Root::DefaultToken)
      diag(Loc, "default-constructed 'std::stop_token' passed to '%0' can never be stopped; pass "
                "the caller's token")
          << Name << Args[I]->getSourceRange();
    else
      diag(Loc, "%select{'tether::background()'|default-constructed 'tether::context'}0 passed to "
                "'%1' is never cancelled; %2")
          << (R == Root::Background ? 0 : 1) << Name << api::DeriveContextAdvice
          << Args[I]->getSourceRange();
    if (Via)
      diag(userLocation(SM, Via->getLocation()), "%0 is initialized here and never changed",
           DiagnosticIDs::Note)
          << Via;
  }
}

void BackgroundContextCheck::check(const MatchFinder::MatchResult &Result) {
  if (Unevaluated.record(Result))
    return;
  const SourceManager &SM = *Result.SourceManager;
  if (const auto *Fn = Result.Nodes.getNodeAs<FunctionDecl>("root")) {
    if (const Stmt *Body = Fn->getBody()) {
      SourceLocation Begin = SM.getExpansionLoc(Body->getBeginLoc());
      SourceLocation End = SM.getExpansionRange(Body->getEndLoc()).getEnd();
      auto [BeginFile, BeginOffset] = SM.getDecomposedLoc(Begin);
      auto [EndFile, EndOffset] = SM.getDecomposedLoc(End);
      if (BeginFile.isValid() && BeginFile == EndFile)
        RootBodies.push_back({BeginFile, BeginOffset, EndOffset});
    }
    return;
  }
  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("call")) {
    const FunctionDecl *FD = Call->getDirectCallee();
    if (!FD)
      FD = onlyCandidate(Call->getCallee());
    // A member operator's object is its first argument, not a parameter.
    unsigned Offset = isa<CXXOperatorCallExpr>(Call) && isa_and_nonnull<CXXMethodDecl>(FD) &&
                              !cast<CXXMethodDecl>(FD)->isStatic()
                          ? 1
                          : 0;
    checkArguments(Call, FD, llvm::ArrayRef(Call->getArgs(), Call->getNumArgs()), Offset, Result);
    return;
  }
  if (const auto *C = Result.Nodes.getNodeAs<CXXConstructExpr>("construct")) {
    const CXXConstructorDecl *Ctor = C->getConstructor();
    if (!Ctor || Ctor->isCopyOrMoveConstructor())
      return;
    checkArguments(C, Ctor, llvm::ArrayRef(C->getArgs(), C->getNumArgs()), 0, Result);
    return;
  }
  if (const auto *Param = Result.Nodes.getNodeAs<ParmVarDecl>("param")) {
    if (Param->hasUnparsedDefaultArg() || Param->hasUninstantiatedDefaultArg())
      return;
    const Expr *Default = Param->getDefaultArg();
    Root R = cancellation::rootOf(Default);
    if (R == Root::None ||
        !(R == Root::DefaultToken ? cancellation::isStopTokenType(Param->getType())
                                  : cancellation::isContextType(Param->getType())))
      return;
    SourceLocation Loc = userLocation(SM, Default->getBeginLoc());
    if (inRootFunction(Loc, SM) || inTestFile(Loc, SM) || !Reported.claim(Loc))
      return;
    diag(Loc, "%select{'tether::background()'|default-constructed 'tether::context'|"
              "default-constructed 'std::stop_token'}0 as the default of parameter %1 is never "
              "cancelled: every caller that omits it starts work nothing can stop; make callers "
              "pass their %select{context|context|token}0")
        << static_cast<int>(R) - 1 << Param << Default->getSourceRange();
  }
}

} // namespace clang::tidy::tether
