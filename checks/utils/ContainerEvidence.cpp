#include "ContainerEvidence.h"
#include "Expressions.h"
#include "SpawnSites.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "llvm/ADT/StringSwitch.h"

using namespace clang::ast_matchers;

namespace clang::tidy::tether::containers {

// ---- Container types --------------------------------------------------------------------------

namespace {

const Type *bareType(QualType T) {
  if (T.isNull())
    return nullptr;
  return T.getNonReferenceType()->getUnqualifiedDesugaredType();
}

/// The record a class template is written as (its pattern), for reading member declarations of a
/// specialization that is not instantiated.
const CXXRecordDecl *patternOf(const TemplateDecl *TD) {
  if (const auto *CTD = dyn_cast_or_null<ClassTemplateDecl>(TD))
    return CTD->getTemplatedDecl();
  return nullptr;
}

bool declaresMember(const CXXRecordDecl *RD, StringRef Name) {
  if (!RD)
    return false;
  for (const Decl *D : RD->decls())
    if (const auto *ND = dyn_cast<NamedDecl>(D); ND && ND->getIdentifier() && ND->getName() == Name)
      return true;
  return false;
}

/// Is \p TD one of the named templates of namespace std (inline namespaces skipped)?
bool isStdTemplate(const TemplateDecl *TD, std::initializer_list<StringRef> Names) {
  if (!TD || !TD->getIdentifier() || !TD->isInStdNamespace())
    return false;
  return llvm::is_contained(Names, TD->getName());
}

bool isInNamespace(const NamedDecl *D, StringRef NS) {
  const DeclContext *DC = D->getDeclContext();
  while (DC && isa<NamespaceDecl>(DC) && cast<NamespaceDecl>(DC)->isInline())
    DC = DC->getParent();
  const auto *N = dyn_cast_or_null<NamespaceDecl>(DC);
  return N && N->getIdentifier() && N->getName() == NS &&
         N->getDeclContext()->getRedeclContext()->isTranslationUnit();
}

} // namespace

const TemplateDecl *containerTemplate(QualType T) {
  const Type *Ty = bareType(T);
  if (!Ty)
    return nullptr;
  if (const auto *RT = dyn_cast<RecordType>(Ty)) {
    if (const auto *Spec = dyn_cast<ClassTemplateSpecializationDecl>(RT->getDecl()))
      return Spec->getSpecializedTemplate();
    return nullptr;
  }
  if (const auto *TST = dyn_cast<TemplateSpecializationType>(Ty))
    return TST->getTemplateName().getAsTemplateDecl();
  return nullptr;
}

llvm::ArrayRef<TemplateArgument> containerArguments(QualType T) {
  const Type *Ty = bareType(T);
  if (!Ty)
    return {};
  if (const auto *RT = dyn_cast<RecordType>(Ty)) {
    if (const auto *Spec = dyn_cast<ClassTemplateSpecializationDecl>(RT->getDecl()))
      return Spec->getTemplateArgs().asArray();
    return {};
  }
  if (const auto *TST = dyn_cast<TemplateSpecializationType>(Ty))
    return TST->template_arguments();
  return {};
}

bool isMapLike(QualType T) {
  const TemplateDecl *TD = containerTemplate(T);
  if (!TD)
    return false;
  if (declaresMember(patternOf(TD), "mapped_type"))
    return true;
  // absl::flat_hash_map and friends declare mapped_type in a base: go by the name.
  return TD->getIdentifier() && TD->getName().contains_insensitive("map");
}

bool hasUniqueKeys(QualType T) {
  const TemplateDecl *TD = containerTemplate(T);
  return TD && TD->getIdentifier() && !TD->getName().contains_insensitive("multi");
}

QualType entryType(QualType Container) {
  llvm::ArrayRef<TemplateArgument> Args = containerArguments(Container);
  unsigned Index = isMapLike(Container) ? 1 : 0;
  if (Args.size() <= Index || Args[Index].getKind() != TemplateArgument::Type)
    return {};
  return Args[Index].getAsType();
}

DeclarationName memberName(const Expr *Access) {
  if (const auto *ME = dyn_cast_or_null<MemberExpr>(Access))
    return ME->getMemberDecl()->getDeclName();
  if (const auto *UME = dyn_cast_or_null<UnresolvedMemberExpr>(Access))
    return UME->getMemberName();
  if (const auto *DME = dyn_cast_or_null<CXXDependentScopeMemberExpr>(Access))
    return DME->getMember();
  return {};
}

// ---- Rule 1: bounded key domain ------------------------------------------------------------------

bool isConstantKey(const Expr *Key, ASTContext &Ctx) {
  for (unsigned Depth = 0; Key && Depth < 8; ++Depth) {
    const Expr *E = stripConstruction(Key);
    if (isa<IntegerLiteral, StringLiteral, CharacterLiteral, FloatingLiteral, CXXBoolLiteralExpr,
            FixedPointLiteral, SizeOfPackExpr, UnaryExprOrTypeTraitExpr,
            SubstNonTypeTemplateParmExpr>(E))
      return true;
    if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
      const ValueDecl *D = DRE->getDecl();
      if (isa<EnumConstantDecl, NonTypeTemplateParmDecl>(D))
        return true;
    }
    if (const auto *UDL = dyn_cast<UserDefinedLiteral>(E)) {
      if (const Expr *Cooked = UDL->getCookedLiteral();
          Cooked && isa<StringLiteral, IntegerLiteral, FloatingLiteral, CharacterLiteral>(
                        Cooked->IgnoreParenImpCasts()))
        return true;
    }
    if (E->isValueDependent() || E->isTypeDependent()) {
      // std::string("x") or Key("x") in a template pattern: look through a one-argument construction.
      if (const auto *UC = dyn_cast<CXXUnresolvedConstructExpr>(E); UC && UC->getNumArgs() == 1) {
        Key = UC->getArg(0);
        continue;
      }
      if (const auto *PL = dyn_cast<ParenListExpr>(E); PL && PL->getNumExprs() == 1) {
        Key = PL->getExpr(0);
        continue;
      }
      if (const auto *CO = dyn_cast<ConditionalOperator>(E))
        return isConstantKey(CO->getTrueExpr(), Ctx) && isConstantKey(CO->getFalseExpr(), Ctx);
      return false;
    }
    // A class-type key built from one constant (std::string from a literal is done by
    // evaluateString; a user's Key(42) here).
    if (const auto *CE = dyn_cast<CXXConstructExpr>(E);
        CE && CE->getNumArgs() == 1 && !CE->getConstructor()->isCopyOrMoveConstructor()) {
      const CXXRecordDecl *RD = CE->getConstructor()->getParent();
      if (!(RD->isInStdNamespace() && RD->getIdentifier() &&
            RD->getName().starts_with("basic_string"))) {
        Key = CE->getArg(0);
        continue;
      }
    }
    return evaluateString(E, Ctx).K != StringValue::RunTime;
  }
  return false;
}

namespace {

/// The key of one entry as written: the entry itself for a set, its first element for a map.
const Expr *keyOfEntry(const Expr *Entry, bool MapLike) {
  for (unsigned Depth = 0; Entry && Depth < 4; ++Depth) {
    const Expr *E = stripConstruction(Entry);
    if (!MapLike)
      return E;
    if (const auto *ILE = dyn_cast<InitListExpr>(E))
      return ILE->getNumInits() >= 1 ? ILE->getInit(0) : nullptr;
    if (const auto *CE = dyn_cast<CXXConstructExpr>(E)) {
      if (CE->getNumArgs() == 1 && CE->getConstructor()->isCopyOrMoveConstructor()) {
        Entry = CE->getArg(0);
        continue;
      }
      return CE->getNumArgs() >= 2 ? CE->getArg(0) : nullptr;
    }
    if (const auto *UC = dyn_cast<CXXUnresolvedConstructExpr>(E))
      return UC->getNumArgs() >= 2 ? UC->getArg(0) : nullptr;
    if (const auto *PL = dyn_cast<ParenListExpr>(E))
      return PL->getNumExprs() >= 2 ? PL->getExpr(0) : nullptr;
    if (const auto *Call = dyn_cast<CallExpr>(E)) {
      // std::make_pair(k, v)
      const auto *FD = Call->getDirectCallee();
      if (FD && FD->isInStdNamespace() && FD->getIdentifier() && FD->getName() == "make_pair" &&
          Call->getNumArgs() == 2)
        return Call->getArg(0);
      if (const auto *ULE = dyn_cast<UnresolvedLookupExpr>(Call->getCallee()->IgnoreParenImpCasts());
          ULE && ULE->getName().isIdentifier() && ULE->getName().getAsString() == "make_pair" &&
          Call->getNumArgs() == 2)
        return Call->getArg(0);
    }
    return nullptr;
  }
  return nullptr;
}

/// Is \p E (an argument) an iterator: a hint, or one end of a range?
bool isIteratorArgument(const Expr *E) {
  QualType T = E->IgnoreParenImpCasts()->getType();
  if (T.isNull() || T->isDependentType())
    return false;
  if (T->isPointerType())
    return true;
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  return RD && RD->getIdentifier() && RD->getName().contains_insensitive("iterator");
}

bool isPiecewise(const Expr *E) {
  const auto *RD = stripConstruction(E)->getType()->getAsCXXRecordDecl();
  return RD && RD->getIdentifier() && RD->getName() == "piecewise_construct_t";
}

} // namespace

bool growthKeys(const Expr *Growth, bool MapLike, llvm::SmallVectorImpl<const Expr *> &Keys) {
  if (!Growth)
    return false;
  if (const auto *ASE = dyn_cast<ArraySubscriptExpr>(Growth)) {
    Keys.push_back(ASE->getRHS()); // not getIdx(): with a string literal index it picks the map
    return true;
  }
  const auto *Call = dyn_cast<CallExpr>(Growth);
  if (!Call)
    return false;
  if (const auto *Op = dyn_cast<CXXOperatorCallExpr>(Call)) {
    if (Op->getOperator() != OO_Subscript || Op->getNumArgs() != 2)
      return false;
    Keys.push_back(Op->getArg(1));
    return true;
  }
  DeclarationName Name = memberName(Call->getCallee()->IgnoreParenImpCasts());
  if (!Name.isIdentifier())
    return false;
  llvm::SmallVector<const Expr *, 4> Args;
  for (const Expr *A : Call->arguments())
    if (!isa<CXXDefaultArgExpr>(A))
      Args.push_back(A);
  StringRef N = Name.getAsIdentifierInfo()->getName();
  auto Entry = [&](const Expr *E) {
    // insert({e1, e2, ...}): an initializer_list of entries.
    const Expr *S = stripConstruction(E);
    if (const auto *IL = dyn_cast<CXXStdInitializerListExpr>(S)) {
      const auto *ILE = dyn_cast<InitListExpr>(stripConstruction(IL->getSubExpr()));
      if (!ILE)
        return false;
      for (const Expr *Init : ILE->inits()) {
        const Expr *K = keyOfEntry(Init, MapLike);
        if (!K)
          return false;
        Keys.push_back(K);
      }
      return true;
    }
    const Expr *K = keyOfEntry(E, MapLike);
    if (!K)
      return false;
    Keys.push_back(K);
    return true;
  };
  auto KeyThenArgs = [&](size_t First) {
    // emplace(k, args...) on a map; emplace(entry) on anything.
    if (Args.size() <= First)
      return false;
    if (Args.size() == First + 1)
      return Entry(Args[First]);
    if (!MapLike || isPiecewise(Args[First]))
      return false;
    Keys.push_back(Args[First]);
    return true;
  };
  if (N == "insert") {
    if (Args.size() == 1)
      return Entry(Args[0]);
    if (Args.size() == 2 && isIteratorArgument(Args[0]) && !isIteratorArgument(Args[1]))
      return Entry(Args[1]);
    return false; // a range, or unknown
  }
  if (N == "emplace")
    return KeyThenArgs(0);
  if (N == "emplace_hint")
    return KeyThenArgs(1);
  if (N == "try_emplace" || N == "insert_or_assign") {
    size_t First = !Args.empty() && isIteratorArgument(Args[0]) ? 1 : 0;
    if (Args.size() <= First)
      return false;
    Keys.push_back(Args[First]);
    return true;
  }
  return false;
}

bool growthHasConstantKey(const Expr *Growth, QualType Container, ASTContext &Ctx) {
  if (!hasUniqueKeys(Container))
    return false;
  llvm::SmallVector<const Expr *, 2> Keys;
  if (!growthKeys(Growth, isMapLike(Container), Keys) || Keys.empty())
    return false;
  return llvm::all_of(Keys, [&](const Expr *K) { return isConstantKey(K, Ctx); });
}

bool hasBoundedKeyType(QualType Container) {
  if (!hasUniqueKeys(Container))
    return false;
  llvm::ArrayRef<TemplateArgument> Args = containerArguments(Container);
  if (Args.empty() || Args[0].getKind() != TemplateArgument::Type)
    return false;
  QualType Key = Args[0].getAsType();
  if (Key.isNull() || Key->isDependentType())
    return false;
  const Type *K = Key->getUnqualifiedDesugaredType();
  return K->isEnumeralType() || K->isBooleanType();
}

// ---- Rule 2: registries ---------------------------------------------------------------------------

namespace {

/// Does \p Def declare a comparison (==, !=, <, <=>), as a member or a friend defined in it? Such a
/// class is a value, and its operator() an accessor (i2pd's `Tag<N>::operator()()` returns its bytes).
bool declaresComparison(const CXXRecordDecl *Def) {
  for (const Decl *D : Def->decls()) {
    if (const auto *FD = dyn_cast<FriendDecl>(D))
      D = FD->getFriendDecl();
    if (const auto *FTD = dyn_cast_or_null<FunctionTemplateDecl>(D))
      D = FTD->getTemplatedDecl();
    const auto *F = dyn_cast_or_null<FunctionDecl>(D);
    if (!F)
      continue;
    switch (F->getOverloadedOperator()) {
    case OO_EqualEqual:
    case OO_ExclaimEqual:
    case OO_Less:
    case OO_Spaceship:
      return true;
    default:
      break;
    }
  }
  return false;
}

bool hasCallOperator(const CXXRecordDecl *RD, unsigned Depth) {
  if (!RD || Depth > 6)
    return false;
  if (RD->isLambda())
    return true;
  const CXXRecordDecl *Def = RD->getDefinition();
  if (!Def) {
    // An uninstantiated specialization (std::function<void()> named only as a template argument):
    // its template's pattern declares what it will have.
    if (const auto *Spec = dyn_cast<ClassTemplateSpecializationDecl>(RD))
      Def = patternOf(Spec->getSpecializedTemplate());
    if (!Def || !Def->hasDefinition())
      return false;
    Def = Def->getDefinition();
  }
  if (declaresComparison(Def))
    return false;
  for (const Decl *D : Def->decls()) {
    if (const auto *FTD = dyn_cast<FunctionTemplateDecl>(D))
      D = FTD->getTemplatedDecl();
    if (const auto *MD = dyn_cast<CXXMethodDecl>(D);
        MD && MD->getOverloadedOperator() == OO_Call)
      return true;
  }
  for (const CXXBaseSpecifier &B : Def->bases())
    if (hasCallOperator(B.getType()->getAsCXXRecordDecl(), Depth + 1))
      return true;
  return false;
}

bool isCallable(QualType T, unsigned Depth) {
  const Type *Ty = bareType(T);
  if (!Ty || Depth > 4)
    return false;
  if (const auto *PT = dyn_cast<PointerType>(Ty)) {
    QualType Pointee = PT->getPointeeType();
    return Pointee->isFunctionType() || isCallable(Pointee, Depth + 1);
  }
  if (const auto *MPT = dyn_cast<MemberPointerType>(Ty))
    return MPT->isMemberFunctionPointer();
  if (const TemplateDecl *TD = containerTemplate(QualType(Ty, 0))) {
    if (isStdTemplate(TD, {"function", "move_only_function", "copyable_function", "function_ref"}) ||
        (TD->getIdentifier() && TD->getName() == "function" && isInNamespace(TD, "boost")))
      return true;
    if (isStdTemplate(TD, {"unique_ptr", "shared_ptr", "vector", "list", "deque", "forward_list"})) {
      llvm::ArrayRef<TemplateArgument> Args = containerArguments(QualType(Ty, 0));
      return !Args.empty() && Args[0].getKind() == TemplateArgument::Type &&
             isCallable(Args[0].getAsType(), Depth + 1);
    }
    if (const auto *TST = dyn_cast<TemplateSpecializationType>(Ty))
      return hasCallOperator(patternOf(TST->getTemplateName().getAsTemplateDecl()), 0);
  }
  return hasCallOperator(Ty->getAsCXXRecordDecl(), 0);
}

} // namespace

bool isCallableType(QualType T) { return isCallable(T, 0); }

bool hasCallableElements(QualType Container) {
  QualType Entry = entryType(Container);
  return !Entry.isNull() && isCallableType(Entry);
}

// ---- Rule 3: start-up filling -----------------------------------------------------------------------

bool isStartupFunction(const FunctionDecl *F) {
  return F && (F->isMain() || isa<CXXConstructorDecl>(F));
}

namespace {

/// The variables a for-loop's init declares or its increment steps.
void loopVariables(const ForStmt *F, llvm::SmallPtrSetImpl<const ValueDecl *> &Out) {
  if (const auto *DS = dyn_cast_or_null<DeclStmt>(F->getInit()))
    for (const Decl *D : DS->decls())
      if (const auto *VD = dyn_cast<VarDecl>(D))
        Out.insert(VD);
  if (const Expr *Init = dyn_cast_or_null<Expr>(F->getInit()))
    if (const auto *BO = dyn_cast<BinaryOperator>(Init->IgnoreParenImpCasts());
        BO && BO->isAssignmentOp())
      if (const auto *DRE = dyn_cast<DeclRefExpr>(BO->getLHS()->IgnoreParenImpCasts()))
        Out.insert(DRE->getDecl());
  if (const Expr *Inc = F->getInc()) {
    const Expr *Stepped = nullptr;
    Inc = Inc->IgnoreParenImpCasts();
    if (const auto *UO = dyn_cast<UnaryOperator>(Inc); UO && UO->isIncrementDecrementOp())
      Stepped = UO->getSubExpr();
    else if (const auto *BO = dyn_cast<BinaryOperator>(Inc); BO && BO->isAssignmentOp())
      Stepped = BO->getLHS();
    else if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(Inc); OC && OC->getNumArgs() >= 1)
      Stepped = OC->getArg(0);
    if (Stepped)
      if (const auto *DRE = dyn_cast<DeclRefExpr>(Stepped->IgnoreParenImpCasts()))
        Out.insert(DRE->getDecl());
  }
}

bool mentionsAny(const Stmt *S, const llvm::SmallPtrSetImpl<const ValueDecl *> &Vars, unsigned Depth) {
  if (!S || Depth > 6)
    return false;
  if (const auto *DRE = dyn_cast<DeclRefExpr>(S); DRE && Vars.contains(DRE->getDecl()))
    return true;
  for (const Stmt *Child : S->children())
    if (mentionsAny(Child, Vars, Depth + 1))
      return true;
  return false;
}

bool isComparison(const Expr *Cond) {
  Cond = Cond->IgnoreParenImpCasts();
  if (const auto *BO = dyn_cast<BinaryOperator>(Cond))
    return BO->isRelationalOp() || BO->isEqualityOp();
  if (const auto *OC = dyn_cast<CXXOperatorCallExpr>(Cond)) {
    switch (OC->getOperator()) {
    case OO_Less:
    case OO_LessEqual:
    case OO_Greater:
    case OO_GreaterEqual:
    case OO_ExclaimEqual:
    case OO_EqualEqual:
      return true;
    default:
      return false;
    }
  }
  if (const auto *RO = dyn_cast<CXXRewrittenBinaryOperator>(Cond))
    return isComparison(RO->getSemanticForm());
  return false;
}

} // namespace

bool isEventLoop(const Stmt *Loop, ASTContext &Ctx) {
  if (!Loop || isa<CXXForRangeStmt>(Loop))
    return false;
  if (!isa<ForStmt, WhileStmt, DoStmt>(Loop))
    return false;
  if (tripCount(Loop, Ctx).K != TripCount::Unbounded)
    return false;
  if (const auto *F = dyn_cast<ForStmt>(Loop); F && F->getCond() && isComparison(F->getCond())) {
    llvm::SmallPtrSet<const ValueDecl *, 4> Vars;
    loopVariables(F, Vars);
    if (!Vars.empty() && mentionsAny(F->getCond(), Vars, 0))
      return false;
  }
  return true;
}

class FunctionIndexBuilder : public RecursiveASTVisitor<FunctionIndexBuilder> {
public:
  FunctionIndexBuilder(FunctionIndex &Index, ASTContext &Ctx) : Index(Index), Ctx(Ctx) {}

  bool shouldVisitTemplateInstantiations() const { return false; }
  bool shouldVisitImplicitCode() const { return false; }

  bool TraverseDecl(Decl *D) {
    if (!D)
      return true;
    if (!isa<TranslationUnitDecl>(D) && D->getLocation().isValid() &&
        Ctx.getSourceManager().isInSystemHeader(D->getLocation()))
      return true;
    const auto *FD = dyn_cast<FunctionDecl>(D);
    if (FD && FD->doesThisDeclarationHaveABody())
      return inFunction(FD, [&] { return RecursiveASTVisitor::TraverseDecl(D); });
    const auto *VD = dyn_cast<VarDecl>(D);
    if (VD && VD->hasGlobalStorage() && !VD->isStaticLocal() && !Current) {
      bool Saved = InStaticInit;
      InStaticInit = true;
      bool R = RecursiveASTVisitor::TraverseDecl(D);
      InStaticInit = Saved;
      return R;
    }
    return RecursiveASTVisitor::TraverseDecl(D);
  }

  bool TraverseLambdaExpr(LambdaExpr *LE) {
    // The lambda's object is made here; its body runs whenever something calls it.
    addUse(LE->getCallOperator(), LE, /*Direct=*/false);
    return inFunction(LE->getCallOperator(), [&] { return RecursiveASTVisitor::TraverseLambdaExpr(LE); });
  }

#define TETHER_LOOP(CLASS)                                                                         \
  bool Traverse##CLASS(CLASS *S) {                                                                 \
    bool Event = isEventLoop(S, Ctx);                                                              \
    EventDepth += Event;                                                                           \
    bool R = RecursiveASTVisitor::Traverse##CLASS(S);                                              \
    EventDepth -= Event;                                                                           \
    return R;                                                                                      \
  }
  TETHER_LOOP(ForStmt)
  TETHER_LOOP(WhileStmt)
  TETHER_LOOP(DoStmt)
  TETHER_LOOP(CXXForRangeStmt)
#undef TETHER_LOOP

  bool VisitStmt(Stmt *S) {
    if (Index.WatchedSet.contains(S))
      Index.Places[S] = {Current, EventDepth > 0};
    return true;
  }
  bool VisitCallExpr(CallExpr *C) {
    if (const Expr *Callee = C->getCallee())
      Direct.insert(Callee->IgnoreParenImpCasts());
    return true;
  }
  bool VisitDeclRefExpr(DeclRefExpr *E) {
    if (const auto *FD = dyn_cast<FunctionDecl>(E->getDecl()))
      addUse(FD, E, Direct.contains(E));
    return true;
  }
  bool VisitMemberExpr(MemberExpr *E) {
    if (const auto *FD = dyn_cast<FunctionDecl>(E->getMemberDecl()))
      addUse(FD, E, Direct.contains(E));
    return true;
  }
  bool VisitOverloadExpr(OverloadExpr *E) {
    bool IsDirect = Direct.contains(E);
    for (const NamedDecl *ND : E->decls()) {
      ND = ND->getUnderlyingDecl();
      if (const auto *FTD = dyn_cast<FunctionTemplateDecl>(ND))
        ND = FTD->getTemplatedDecl();
      if (const auto *FD = dyn_cast<FunctionDecl>(ND))
        addUse(FD, E, IsDirect);
    }
    return true;
  }
  bool VisitCXXConstructExpr(CXXConstructExpr *E) {
    addUse(E->getConstructor(), E, /*Direct=*/true);
    return true;
  }

private:
  template <typename Fn> bool inFunction(const FunctionDecl *F, Fn Traverse) {
    const FunctionDecl *SavedF = Current;
    unsigned SavedDepth = EventDepth;
    bool SavedInit = InStaticInit;
    Current = F;
    EventDepth = 0;
    InStaticInit = false;
    bool R = Traverse();
    Current = SavedF;
    EventDepth = SavedDepth;
    InStaticInit = SavedInit;
    return R;
  }
  void addUse(const FunctionDecl *F, const Expr *E, bool IsDirect) {
    if (!F)
      return;
    FunctionIndex::Use U;
    U.From = Current;
    U.Ref = E;
    U.DirectCall = IsDirect;
    U.InEventLoop = EventDepth > 0;
    U.StaticInit = !Current && InStaticInit;
    Index.Uses[F->getCanonicalDecl()].push_back(U);
  }

  FunctionIndex &Index;
  ASTContext &Ctx;
  const FunctionDecl *Current = nullptr;
  unsigned EventDepth = 0;
  bool InStaticInit = false;
  llvm::DenseSet<const Expr *> Direct;
};

FunctionIndex::FunctionIndex(ASTContext &Ctx, llvm::ArrayRef<const Stmt *> Watched) {
  WatchedSet.insert(Watched.begin(), Watched.end());
  FunctionIndexBuilder(*this, Ctx).TraverseDecl(Ctx.getTranslationUnitDecl());
}

llvm::ArrayRef<FunctionIndex::Use> FunctionIndex::usesOf(const FunctionDecl *F) const {
  auto It = Uses.find(F->getCanonicalDecl());
  if (It == Uses.end())
    return {};
  return It->second;
}

FunctionIndex::Place FunctionIndex::placeOf(const Stmt *S) const { return Places.lookup(S); }

bool FunctionIndex::callersAreLocal(
    const FunctionDecl *F, llvm::function_ref<bool(const CXXRecordDecl *)> FullyVisible) {
  if (!F)
    return false;
  if (const auto *MD = dyn_cast<CXXMethodDecl>(F)) {
    if (MD->isVirtual())
      return false;
    const CXXRecordDecl *RD = MD->getParent();
    if (RD->isLambda())
      return true;
    if (!F->isExternallyVisible())
      return true;
    bool Hidden = MD->getAccess() == AS_private ||
                  (MD->getAccess() == AS_protected && RD->isEffectivelyFinal());
    return Hidden && FullyVisible(RD);
  }
  return !F->isExternallyVisible();
}

namespace {

bool startupFunction(const FunctionDecl *F, const FunctionIndex &Index,
                     llvm::function_ref<bool(const FunctionDecl *)> IsRoot,
                     llvm::function_ref<bool(const CXXRecordDecl *)> FullyVisible,
                     llvm::SmallPtrSetImpl<const FunctionDecl *> &Visiting) {
  if (!F)
    return false;
  if (IsRoot(F))
    return true;
  if (!FunctionIndex::callersAreLocal(F, FullyVisible) ||
      !Visiting.insert(F->getCanonicalDecl()).second)
    return false;
  llvm::ArrayRef<FunctionIndex::Use> Uses = Index.usesOf(F);
  bool Result = !Uses.empty() && llvm::all_of(Uses, [&](const FunctionIndex::Use &U) {
    if (!U.DirectCall || U.InEventLoop)
      return false;
    if (!U.From)
      return U.StaticInit;
    return startupFunction(U.From, Index, IsRoot, FullyVisible, Visiting);
  });
  Visiting.erase(F->getCanonicalDecl());
  return Result;
}

} // namespace

bool runsOnlyAtStartup(const Stmt *Site, const FunctionIndex &Index,
                       llvm::function_ref<bool(const FunctionDecl *)> IsRoot,
                       llvm::function_ref<bool(const CXXRecordDecl *)> FullyVisible) {
  FunctionIndex::Place P = Index.placeOf(Site);
  if (!P.Function || P.InEventLoop)
    return false;
  llvm::SmallPtrSet<const FunctionDecl *, 8> Visiting;
  return startupFunction(P.Function, Index, IsRoot, FullyVisible, Visiting);
}

// ---- Rule 4: short-lived owners ---------------------------------------------------------------------

llvm::StringRef toString(InstanceStorage S) {
  switch (S) {
  case InstanceStorage::Automatic:
    return "automatic";
  case InstanceStorage::Temporary:
    return "temporary";
  case InstanceStorage::Member:
    return "member";
  case InstanceStorage::Static:
    return "static";
  case InstanceStorage::Heap:
    return "heap";
  }
  return "heap";
}

const CXXRecordDecl *instantiatedClass(QualType T) {
  if (T.isNull() || T->isReferenceType())
    return nullptr;
  while (const ArrayType *AT = T->getAsArrayTypeUnsafe())
    T = AT->getElementType();
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  return RD ? RD->getDefinition() : nullptr;
}

InstanceSite classifyVarInstance(const VarDecl *VD) {
  if (VD->isInitCapture())
    return {InstanceStorage::Heap, nullptr};
  if (VD->hasGlobalStorage())
    return {InstanceStorage::Static, nullptr};
  if (const auto *FD = dyn_cast_or_null<FunctionDecl>(VD->getParentFunctionOrMethod());
      FD && FD->isMain())
    return {InstanceStorage::Static, nullptr}; // lives as long as the program
  return {InstanceStorage::Automatic, nullptr};
}

InstanceSite classifyFieldInstance(const FieldDecl *FD) {
  const auto *RD = dyn_cast<CXXRecordDecl>(FD->getParent());
  if (!RD || RD->isLambda())
    return {InstanceStorage::Heap, nullptr}; // a closure may be stored anywhere
  return {InstanceStorage::Member, RD->getDefinition()};
}

InstanceSite classifyTemporaryInstance(const MaterializeTemporaryExpr *MTE) {
  switch (MTE->getStorageDuration()) {
  case SD_FullExpression:
    return {InstanceStorage::Temporary, nullptr};
  case SD_Automatic:
    if (const auto *VD = dyn_cast_or_null<VarDecl>(MTE->getExtendingDecl()))
      return classifyVarInstance(VD);
    return {InstanceStorage::Temporary, nullptr};
  case SD_Static:
  case SD_Thread:
    return {InstanceStorage::Static, nullptr};
  case SD_Dynamic:
    break;
  }
  return {InstanceStorage::Heap, nullptr};
}

InstanceSite classifyNewInstance(const CXXNewExpr *) { return {InstanceStorage::Heap, nullptr}; }

void InstanceIndex::registerMatchers(MatchFinder *Finder, MatchFinder::MatchCallback *Callback) {
  // TK_AsIs: instantiations count (the placement new inside std::make_shared<T>, a member of a class
  // template specialization).
  Finder->addMatcher(varDecl().bind("inst-var"), Callback);
  Finder->addMatcher(fieldDecl().bind("inst-field"), Callback);
  Finder->addMatcher(cxxRecordDecl(isDefinition(), hasAnyBase(anything())).bind("inst-bases"),
                     Callback);
  Finder->addMatcher(materializeTemporaryExpr().bind("inst-temp"), Callback);
  Finder->addMatcher(cxxNewExpr().bind("inst-new"), Callback);
  Finder->addMatcher(lambdaExpr().bind("inst-lambda"), Callback);
}

void InstanceIndex::add(const CXXRecordDecl *RD, InstanceSite S) { Sites[RD].push_back(S); }

bool InstanceIndex::record(const MatchFinder::MatchResult &Result,
                           llvm::function_ref<bool(const CXXRecordDecl *)> Interesting) {
  const auto &N = Result.Nodes;
  auto Add = [&](QualType T, InstanceSite S) {
    if (const CXXRecordDecl *RD = instantiatedClass(T); RD && Interesting(RD))
      add(RD, S);
  };
  // `std::vector<Session>`, `std::unique_ptr<Session>`: instances on the heap (one level, and the
  // arguments of those arguments).
  auto AddArguments = [&](QualType T) {
    llvm::SmallVector<std::pair<QualType, unsigned>, 4> Work{{T, 0}};
    while (!Work.empty()) {
      auto [Cur, Depth] = Work.pop_back_val();
      for (const TemplateArgument &A : containerArguments(Cur)) {
        if (A.getKind() != TemplateArgument::Type)
          continue;
        QualType Arg = A.getAsType();
        if (const CXXRecordDecl *RD = instantiatedClass(Arg); RD && Interesting(RD))
          add(RD, {InstanceStorage::Heap, nullptr});
        if (Depth < 2)
          Work.push_back({Arg, Depth + 1});
      }
    }
  };
  if (const auto *VD = N.getNodeAs<VarDecl>("inst-var")) {
    if (VD->getDeclContext()->isDependentContext() || VD->getType()->isReferenceType())
      return true;
    Add(VD->getType(), classifyVarInstance(VD));
    AddArguments(VD->getType());
    return true;
  }
  if (const auto *FD = N.getNodeAs<FieldDecl>("inst-field")) {
    if (FD->getParent()->isDependentContext())
      return true;
    Add(FD->getType(), classifyFieldInstance(FD));
    AddArguments(FD->getType());
    return true;
  }
  if (const auto *RD = N.getNodeAs<CXXRecordDecl>("inst-bases")) {
    if (RD->isDependentContext())
      return true;
    for (const CXXBaseSpecifier &B : RD->bases())
      Add(B.getType(), {InstanceStorage::Member, RD});
    return true;
  }
  if (const auto *MTE = N.getNodeAs<MaterializeTemporaryExpr>("inst-temp")) {
    if (!MTE->isTypeDependent())
      Add(MTE->getType(), classifyTemporaryInstance(MTE));
    return true;
  }
  if (const auto *NE = N.getNodeAs<CXXNewExpr>("inst-new")) {
    if (!NE->isTypeDependent())
      Add(NE->getAllocatedType(), classifyNewInstance(NE));
    return true;
  }
  if (const auto *LE = N.getNodeAs<LambdaExpr>("inst-lambda")) {
    // A copy captured by a closure lives as long as the closure, which may be stored anywhere.
    for (const LambdaCapture &C : LE->captures())
      if (C.capturesVariable() && C.getCaptureKind() == LCK_ByCopy)
        if (const auto *V = dyn_cast<VarDecl>(C.getCapturedVar()))
          Add(V->getType(), {InstanceStorage::Heap, nullptr});
    return true;
  }
  return false;
}

llvm::ArrayRef<InstanceSite> InstanceIndex::sitesOf(const CXXRecordDecl *RD) const {
  if (!RD || !(RD = RD->getDefinition()))
    return {};
  auto It = Sites.find(RD);
  if (It == Sites.end())
    return {};
  return It->second;
}

bool InstanceIndex::shortLived(const CXXRecordDecl *RD,
                               llvm::DenseSet<const CXXRecordDecl *> &Visiting) const {
  llvm::ArrayRef<InstanceSite> S = sitesOf(RD);
  if (S.empty() || !Visiting.insert(RD->getDefinition()).second)
    return false;
  bool Result = llvm::all_of(S, [&](const InstanceSite &Site) {
    switch (Site.Storage) {
    case InstanceStorage::Automatic:
    case InstanceStorage::Temporary:
      return true;
    case InstanceStorage::Member:
      return Site.Of && shortLived(Site.Of, Visiting);
    case InstanceStorage::Static:
    case InstanceStorage::Heap:
      return false;
    }
    return false;
  });
  Visiting.erase(RD->getDefinition());
  return Result;
}

namespace {

/// \p Test over the specializations of a class template's pattern \p RD (at least one), or over \p RD.
bool forClassOrSpecializations(const CXXRecordDecl *RD,
                               llvm::function_ref<bool(const CXXRecordDecl *)> Test) {
  if (!RD)
    return false;
  const ClassTemplateDecl *CTD = RD->getDescribedClassTemplate();
  if (!CTD)
    return Test(RD);
  bool Any = false;
  for (const ClassTemplateSpecializationDecl *Spec : CTD->specializations()) {
    if (!Spec->hasDefinition())
      continue; // named, never made
    Any = true;
    if (!Test(Spec))
      return false;
  }
  return Any;
}

} // namespace

bool InstanceIndex::isShortLived(const CXXRecordDecl *RD) const {
  return forClassOrSpecializations(RD, [this](const CXXRecordDecl *C) {
    llvm::DenseSet<const CXXRecordDecl *> Visiting;
    return shortLived(C, Visiting);
  });
}

bool InstanceIndex::isOnlyStatic(const CXXRecordDecl *RD) const {
  return forClassOrSpecializations(RD, [this](const CXXRecordDecl *C) {
    llvm::ArrayRef<InstanceSite> S = sitesOf(C);
    return !S.empty() && llvm::all_of(S, [](const InstanceSite &Site) {
      return Site.Storage == InstanceStorage::Static;
    });
  });
}

} // namespace clang::tidy::tether::containers
