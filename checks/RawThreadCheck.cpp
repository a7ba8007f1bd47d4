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
// Helpers shared with ThreadDetachCheck.
// ---------------------------------------------------------------------------------------------
namespace threads {

QualifiedName parseQualifiedName(llvm::StringRef Name) {
  QualifiedName Q;
  Name = Name.trim();
  Q.Anchored = Name.consume_front("::");
  Q.Display = Name.str();
  llvm::SmallVector<llvm::StringRef, 4> Parts;
  Name.split(Parts, "::", -1, /*KeepEmpty=*/false);
  for (llvm::StringRef P : Parts)
    Q.Parts.push_back(P.str());
  return Q;
}

std::vector<QualifiedName> parseQualifiedNames(const std::vector<std::string> &Names) {
  std::vector<QualifiedName> Out;
  for (const std::string &N : Names) {
    QualifiedName Q = parseQualifiedName(N);
    if (!Q.Parts.empty())
      Out.push_back(std::move(Q));
  }
  return Out;
}

static bool isSkippableContext(const DeclContext *DC) {
  return DC->isTransparentContext() || DC->isInlineNamespace() || isa<LinkageSpecDecl>(DC);
}

bool declHasName(const NamedDecl *D, const QualifiedName &Name) {
  if (Name.Parts.empty() || !D->getDeclName().isIdentifier() || D->getName() != Name.Parts.back())
    return false;
  const DeclContext *DC = D->getDeclContext();
  for (size_t I = Name.Parts.size() - 1; I-- > 0;) {
    // Find the next named scope; inline namespaces match by name or are skipped.
    while (DC) {
      if (const auto *ND = dyn_cast<NamedDecl>(DC);
          ND && ND->getDeclName().isIdentifier() && ND->getName() == Name.Parts[I] &&
          (isa<NamespaceDecl>(DC) || isa<RecordDecl>(DC)))
        break;
      if (!isSkippableContext(DC))
        return false;
      DC = DC->getParent();
    }
    if (!DC)
      return false;
    DC = DC->getParent();
  }
  if (!Name.Anchored)
    return true;
  while (DC && !DC->isTranslationUnit() && isSkippableContext(DC))
    DC = DC->getParent();
  return DC && DC->isTranslationUnit();
}

void ThreadTypeSet::setNames(const std::vector<std::string> &Names) {
  Types = parseQualifiedNames(Names);
  clearCache();
}

void ThreadTypeSet::clearCache() {
  ExactCache.clear();
  DerivedCache.clear();
  InheritCache.clear();
}

int ThreadTypeSet::exact(const CXXRecordDecl *RD) {
  if (!RD)
    return -1;
  RD = RD->getCanonicalDecl();
  auto [It, Inserted] = ExactCache.try_emplace(RD, -1);
  if (!Inserted)
    return It->second;
  int Found = -1;
  for (size_t I = 0; I < Types.size() && Found < 0; ++I)
    if (declHasName(RD, Types[I]))
      Found = static_cast<int>(I);
  ExactCache[RD] = Found;
  return Found;
}

int ThreadTypeSet::sameOrDerived(const CXXRecordDecl *RD) {
  if (!RD)
    return -1;
  RD = RD->getCanonicalDecl();
  if (auto It = DerivedCache.find(RD); It != DerivedCache.end())
    return It->second;
  DerivedCache[RD] = -1; // guards against (invalid) cycles
  int Found = exact(RD);
  if (Found < 0) {
    if (const CXXRecordDecl *Def = RD->getDefinition()) {
      for (const CXXBaseSpecifier &B : Def->bases()) {
        Found = sameOrDerived(B.getType()->getAsCXXRecordDecl());
        if (Found >= 0)
          break;
      }
    }
  }
  DerivedCache[RD] = Found;
  return Found;
}

int ThreadTypeSet::constructsAs(const CXXRecordDecl *RD) {
  if (!RD)
    return -1;
  RD = RD->getCanonicalDecl();
  if (auto It = InheritCache.find(RD); It != InheritCache.end())
    return It->second;
  InheritCache[RD] = -1;
  int Found = exact(RD);
  if (Found < 0) {
    if (const CXXRecordDecl *Def = RD->getDefinition()) {
      for (const Decl *D : Def->decls()) {
        if (const auto *S = dyn_cast<ConstructorUsingShadowDecl>(D)) {
          Found = constructsAs(S->getNominatedBaseClass());
          if (Found >= 0)
            break;
        }
      }
    }
  }
  InheritCache[RD] = Found;
  return Found;
}

bool ThreadTypeSet::isThreadValue(QualType T) {
  if (T.isNull())
    return false;
  return sameOrDerived(T.getNonReferenceType()->getAsCXXRecordDecl()) >= 0;
}

int ThreadTypeSet::spawnedBy(const CXXConstructExpr *E) {
  const CXXConstructorDecl *C = E->getConstructor();
  if (!C)
    return -1;
  // Fast path for the common case: an ordinary constructor of a class that is not a thread type.
  if (!C->isInheritingConstructor() && exact(C->getParent()) < 0)
    return -1;
  // `my_thread w(fn)` with `using std::thread::thread;` calls the inherited std::thread constructor.
  while (C->isInheritingConstructor()) {
    InheritedConstructor IC = C->getInheritedConstructor();
    if (!IC || !IC.getConstructor())
      break;
    C = IC.getConstructor();
  }
  if (C->isDefaultConstructor() || C->isCopyOrMoveConstructor())
    return -1;
  // A derived class's own constructor is not the spawn site: its base initializer is.
  return exact(C->getParent());
}

SourceLocation userLocation(const SourceManager &SM, SourceLocation Loc) {
  return Loc.isValid() ? SM.getFileLoc(Loc) : Loc;
}

const Expr *stripConstruction(const Expr *E) {
  while (E) {
    const Expr *Prev = E;
    E = E->IgnoreParenImpCasts();
    if (const auto *EWC = dyn_cast<ExprWithCleanups>(E))
      E = EWC->getSubExpr();
    else if (const auto *MTE = dyn_cast<MaterializeTemporaryExpr>(E))
      E = MTE->getSubExpr();
    else if (const auto *BTE = dyn_cast<CXXBindTemporaryExpr>(E))
      E = BTE->getSubExpr();
    else if (const auto *FC = dyn_cast<CXXFunctionalCastExpr>(E))
      E = FC->getSubExpr();
    if (E == Prev)
      break;
  }
  return E;
}

namespace {

constexpr llvm::StringLiteral UnevaluatedExprID = "tether-unevaluated-expr";
constexpr llvm::StringLiteral UnevaluatedTypeID = "tether-unevaluated-type";

AST_MATCHER(UnaryExprOrTypeTraitExpr, hasArgumentExpr) { return !Node.isArgumentType(); }

// There is no upstream matcher for typeid.
const ast_matchers::internal::VariadicDynCastAllOfMatcher<Stmt, CXXTypeidExpr> typeidExpr;

AST_MATCHER(CXXTypeidExpr, hasUnevaluatedOperand) {
  return !Node.isTypeOperand() && !Node.isPotentiallyEvaluated();
}

AST_MATCHER(TypeLoc, isTypeOfExpression) {
  TypeLoc::TypeLocClass C = Node.getTypeLocClass();
  return C == TypeLoc::Decltype || C == TypeLoc::TypeOfExpr;
}

/// Is \p S inside the subtree of \p Root? Only for the rare locations that the source range
/// cannot decide; walks the operand, which is small.
bool isWithin(const Stmt *S, const Stmt *Root) {
  llvm::SmallVector<const Stmt *, 32> Work{Root};
  while (!Work.empty()) {
    const Stmt *N = Work.pop_back_val();
    if (N == S)
      return true;
    if (const auto *RE = dyn_cast<RequiresExpr>(N)) {
      // Its requirements are not children.
      for (const concepts::Requirement *R : RE->getRequirements()) {
        if (const auto *ER = dyn_cast<concepts::ExprRequirement>(R);
            ER && !ER->isExprSubstitutionFailure())
          Work.push_back(ER->getExpr());
        else if (const auto *NR = dyn_cast<concepts::NestedRequirement>(R);
                 NR && !NR->hasInvalidConstraint())
          Work.push_back(NR->getConstraintExpr());
      }
      continue;
    }
    for (const Stmt *Child : N->children())
      if (Child)
        Work.push_back(Child);
  }
  return false;
}

} // namespace

void UnevaluatedOperands::registerMatchers(MatchFinder *Finder,
                                           MatchFinder::MatchCallback *Callback) {
  // One matcher per node kind, so that the finder runs each only on nodes of that kind; the
  // cheap node test comes before the system-header test.
  auto NotInSystemHeader = unless(isExpansionInSystemHeader());
  Finder->addMatcher(
      unaryExprOrTypeTraitExpr(hasArgumentExpr(), NotInSystemHeader).bind(UnevaluatedExprID),
      Callback);
  Finder->addMatcher(cxxNoexceptExpr(NotInSystemHeader).bind(UnevaluatedExprID), Callback);
  Finder->addMatcher(
      typeidExpr(hasUnevaluatedOperand(), NotInSystemHeader).bind(UnevaluatedExprID), Callback);
  Finder->addMatcher(expr(requiresExpr(NotInSystemHeader)).bind(UnevaluatedExprID), Callback);
  Finder->addMatcher(typeLoc(isTypeOfExpression(), NotInSystemHeader).bind(UnevaluatedTypeID),
                     Callback);
}

bool UnevaluatedOperands::record(const MatchFinder::MatchResult &Result) {
  const Stmt *Root = nullptr;
  SourceRange Range;
  if (const auto *E = Result.Nodes.getNodeAs<Expr>(UnevaluatedExprID)) {
    Root = E;
    Range = E->getSourceRange();
  } else if (const auto *TL = Result.Nodes.getNodeAs<TypeLoc>(UnevaluatedTypeID)) {
    if (auto D = TL->getAs<DecltypeTypeLoc>())
      Root = D.getUnderlyingExpr();
    else if (auto T = TL->getAs<TypeOfExprTypeLoc>())
      Root = T.getUnderlyingExpr();
    Range = TL->getSourceRange();
  } else {
    return false;
  }
  if (!Root || Range.isInvalid())
    return true;
  const SourceManager &SM = *Result.SourceManager;
  Operand O;
  O.Begin = SM.getExpansionLoc(Range.getBegin());
  O.End = SM.getExpansionRange(Range.getEnd()).getEnd();
  O.Root = Root;
  auto [BeginFile, BeginOffset] = SM.getDecomposedLoc(O.Begin);
  auto [EndFile, EndOffset] = SM.getDecomposedLoc(O.End);
  if (BeginFile == EndFile) {
    O.File = BeginFile;
    O.BeginOffset = BeginOffset;
    O.EndOffset = EndOffset;
  }
  Operands.push_back(O);
  return true;
}

bool UnevaluatedOperands::contains(const Stmt *S, const SourceManager &SM) const {
  if (Operands.empty())
    return false;
  SourceLocation Loc = SM.getExpansionLoc(S->getBeginLoc());
  auto [File, Offset] = SM.getDecomposedLoc(Loc);
  for (const Operand &O : Operands) {
    bool OnEdge;
    if (O.File.isValid()) {
      if (O.File != File || Offset < O.BeginOffset || Offset > O.EndOffset)
        continue;
      OnEdge = Offset == O.BeginOffset || Offset == O.EndOffset;
    } else {
      if (SM.isBeforeInTranslationUnit(Loc, O.Begin) || SM.isBeforeInTranslationUnit(O.End, Loc))
        continue;
      OnEdge = Loc == O.Begin || Loc == O.End;
    }
    // Strictly inside: the site is written between the operator and its closing token. On the
    // first or last token it shares a macro expansion with the operator (`SIZEOF(std::thread(f))`,
    // or a macro holding both a sizeof and a spawn): the AST decides.
    if (!OnEdge || isWithin(S, O.Root))
      return true;
  }
  return false;
}

const DeclContext *enclosingContextFromParents(const Stmt *S, ASTContext &Ctx) {
  DynTypedNode Node = DynTypedNode::create(*S);
  for (unsigned Depth = 0; Depth < 4096; ++Depth) {
    DynTypedNodeList Parents = Ctx.getParents(Node);
    if (Parents.empty())
      break;
    Node = Parents[0];
    if (const auto *D = Node.get<Decl>())
      return isa<DeclContext>(D) ? cast<DeclContext>(D) : D->getDeclContext();
  }
  return nullptr;
}

} // namespace threads

// ---------------------------------------------------------------------------------------------
// tether-raw-thread
// ---------------------------------------------------------------------------------------------
namespace {

AST_MATCHER_P(CXXConstructExpr, spawnsThread, threads::ThreadTypeSet *, Types) {
  return Types->spawnedBy(&Node) >= 0;
}

constexpr llvm::StringLiteral DefaultThreadTypes = "::std::thread;::std::jthread;::boost::thread";
constexpr llvm::StringLiteral DefaultSpawnFunctions = "::pthread_create;::thrd_create;::std::async";

constexpr llvm::StringLiteral Replacement =
    "spawn through 'tether::safe_go' (owned, named, cancellable) or a 'tether::task_group' instead";

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
      ThreadTypesRaw(Options.get("ThreadTypes", DefaultThreadTypes)),
      SpawnFunctionsRaw(Options.get("SpawnFunctions", DefaultSpawnFunctions)),
      AllowedFileRegexText(Options.get("AllowedFileRegex", "")),
      AllowedNamespacesRaw(Options.get("AllowedNamespaces", "")) {
  ThreadTypeNames = validateQualifiedNames(*this, "ThreadTypes",
                                           splitListOption(*this, "ThreadTypes", ThreadTypesRaw));
  SpawnFunctionNames = validateQualifiedNames(
      *this, "SpawnFunctions", splitListOption(*this, "SpawnFunctions", SpawnFunctionsRaw));
  AllowedNamespaceNames = validateQualifiedNames(
      *this, "AllowedNamespaces", splitListOption(*this, "AllowedNamespaces", AllowedNamespacesRaw));
  Types.setNames(ThreadTypeNames);
  if (!AllowedFileRegexText.empty())
    AllowedFileRegex = compileRegexOption(*this, "AllowedFileRegex", AllowedFileRegexText);
  AllowedNamespaces = threads::parseQualifiedNames(AllowedNamespaceNames);
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
  NamespaceLevel.clear();
  NamespaceLevelIndexed = false;
}

void RawThreadCheck::registerMatchers(MatchFinder *Finder) {
  if (Types.empty() && SpawnFunctionNames.empty())
    return;
  threads::UnevaluatedOperands::registerMatchers(Finder, this);
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
  }
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
    if (const auto *NS = dyn_cast<NamespaceDecl>(DC))
      for (const threads::QualifiedName &Allowed : AllowedNamespaces)
        if (threads::declHasName(NS, Allowed))
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
  if (Loc.isInvalid() || Reported.contains(Loc))
    return false;
  if (AllowedFileRegex && AllowedFileRegex->match(SM.getFilename(SM.getSpellingLoc(Loc)))) {
    Reported.insert(Loc); // depends on the location only: decided once
    return false;
  }
  // These depend on the site, not just its location: a macro can hold both a probe in an
  // unevaluated operand and a real spawn, which are reported at the same place (the macro's use).
  if (Unevaluated.contains(Site, SM))
    return false; // sizeof(std::thread(f)), decltype(...), requires { ... }: nothing runs
  if (!AllowedNamespaces.empty() && isSiteInAllowedNamespace(Site, Ctx))
    return false;
  Reported.insert(Loc);
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
}

void RawThreadCheck::check(const MatchFinder::MatchResult &Result) {
  if (Unevaluated.record(Result))
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
    const auto *FD = Result.Nodes.getNodeAs<FunctionDecl>("fn");
    bool IsStdAsync = FD->isInStdNamespace() && FD->getName() == "async";
    // std::async(std::launch::deferred, f) runs f lazily on the thread that calls get()/wait():
    // no thread is started, so it is not reported. Any other (or unknown) policy may start one.
    if (IsStdAsync && Call->getNumArgs() > 0) {
      const Expr *Policy = Call->getArg(0);
      if (const auto *ET = Policy->getType()->getAs<EnumType>()) {
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
                "use 'tether::safe_go' or 'tether::task_group' instead")
          << Call->getSourceRange();
    else if (getLangOpts().CPlusPlus)
      diag(Loc, "call to '%0' starts an untracked thread; use 'tether::safe_go' or "
                "'tether::task_group' instead")
          << FD->getQualifiedNameAsString() << Call->getSourceRange();
    else // C has no tether runtime: the thread has to come from the C++ side.
      diag(Loc, "call to '%0' starts an untracked thread; start it from the C++ side with "
                "'tether::safe_go' or a 'tether::task_group' instead")
          << FD->getQualifiedNameAsString() << Call->getSourceRange();
  }
}

} // namespace clang::tidy::tether
