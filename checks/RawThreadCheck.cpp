// tether-raw-thread: every thread must be started through the tether runtime (tether::safe_go or a
// tether::task_group), which gives it an owner, a name, a cancellation context and a bound.
//
// Design notes (performance): the per-node work is one cached hash lookup for constructor calls and
// name checks for calls. Nothing builds clang's parent map (a traversal of the whole translation
// unit, system headers included) on the way to a finding: unevaluated operands are recorded by
// matchers on the operators themselves, and AllowedNamespaces uses an index of the namespace-level
// declarations, built on the first finding that needs it. Sites are reported once per spelled
// location, so a spawn in a template is reported once however many times it is instantiated.
#include "RawThreadCheck.h"
#include "OptionUtils.h"
#include "utils/SpawnSites.h"
#include "utils/TetherApi.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ExprConcepts.h"
#include "clang/AST/TypeLoc.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"
#include "clang/Basic/SourceManager.h"

using namespace clang::ast_matchers;

namespace clang::tidy::tether {

// ---------------------------------------------------------------------------------------------
// tether-raw-thread
// ---------------------------------------------------------------------------------------------
namespace {

AST_MATCHER_P(CXXConstructExpr, spawnsThread, threads::ThreadTypeSet *, Types) {
  return Types->spawnedBy(&Node) >= 0;
}

constexpr llvm::StringLiteral DefaultSpawnFunctions = "::pthread_create;::thrd_create;::std::async";

constexpr llvm::StringLiteral Replacement = api::RawThreadAdvice;

// Library functions that construct their first template argument from the arguments forwarded
// through their parameter pack.
const std::vector<llvm::StringRef> FactoryFunctions = {"::std::make_unique", "::std::make_shared",
                                                       "::std::allocate_shared",
                                                       "::std::construct_at"};
// Container members that construct an element in place from the forwarded arguments.
const std::vector<llvm::StringRef> EmplaceMethods = {"emplace_back", "emplace_front", "emplace",
                                                     "emplace_hint", "try_emplace"};

/// The type named by the member typedef \p Name of \p RD (e.g. a container's value_type), or a
/// null type. User classes need not have one, or may use the name for something else entirely
/// (a nested class, a member template, a data member): callers must handle the null type.
QualType memberType(const CXXRecordDecl *RD, llvm::StringRef Name) {
  if (!RD)
    return {};
  for (const NamedDecl *D : RD->lookup(&RD->getASTContext().Idents.get(Name)))
    if (const auto *TD = dyn_cast<TypedefNameDecl>(D))
      return TD->getUnderlyingType();
  return {};
}

/// The first explicit template argument of the called member, if it is a type:
/// `any.emplace<std::thread>(fn)`, `variant.emplace<std::thread>(fn)`. Null otherwise (no
/// explicit arguments, or an index as in `variant.emplace<0>(fn)`).
QualType explicitTypeArgument(const CallExpr *Call) {
  const auto *ME = dyn_cast<MemberExpr>(Call->getCallee()->IgnoreParenImpCasts());
  if (!ME || !ME->hasExplicitTemplateArgs() || ME->getNumTemplateArgs() == 0)
    return {};
  const TemplateArgument &A = ME->getTemplateArgs()[0].getArgument();
  return A.getKind() == TemplateArgument::Type ? A.getAsType() : QualType();
}

/// Index of the first argument bound to the function's parameter pack (the constructor arguments
/// of an emplace/make_* call); the number of parameters if there is no pack.
unsigned firstPackArgument(const FunctionDecl *FD) {
  const FunctionDecl *Pattern = FD;
  if (const FunctionTemplateDecl *Primary = FD->getPrimaryTemplate())
    Pattern = Primary->getTemplatedDecl();
  for (unsigned I = 0; I < Pattern->getNumParams(); ++I)
    if (Pattern->getParamDecl(I)->isParameterPack())
      return I;
  return Pattern->getNumParams();
}

/// The template arguments of a class template specialization type (a std::pair or std::tuple).
const TemplateArgumentList *specializationArgs(QualType T, llvm::StringRef StdName) {
  if (T.isNull())
    return nullptr;
  const auto *Spec = dyn_cast_or_null<ClassTemplateSpecializationDecl>(
      T.getNonReferenceType()->getAsCXXRecordDecl());
  if (!Spec || !Spec->isInStdNamespace() || Spec->getName() != StdName)
    return nullptr;
  return &Spec->getTemplateArgs();
}

} // namespace

RawThreadCheck::RawThreadCheck(StringRef Name, ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      ThreadTypesRaw(Options.get("ThreadTypes", threads::DefaultThreadTypes)),
      SpawnFunctionsRaw(Options.get("SpawnFunctions", DefaultSpawnFunctions)),
      AllowedFileRegexText(Options.get("AllowedFileRegex", "")),
      AllowedNamespacesRaw(Options.get("AllowedNamespaces", "")) {
  ThreadTypeNames = validateQualifiedNames(*this, "ThreadTypes",
                                           splitListOption(*this, "ThreadTypes", ThreadTypesRaw));
  SpawnFunctionNames = validateQualifiedNames(
      *this, "SpawnFunctions", splitListOption(*this, "SpawnFunctions", SpawnFunctionsRaw));
  AllowedNamespaceNames = validateQualifiedNames(
      *this, "AllowedNamespaces", splitListOption(*this, "AllowedNamespaces", AllowedNamespacesRaw));
  AllowedNamespaces = NameList(AllowedNamespaceNames);
  SpawnFunctionList = NameList(SpawnFunctionNames);
  Types.setNames(ThreadTypeNames);
  if (!AllowedFileRegexText.empty())
    AllowedFileRegex = compileRegexOption(*this, "AllowedFileRegex", AllowedFileRegexText);
}

// The values as written (what --dump-config shows and a run reads back), not the parsed lists.
void RawThreadCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "ThreadTypes", ThreadTypesRaw);
  Options.store(Opts, "SpawnFunctions", SpawnFunctionsRaw);
  Options.store(Opts, "AllowedFileRegex", AllowedFileRegexText);
  Options.store(Opts, "AllowedNamespaces", AllowedNamespacesRaw);
}

void RawThreadCheck::onStartOfTranslationUnit() {
  Types.clearCache();
  Reported.clear();
  Unevaluated.clear();
  Loops.clear();
  NamespaceLevel.clear();
  NamespaceLevelIndexed = false;
}

void RawThreadCheck::registerMatchers(MatchFinder *Finder) {
  if (Types.empty() && SpawnFunctionNames.empty())
    return;
  threads::UnevaluatedOperands::registerMatchers(Finder, this);
  LoopIndex::registerMatchers(Finder, this);
  // Thread types, their factories and emplace: C++ only.
  if (!Types.empty() && getLangOpts().CPlusPlus) {
    Finder->addMatcher(
        cxxConstructExpr(spawnsThread(&Types), unless(isExpansionInSystemHeader())).bind("construct"),
        this);
    Finder->addMatcher(callExpr(callee(functionDecl(hasAnyName(FactoryFunctions))),
                                unless(isExpansionInSystemHeader()))
                           .bind("factory"),
                       this);
    Finder->addMatcher(cxxMemberCallExpr(callee(cxxMethodDecl(hasAnyName(EmplaceMethods))),
                                         unless(isExpansionInSystemHeader()))
                           .bind("emplace"),
                       this);
    // Templates: constructions that clang leaves unresolved because their arguments depend on
    // template arguments. They exist only in templates as written (the instantiations hold ordinary
    // constructions, matched above, reported at the same place).
    auto Unresolved = expr(anyOf(parenListExpr(), initListExpr()));
    auto NotSystem = unless(isExpansionInSystemHeader());
    Finder->addMatcher(cxxUnresolvedConstructExpr(NotSystem).bind("dep-construct"), this);
    Finder->addMatcher(varDecl(NotSystem, hasInitializer(Unresolved)).bind("dep-var"), this);
    Finder->addMatcher(fieldDecl(NotSystem, hasInClassInitializer(Unresolved)).bind("dep-field"),
                       this);
    Finder->addMatcher(cxxCtorInitializer(isWritten(), withInitializer(Unresolved)).bind("dep-init"),
                       this);
    Finder->addMatcher(cxxNewExpr(NotSystem, has(Unresolved)).bind("dep-new"), this);
  }
  // Templates: calls whose callee is resolved per instantiation (dependent arguments).
  if (getLangOpts().CPlusPlus)
    Finder->addMatcher(callExpr(callee(expr(anyOf(unresolvedLookupExpr(), unresolvedMemberExpr()))),
                                unless(isExpansionInSystemHeader()))
                           .bind("dep-call"),
                       this);
  if (!SpawnFunctionNames.empty())
    Finder->addMatcher(callExpr(callee(functionDecl(hasAnyName(std::vector<StringRef>(SpawnFunctionNames.begin(),
                                                                         SpawnFunctionNames.end())))
                                       .bind("fn")),
                                unless(isExpansionInSystemHeader()))
                           .bind("spawn"),
                       this);
}

bool RawThreadCheck::isInAllowedNamespace(const DeclContext *DC) const {
  for (; DC; DC = DC->getParent())
    if (const auto *NS = dyn_cast<NamespaceDecl>(DC); NS && AllowedNamespaces.matches(*NS))
      return true;
  return false;
}

void RawThreadCheck::indexNamespaceLevel(ASTContext &Ctx) {
  NamespaceLevelIndexed = true;
  const SourceManager &SM = Ctx.getSourceManager();
  llvm::SmallVector<const DeclContext *, 16> Work;
  auto Visit = [&](const Decl *D) {
    SourceLocation Begin = SM.getExpansionLoc(D->getBeginLoc());
    if (Begin.isInvalid() || SM.isInSystemHeader(Begin))
      return;
    if (isa<NamespaceDecl, LinkageSpecDecl, ExportDecl>(D)) {
      Work.push_back(cast<DeclContext>(D));
      return;
    }
    SourceLocation End = SM.getExpansionRange(D->getEndLoc()).getEnd();
    auto [BeginFile, BeginOffset] = SM.getDecomposedLoc(Begin);
    auto [EndFile, EndOffset] = SM.getDecomposedLoc(End);
    if (BeginFile == EndFile && BeginOffset <= EndOffset) // else: not indexed, see the fallback
      NamespaceLevel[BeginFile].push_back({BeginOffset, EndOffset, D});
  };
  // The traversal scope is the whole translation unit for clang-tidy, and the main file's
  // top-level declarations in clangd (which must not deserialize its preamble).
  for (Decl *Root : Ctx.getTraversalScope()) {
    if (const auto *TU = dyn_cast<TranslationUnitDecl>(Root))
      Work.push_back(TU);
    else
      Visit(Root);
  }
  while (!Work.empty())
    for (const Decl *D : Work.pop_back_val()->decls())
      Visit(D);
}

bool RawThreadCheck::isSiteInAllowedNamespace(const Stmt *Site, ASTContext &Ctx) {
  // Code belongs to the namespaces of the namespace-level declaration it is written in: a
  // function, class, variable or template (an out-of-line member definition semantically belongs
  // to its class, and template instantiations carry their pattern's locations).
  if (!NamespaceLevelIndexed)
    indexNamespaceLevel(Ctx);
  const SourceManager &SM = Ctx.getSourceManager();
  auto [File, Offset] = SM.getDecomposedLoc(SM.getExpansionLoc(Site->getBeginLoc()));
  std::optional<bool> Allowed;
  if (auto It = NamespaceLevel.find(File); It != NamespaceLevel.end()) {
    for (const NamespaceLevelDecl &N : It->second) {
      if (Offset < N.Begin || Offset > N.End)
        continue;
      bool InAllowed = isInAllowedNamespace(N.D->getDeclContext());
      if (Allowed && *Allowed != InAllowed) {
        Allowed.reset(); // one macro expansion holding declarations of different namespaces
        break;
      }
      Allowed = InAllowed;
    }
  }
  if (Allowed)
    return *Allowed;
  return isInAllowedNamespace(threads::enclosingContextFromParents(Site, Ctx));
}

bool RawThreadCheck::shouldReport(SourceLocation &Loc, const Stmt *Site, ASTContext &Ctx) {
  const SourceManager &SM = Ctx.getSourceManager();
  Loc = threads::userLocation(SM, Loc);
  if (Loc.isInvalid() || Reported.claimed(Loc))
    return false;
  if (AllowedFileRegex && AllowedFileRegex->match(SM.getFilename(SM.getSpellingLoc(Loc)))) {
    Reported.settle(Loc); // depends on the location only: decided once
    return false;
  }
  // These depend on the site, not just its location: a macro can hold both a probe in an
  // unevaluated operand and a real spawn, which are reported at the same place (the macro's use).
  if (Unevaluated.contains(Site, SM))
    return false; // sizeof(std::thread(f)), decltype(...), requires { ... }: nothing runs
  if (!AllowedNamespaces.empty() && isSiteInAllowedNamespace(Site, Ctx))
    return false;
  Reported.settle(Loc);
  return true;
}

void RawThreadCheck::checkFactoryOrEmplace(const CallExpr *Call, ASTContext &Ctx) {
  const FunctionDecl *FD = Call->getDirectCallee();
  if (!FD)
    return;
  // The type being constructed.
  QualType Elem;
  bool PairSecond = false; // the element is a std::pair whose .second is constructed
  if (const auto *MD = dyn_cast<CXXMethodDecl>(FD)) {
    if (MD->getName() == "try_emplace") {
      Elem = memberType(MD->getParent(), "mapped_type");
    } else {
      Elem = memberType(MD->getParent(), "value_type");
      // std::any and std::variant have no value_type: their emplace names the type explicitly.
      // (Only library classes: what a user class's emplace<T> does with T is unknown.)
      if (Elem.isNull() && MD->getParent()->isInStdNamespace())
        Elem = explicitTypeArgument(Call);
      if (const TemplateArgumentList *Args = specializationArgs(Elem, "pair");
          Args && Args->size() == 2 && Args->get(1).getKind() == TemplateArgument::Type) {
        Elem = Args->get(1).getAsType();
        PairSecond = true;
      }
    }
  } else if (const TemplateArgumentList *TA = FD->getTemplateSpecializationArgs();
             TA && TA->size() > 0 && TA->get(0).getKind() == TemplateArgument::Type) {
    Elem = TA->get(0).getAsType();
  }
  if (Elem.isNull())
    return;
  int Index = Types.constructsAs(Elem.getCanonicalType()->getAsCXXRecordDecl());
  if (Index < 0)
    return;

  // The argument types the element's constructor receives.
  unsigned First = firstPackArgument(FD);
  llvm::SmallVector<QualType, 4> CtorArgs;
  for (unsigned I = First; I < Call->getNumArgs(); ++I)
    CtorArgs.push_back(Call->getArg(I)->getType());
  if (PairSecond) {
    // map.emplace(key, value) or map.emplace(std::piecewise_construct, key-tuple, value-tuple).
    if (CtorArgs.size() == 2) {
      CtorArgs.erase(CtorArgs.begin());
    } else if (CtorArgs.size() == 3) {
      const TemplateArgumentList *Tuple = specializationArgs(CtorArgs[2], "tuple");
      if (!Tuple || Tuple->size() != 1 || Tuple->get(0).getKind() != TemplateArgument::Pack)
        return;
      CtorArgs.clear();
      for (const TemplateArgument &A : Tuple->get(0).pack_elements())
        if (A.getKind() == TemplateArgument::Type)
          CtorArgs.push_back(A.getAsType());
    } else {
      return;
    }
  }
  if (CtorArgs.empty() || (CtorArgs.size() == 1 && Types.isThreadValue(CtorArgs[0])))
    return; // default construction or a move

  SourceLocation Loc = Call->getExprLoc();
  if (!shouldReport(Loc, Call, Ctx))
    return;
  const CXXRecordDecl *RD = Elem.getCanonicalType()->getAsCXXRecordDecl();
  std::string What = "'" + Types.display(Index) + "'";
  if (Types.exact(RD) < 0)
    What = "'" + RD->getQualifiedNameAsString() + "' (derived from " + What + ")";
  diag(Loc, "raw thread creation with %0 via '%1'; %2")
      << What << FD->getName() << Replacement << Call->getSourceRange();
  noteLoop(Call, Ctx);
}

void RawThreadCheck::noteLoop(const Stmt *Site, ASTContext &Ctx) {
  // A loop over input starts one thread per item. (tether-spawn-in-loop reports the same for the
  // runtime's spawns; raw spawns are reported here only, so no line is reported twice.)
  if (const Stmt *Loop = fanOut(Loops, Site, Ctx).UnboundedLoop)
    diag(userLocation(Ctx.getSourceManager(), loopKeyword(Loop)),
         "this loop starts one thread per iteration, with no bound", DiagnosticIDs::Note);
}

void RawThreadCheck::check(const MatchFinder::MatchResult &Result) {
  if (Unevaluated.record(Result) || Loops.record(Result))
    return;
  ASTContext &Ctx = *Result.Context;

  if (const auto *E = Result.Nodes.getNodeAs<CXXConstructExpr>("construct")) {
    SourceLocation Loc = E->getBeginLoc();
    if (!shouldReport(Loc, E, Ctx))
      return;
    int Index = Types.spawnedBy(E);
    const CXXRecordDecl *RD = E->getConstructor()->getParent();
    std::string What = "'" + Types.display(Index) + "'";
    if (Types.exact(RD) < 0)
      What = "'" + RD->getQualifiedNameAsString() + "' (derived from " + What + ")";
    diag(Loc, "raw thread creation with %0; %1") << What << Replacement << E->getSourceRange();
    noteLoop(E, Ctx);
    return;
  }

  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("factory")) {
    checkFactoryOrEmplace(Call, Ctx);
    return;
  }
  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("emplace")) {
    checkFactoryOrEmplace(Call, Ctx);
    return;
  }

  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("spawn")) {
    checkSpawnCall(Call, Result.Nodes.getNodeAs<FunctionDecl>("fn"), Ctx);
    return;
  }

  // Templates: unresolved constructions, at the place the instantiations' constructions are
  // reported (the type for a temporary, the name for a variable or a member initializer, the brace
  // of a default member initializer, the type after `new`).
  llvm::SmallVector<const Expr *, 4> Args;
  if (const auto *U = Result.Nodes.getNodeAs<CXXUnresolvedConstructExpr>("dep-construct")) {
    if (threads::unresolvedInitArgs(U, Args))
      checkUnresolvedConstruction(U->getTypeAsWritten(), Args, U->getBeginLoc(), U, Ctx);
    return;
  }
  if (const auto *VD = Result.Nodes.getNodeAs<VarDecl>("dep-var")) {
    if (threads::unresolvedInitArgs(VD->getInit(), Args))
      checkUnresolvedConstruction(VD->getType(), Args, VD->getLocation(), VD->getInit(), Ctx);
    return;
  }
  if (const auto *FD = Result.Nodes.getNodeAs<FieldDecl>("dep-field")) {
    if (threads::unresolvedInitArgs(FD->getInClassInitializer(), Args))
      checkUnresolvedConstruction(FD->getType(), Args, // `std::thread m_t{...}`: at the brace
                                  FD->getInClassInitializer()->getBeginLoc(),
                                  FD->getInClassInitializer(), Ctx);
    return;
  }
  if (const auto *Init = Result.Nodes.getNodeAs<CXXCtorInitializer>("dep-init")) {
    QualType T;
    if (const FieldDecl *Member = Init->getMember())
      T = Member->getType();
    else if (const Type *Base = Init->getBaseClass())
      T = QualType(Base, 0);
    SourceLocation Loc = Init->getSourceLocation();
    if (!T.isNull() && Loc.isValid() &&
        !Ctx.getSourceManager().isInSystemHeader(Ctx.getSourceManager().getExpansionLoc(Loc)) &&
        threads::unresolvedInitArgs(Init->getInit(), Args))
      checkUnresolvedConstruction(T, Args, Loc, Init->getInit(), Ctx);
    return;
  }
  if (const auto *New = Result.Nodes.getNodeAs<CXXNewExpr>("dep-new")) {
    if (const TypeSourceInfo *TSI = New->getAllocatedTypeSourceInfo();
        TSI && !New->isArray() && threads::unresolvedInitArgs(New->getInitializer(), Args))
      checkUnresolvedConstruction(New->getAllocatedType(), Args, TSI->getTypeLoc().getBeginLoc(),
                                  New, Ctx);
    return;
  }
  if (const auto *Call = Result.Nodes.getNodeAs<CallExpr>("dep-call"))
    checkUnresolvedCall(Call, Ctx);
}

void RawThreadCheck::checkSpawnCall(const CallExpr *Call, const FunctionDecl *FD, ASTContext &Ctx) {
  bool IsStdAsync = FD->isInStdNamespace() && FD->getName() == "async";
  // std::async(std::launch::deferred, f) runs f lazily on the thread that calls get()/wait():
  // no thread is started, so it is not reported. Any other (or unknown) policy may start one.
  if (IsStdAsync && Call->getNumArgs() > 0) {
    const Expr *Policy = Call->getArg(0)->IgnoreParens();
    if (Policy->isTypeDependent() || isa<PackExpansionExpr>(Policy)) {
      // In a template: with one argument it is the callable; with more, a first argument that
      // may be a std::launch (a variable, a forwarded argument) hinges on the template arguments.
      // A lambda or an address (`&C::run`) is a callable.
      const auto *UO = dyn_cast<UnaryOperator>(Policy);
      bool Callable = isa<LambdaExpr>(Policy) || (UO && UO->getOpcode() == UO_AddrOf);
      if (isa<PackExpansionExpr>(Policy) || (Call->getNumArgs() > 1 && !Callable))
        return;
    } else if (const auto *ET = Policy->getType()->getAs<EnumType>()) {
      const EnumDecl *ED = ET->getDecl()->getDefinitionOrSelf();
      const EnumConstantDecl *Deferred = nullptr;
      for (const EnumConstantDecl *C : ED->enumerators())
        if (C->getName() == "deferred")
          Deferred = C;
      Expr::EvalResult R;
      if (Deferred && ED->getName() == "launch" && !Policy->isValueDependent() &&
          Policy->EvaluateAsInt(R, Ctx) && R.Val.isInt() &&
          llvm::APSInt::isSameValue(R.Val.getInt(), Deferred->getInitVal()))
        return;
    }
  }
  SourceLocation Loc = Call->getExprLoc();
  if (!shouldReport(Loc, Call, Ctx))
    return;
  if (IsStdAsync)
    diag(Loc, "call to 'std::async' starts an untracked thread: nothing can cancel it or bound "
              "it, and the returned std::future blocks in its destructor until the task ends; "
              "use %0 instead")
        << api::ApprovedSpawn << Call->getSourceRange();
  else if (getLangOpts().CPlusPlus)
    diag(Loc, "call to '%0' starts an untracked thread; use %1 instead")
        << FD->getQualifiedNameAsString() << api::ApprovedSpawn << Call->getSourceRange();
  else // C has no tether runtime: the thread has to come from the C++ side.
    diag(Loc, "call to '%0' starts an untracked thread; start it from the C++ side with "
              "'tether::safe_go' or a 'tether::task_group' instead")
        << FD->getQualifiedNameAsString() << Call->getSourceRange();
  noteLoop(Call, Ctx);
}

void RawThreadCheck::checkUnresolvedConstruction(QualType T, llvm::ArrayRef<const Expr *> Args,
                                                 SourceLocation Loc, const Stmt *Site,
                                                 ASTContext &Ctx, llvm::StringRef Via) {
  // `T t(fn)` with T a template parameter: the instantiations decide.
  if (T.isNull() || T->isDependentType())
    return;
  const CXXRecordDecl *RD = T.getCanonicalType()->getAsCXXRecordDecl();
  int Index = Types.constructsAs(RD);
  if (Index < 0 || threads::judgeDependentConstruction(Args, Types) != threads::DependentSpawn::Spawn)
    return;
  if (!shouldReport(Loc, Site, Ctx))
    return;
  // The same message as an instantiation's (the runner merges identical findings across TUs).
  std::string What = "'" + Types.display(Index) + "'";
  if (Types.exact(RD) < 0)
    What = "'" + RD->getQualifiedNameAsString() + "' (derived from " + What + ")";
  if (Via.empty())
    diag(Loc, "raw thread creation with %0; %1") << What << Replacement << Site->getSourceRange();
  else
    diag(Loc, "raw thread creation with %0 via '%1'; %2")
        << What << Via << Replacement << Site->getSourceRange();
  noteLoop(Site, Ctx);
}

void RawThreadCheck::checkUnresolvedCall(const CallExpr *Call, ASTContext &Ctx) {
  const auto *OE = dyn_cast<OverloadExpr>(Call->getCallee()->IgnoreParens());
  const IdentifierInfo *II = OE ? OE->getName().getAsIdentifierInfo() : nullptr;
  if (!II)
    return;
  llvm::StringRef Name = II->getName();
  llvm::SmallVector<const Expr *, 4> Args(Call->arguments());

  if (const auto *ULE = dyn_cast<UnresolvedLookupExpr>(OE)) {
    // pthread_create(&tid, nullptr, &C::entry, this), std::async(std::launch::async, &C::run, this):
    // a candidate of the overload set is a spawn function.
    if (!SpawnFunctionList.empty())
      for (const NamedDecl *D : ULE->decls())
        if (const FunctionDecl *FD = D->getUnderlyingDecl()->getAsFunction();
            FD && SpawnFunctionList.matches(*FD)) {
          checkSpawnCall(Call, FD, Ctx);
          return;
        }
    // std::make_unique<std::thread>(&C::run, this): the type is the first explicit argument.
    if (Types.empty() || !ULE->hasExplicitTemplateArgs() || ULE->getNumTemplateArgs() == 0 ||
        ULE->template_arguments()[0].getArgument().getKind() != TemplateArgument::Type)
      return;
    const NamedDecl *Factory = nullptr;
    for (const NamedDecl *D : ULE->decls())
      if (const FunctionDecl *FD = D->getUnderlyingDecl()->getAsFunction();
          FD && FD->isInStdNamespace() &&
          llvm::is_contained({"make_unique", "make_shared", "allocate_shared"}, Name))
        Factory = FD;
    if (!Factory)
      return;
    llvm::ArrayRef<const Expr *> CtorArgs(Args);
    if (Name == "allocate_shared") { // the allocator first
      if (CtorArgs.empty())
        return;
      CtorArgs = CtorArgs.drop_front();
    }
    checkUnresolvedConstruction(ULE->template_arguments()[0].getArgument().getAsType(), CtorArgs,
                                Call->getExprLoc(), Call, Ctx, Name);
    return;
  }

  // threads.emplace_back(&C::run, this) on a container of threads whose type is known.
  const auto *UME = cast<UnresolvedMemberExpr>(OE);
  if (Types.empty() || !llvm::is_contained(EmplaceMethods, Name))
    return;
  QualType Base = UME->getBaseType();
  if (UME->isArrow() && !Base.isNull())
    Base = Base->getPointeeType();
  if (Base.isNull() || Base->isDependentType())
    return; // a container of T: the instantiations decide
  const CXXRecordDecl *Container = Base.getCanonicalType()->getAsCXXRecordDecl();
  QualType Elem = memberType(Container, Name == "try_emplace" ? "mapped_type" : "value_type");
  if (Elem.isNull())
    return;
  llvm::ArrayRef<const Expr *> CtorArgs(Args);
  if (Name == "try_emplace") {
    if (CtorArgs.empty())
      return;
    CtorArgs = CtorArgs.drop_front(); // the key
  } else if (const TemplateArgumentList *Pair = specializationArgs(Elem, "pair")) {
    // map.emplace(key, value): the mapped value is constructed from the second argument only.
    if (Pair->size() != 2 || Pair->get(1).getKind() != TemplateArgument::Type ||
        CtorArgs.size() != 2)
      return;
    Elem = Pair->get(1).getAsType();
    CtorArgs = CtorArgs.drop_front();
  }
  checkUnresolvedConstruction(Elem, CtorArgs, UME->getMemberLoc(), Call, Ctx, Name);
}

} // namespace clang::tidy::tether
