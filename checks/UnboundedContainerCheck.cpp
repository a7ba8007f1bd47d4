#include "UnboundedContainerCheck.h"
#include "utils/Unevaluated.h"
#include "OptionUtils.h"
#include "facts/Facts.h"
#include "facts/FactsCollector.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclTemplate.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/Index/USRGeneration.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"
#include "llvm/ADT/StringSwitch.h"
#include <algorithm>

using namespace clang::ast_matchers;

namespace clang::tidy::tether {

namespace {

constexpr llvm::StringLiteral DefaultAssociative =
    "::std::map;::std::multimap;::std::set;::std::multiset;::std::unordered_map;"
    "::std::unordered_multimap;::std::unordered_set;::std::unordered_multiset";
// Queue-like containers are opt-in: see docs/checks/tether-unbounded-container.md.
constexpr llvm::StringLiteral DefaultQueue = "";

AST_MATCHER_P(ValueDecl, hasContainerType, UnboundedContainerCheck *, Check) {
  return Check->kindOfDecl(&Node) != UnboundedContainerCheck::ContainerKind::None;
}

/// What a member function (or member operator) called on the container does to its size.
enum class MethodRole { Neutral, Growth, Bound, Subscript, Assign };

MethodRole roleOfMember(DeclarationName Name) {
  switch (Name.getCXXOverloadedOperator()) {
  case OO_Subscript:
    return MethodRole::Subscript;
  case OO_Equal:
    return MethodRole::Assign;
  case OO_None:
    break;
  default:
    return MethodRole::Neutral;
  }
  if (!Name.isIdentifier())
    return MethodRole::Neutral;
  return llvm::StringSwitch<MethodRole>(Name.getAsIdentifierInfo()->getName())
      // Associative growth.
      .Cases({"insert", "emplace", "emplace_hint", "try_emplace", "insert_or_assign"},
             MethodRole::Growth)
      .Cases({"insert_range", "merge"}, MethodRole::Growth)
      // Queue-like growth.
      .Cases({"push", "push_back", "push_front", "emplace_back", "emplace_front"},
             MethodRole::Growth)
      .Cases({"emplace_after", "insert_after", "splice", "splice_after"}, MethodRole::Growth)
      .Cases({"append_range", "prepend_range", "push_range"}, MethodRole::Growth)
      // Bound evidence.
      .Cases({"erase", "erase_after", "clear", "extract", "swap"}, MethodRole::Bound)
      .Cases({"pop", "pop_back", "pop_front", "remove", "remove_if"}, MethodRole::Bound)
      .Cases({"resize", "assign", "assign_range"}, MethodRole::Bound)
      .Default(MethodRole::Neutral);
}

/// The declaration a collected reference names (canonical), or null.
const ValueDecl *refDecl(const Expr *E) {
  const ValueDecl *D = nullptr;
  if (const auto *ME = dyn_cast<MemberExpr>(E))
    D = ME->getMemberDecl();
  else if (const auto *DRE = dyn_cast<DeclRefExpr>(E))
    D = DRE->getDecl();
  return D ? cast<ValueDecl>(D->getCanonicalDecl()) : nullptr;
}

/// True for declarations inside an instantiated template: those are analysed through their
/// pattern, so that a template reports once.
bool isInInstantiation(const Decl *D) {
  if (isa<VarTemplateSpecializationDecl>(D))
    return true;
  if (const auto *FD = dyn_cast<FunctionDecl>(D); FD && FD->isTemplateInstantiation())
    return true;
  for (const DeclContext *DC = D->getDeclContext(); DC; DC = DC->getParent()) {
    if (const auto *RD = dyn_cast<CXXRecordDecl>(DC)) {
      switch (RD->getTemplateSpecializationKind()) {
      case TSK_ImplicitInstantiation:
      case TSK_ExplicitInstantiationDeclaration:
      case TSK_ExplicitInstantiationDefinition:
        return true;
      default:
        break;
      }
    } else if (const auto *FD = dyn_cast<FunctionDecl>(DC)) {
      if (FD->isTemplateInstantiation())
        return true;
    }
  }
  return false;
}

/// Builds "ns::inner::name" both with and without inline namespaces (std::__cxx11::list and
/// std::list). Returns false for names that cannot be spelled that way (local, anonymous).
bool qualifiedNames(const NamedDecl *D, std::string &Full, std::string &Short) {
  if (!D->getIdentifier())
    return false;
  llvm::SmallVector<std::pair<StringRef, bool>, 4> Parts; // (name, is inline namespace)
  Parts.push_back({D->getName(), false});
  for (const DeclContext *DC = D->getDeclContext(); DC && !isa<TranslationUnitDecl>(DC);
       DC = DC->getParent()) {
    if (const auto *NS = dyn_cast<NamespaceDecl>(DC)) {
      if (NS->isAnonymousNamespace())
        return false;
      Parts.push_back({NS->getName(), NS->isInline()});
    } else if (const auto *RD = dyn_cast<RecordDecl>(DC)) {
      if (!RD->getIdentifier())
        return false;
      Parts.push_back({RD->getName(), false});
    } else if (!isa<LinkageSpecDecl>(DC) && !isa<ExportDecl>(DC)) {
      return false;
    }
  }
  for (auto It = Parts.rbegin(); It != Parts.rend(); ++It) {
    bool Last = std::next(It) == Parts.rend();
    Full += It->first;
    if (!Last)
      Full += "::";
    if (!It->second) {
      Short += It->first;
      if (!Last)
        Short += "::";
    }
  }
  return true;
}

/// Collects the member references inside a constructor or destructor, skipping lambda bodies
/// and local classes: code there runs later, not while the object is built or torn down.
class StructorRefCollector : public RecursiveASTVisitor<StructorRefCollector> {
public:
  explicit StructorRefCollector(llvm::SmallVectorImpl<const MemberExpr *> &Out) : Out(Out) {}
  bool TraverseLambdaExpr(LambdaExpr *) { return true; }
  bool TraverseCXXRecordDecl(CXXRecordDecl *) { return true; }
  bool VisitMemberExpr(MemberExpr *ME) {
    Out.push_back(ME);
    return true;
  }

private:
  llvm::SmallVectorImpl<const MemberExpr *> &Out;
};

void loadNames(ClangTidyCheck &Check, StringRef OptionName, StringRef Raw,
               llvm::StringSet<> &Into) {
  for (const std::string &Name :
       validateQualifiedNames(Check, OptionName, splitListOption(Check, OptionName, Raw))) {
    StringRef N(Name);
    N.consume_front("::");
    Into.insert(N);
  }
}

} // namespace

UnboundedContainerCheck::UnboundedContainerCheck(StringRef Name, ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      AssociativeContainersRaw(Options.get("AssociativeContainers", DefaultAssociative)),
      QueueContainersRaw(Options.get("QueueContainers", DefaultQueue)),
      IgnoredNamesRaw(Options.get("IgnoredNames", "")), FactsDir(Options.get("FactsDir", "")),
      IgnoreCallableRegistriesRaw(Options.get("IgnoreCallableRegistries", "true")) {
  IgnoreCallableRegistries = parseBoolOption(*this, "IgnoreCallableRegistries",
                                             IgnoreCallableRegistriesRaw, /*Default=*/true);
  loadNames(*this, "AssociativeContainers", AssociativeContainersRaw, AssociativeNames);
  loadNames(*this, "QueueContainers", QueueContainersRaw, QueueNames);
  if (!IgnoredNamesRaw.empty())
    IgnoredNames = compileRegexOption(*this, "IgnoredNames", IgnoredNamesRaw);
}

void UnboundedContainerCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "AssociativeContainers", AssociativeContainersRaw);
  Options.store(Opts, "QueueContainers", QueueContainersRaw);
  Options.store(Opts, "IgnoredNames", IgnoredNamesRaw);
  Options.store(Opts, "FactsDir", FactsDir);
  Options.store(Opts, "IgnoreCallableRegistries", IgnoreCallableRegistriesRaw);
}

UnboundedContainerCheck::ContainerKind
UnboundedContainerCheck::kindOfTemplate(const NamedDecl *Template) {
  auto [It, Inserted] = TemplateKinds.try_emplace(Template, ContainerKind::None);
  if (!Inserted)
    return It->second;
  std::string Full, Short;
  ContainerKind Kind = ContainerKind::None;
  if (isa<ClassTemplateDecl>(Template) && qualifiedNames(Template, Full, Short)) {
    if (AssociativeNames.contains(Full) || AssociativeNames.contains(Short))
      Kind = ContainerKind::Associative;
    else if (QueueNames.contains(Full) || QueueNames.contains(Short))
      Kind = ContainerKind::Queue;
  }
  TemplateKinds[Template] = Kind;
  return Kind;
}

UnboundedContainerCheck::ContainerKind UnboundedContainerCheck::kindOfType(QualType T) {
  if (T.isNull())
    return ContainerKind::None;
  const Type *Ty = T->getUnqualifiedDesugaredType();
  const NamedDecl *Template = nullptr;
  if (const auto *RT = dyn_cast<RecordType>(Ty)) {
    if (const auto *Spec = dyn_cast<ClassTemplateSpecializationDecl>(RT->getDecl()))
      Template = Spec->getSpecializedTemplate();
  } else if (const auto *TST = dyn_cast<TemplateSpecializationType>(Ty)) {
    // A dependent specialization, e.g. std::map<K, V> inside a class template.
    Template = TST->getTemplateName().getAsTemplateDecl();
  }
  return Template ? kindOfTemplate(cast<NamedDecl>(Template->getCanonicalDecl()))
                  : ContainerKind::None;
}

UnboundedContainerCheck::ContainerKind UnboundedContainerCheck::kindOfDecl(const ValueDecl *D) {
  auto [It, Inserted] = DeclKinds.try_emplace(D, ContainerKind::None);
  if (!Inserted)
    return It->second;
  ContainerKind Kind = kindOfType(D->getType());
  DeclKinds[D] = Kind;
  return Kind;
}

void UnboundedContainerCheck::registerMatchers(MatchFinder *Finder) {
  // Declarations and references are collected in code as written: template patterns (so that
  // a template reports once and uninstantiated members are seen), never instantiations or
  // implicit members (a defaulted operator= is not an "assignment of a new value").
  //
  // Performance: every top-level matcher names one node kind (no expr(anyOf(...)) or
  // binaryOperation(...) at the top), so that the finder runs it only on nodes of that kind
  // rather than on every expression of the translation unit, system headers included.
  auto ContainerDecl =
      valueDecl(anyOf(fieldDecl(), varDecl(hasGlobalStorage())), hasContainerType(this));
  auto MemberRef = memberExpr(member(ContainerDecl));
  auto DeclRef = declRefExpr(to(ContainerDecl));
  auto Ref = expr(anyOf(MemberRef, DeclRef));

  Finder->addMatcher(
      traverse(TK_IgnoreUnlessSpelledInSource,
               fieldDecl(hasContainerType(this), unless(isExpansionInSystemHeader()))
                   .bind("field")),
      this);
  Finder->addMatcher(traverse(TK_IgnoreUnlessSpelledInSource,
                              varDecl(hasGlobalStorage(), hasContainerType(this),
                                      unless(isExpansionInSystemHeader()))
                                  .bind("var")),
                     this);
  Finder->addMatcher(traverse(TK_IgnoreUnlessSpelledInSource, MemberRef.bind("collect")), this);
  Finder->addMatcher(traverse(TK_IgnoreUnlessSpelledInSource, DeclRef.bind("collect")), this);
  Finder->addMatcher(traverse(TK_IgnoreUnlessSpelledInSource,
                              cxxConstructorDecl(isDefinition(), unless(isImplicit()))
                                  .bind("ctor")),
                     this);
  Finder->addMatcher(traverse(TK_IgnoreUnlessSpelledInSource,
                              cxxDestructorDecl(isDefinition(), unless(isImplicit()))
                                  .bind("dtor")),
                     this);

  // The role of each reference. A reference in none of these roles is an escape (bound
  // evidence): we cannot see what the code it reaches does.
  auto RefB = Ref.bind("ref");
  auto Object = ignoringParenImpCasts(RefB);
  Finder->addMatcher(memberExpr(hasObjectExpression(Object)).bind("access"), this);
  Finder->addMatcher(unresolvedMemberExpr(hasObjectExpression(Object)).bind("access"), this);
  Finder->addMatcher(cxxDependentScopeMemberExpr(hasObjectExpression(Object)).bind("access"), this);
  Finder->addMatcher(cxxOperatorCallExpr(hasOverloadedOperatorName("[]"), hasArgument(0, Object))
                         .bind("subscript"),
                     this);
  Finder->addMatcher(arraySubscriptExpr(hasLHS(Object)).bind("subscript"), this);
  Finder->addMatcher(binaryOperator(hasOperatorName("="), hasLHS(Object)).bind("assign"), this);
  Finder->addMatcher(cxxOperatorCallExpr(hasOperatorName("="), hasLHS(Object)).bind("assign"),
                     this);
  Finder->addMatcher(
      implicitCastExpr(hasCastKind(CK_NoOp), hasSourceExpression(ignoringParens(RefB)))
          .bind("constcast"),
      this);
  Finder->addMatcher(cxxForRangeStmt(hasRangeInit(Object)).bind("rangefor"), this);
  // The call a reference is the object of, for the keys it adds (precision rule 1).
  Finder->addMatcher(
      callExpr(callee(expr(ignoringParenImpCasts(
                   anyOf(memberExpr(hasObjectExpression(Object)),
                         unresolvedMemberExpr(hasObjectExpression(Object)),
                         cxxDependentScopeMemberExpr(hasObjectExpression(Object)))))))
          .bind("call"),
      this);
  // Where the classes owning containers are instantiated (precision rule 4).
  containers::InstanceIndex::registerMatchers(Finder, this);

  // size() as an operand of a comparison (a capacity guard), also inside simple arithmetic or
  // a cast; a comparison with 0 is an emptiness test, not a guard.
  auto SizeObject = ignoringParenImpCasts(Ref.bind("sizeref"));
  auto SizeCall = expr(anyOf(
      cxxMemberCallExpr(on(SizeObject), callee(cxxMethodDecl(hasName("size")))),
      callExpr(callee(cxxDependentScopeMemberExpr(hasMemberName("size"),
                                                  hasObjectExpression(SizeObject)))),
      callExpr(callee(functionDecl(hasAnyName("::std::size", "::std::ssize"))),
               hasArgument(0, SizeObject))));
  auto SizeOperand = ignoringParenCasts(
      anyOf(SizeCall, binaryOperator(hasAnyOperatorName("+", "-", "*", "/"),
                                     hasEitherOperand(ignoringParenCasts(SizeCall)))));
  auto Comparison = hasAnyOperatorName("<", "<=", ">", ">=", "==", "!=", "<=>");
  auto NotWithZero = unless(hasEitherOperand(ignoringParenImpCasts(integerLiteral(equals(0)))));
  Finder->addMatcher(
      binaryOperator(Comparison, hasEitherOperand(SizeOperand), NotWithZero).bind("sizecmp"), this);
  Finder->addMatcher(
      cxxOperatorCallExpr(Comparison, hasEitherOperand(SizeOperand), NotWithZero).bind("sizecmp"),
      this);
  Finder->addMatcher(
      cxxRewrittenBinaryOperator(Comparison, hasEitherOperand(SizeOperand), NotWithZero)
          .bind("sizecmp"),
      this);
}

void UnboundedContainerCheck::addCandidate(const ValueDecl *D, bool IsField) {
  if (isInInstantiation(D) || D->getType().getCanonicalType().isConstQualified())
    return;
  // Whole-program facts (a sink installed, or FactsDir to read) cover every container that could
  // be long-lived: members of any access, namespace-scope variables of any linkage.
  bool WantFacts = ::tether::facts::currentSink() || !FactsDir.empty();
  auto RecordOK = [](const CXXRecordDecl *RD) {
    return RD && !RD->isUnion() && !RD->isAnonymousStructOrUnion() && !RD->isLambda();
  };
  auto AccessOK = [&](const ValueDecl *Member, const CXXRecordDecl *RD) {
    if (!RecordOK(RD))
      return false;
    return Member->getAccess() == AS_private ||
           (Member->getAccess() == AS_protected && RD->isEffectivelyFinal());
  };
  bool PerTU = false, Facts = false;
  if (IsField) {
    const auto *FD = cast<FieldDecl>(D);
    const auto *RD = dyn_cast<CXXRecordDecl>(FD->getParent());
    PerTU = AccessOK(FD, RD);
    Facts = RecordOK(RD);
  } else {
    const auto *VD = cast<VarDecl>(D);
    if (VD->getDescribedVarTemplate())
      return;
    if (VD->isStaticDataMember()) {
      const auto *RD = dyn_cast<CXXRecordDecl>(VD->getDeclContext());
      PerTU = !VD->hasExternalStorage() && AccessOK(VD, RD);
      Facts = RecordOK(RD);
    } else {
      PerTU = !VD->hasExternalStorage() &&
              (VD->isStaticLocal() || (VD->isFileVarDecl() && VD->getFormalLinkage() == Linkage::Internal));
      Facts = VD->isStaticLocal() || VD->isFileVarDecl();
    }
  }
  if (!PerTU && !(WantFacts && Facts))
    return;
  D = cast<ValueDecl>(D->getCanonicalDecl());
  if (!CandidateSet.insert(D).second) {
    for (Candidate &C : Candidates)
      if (C.D == D)
        C.PerTU |= PerTU;
    return;
  }
  Candidates.push_back({D, IsField, PerTU});
}

void UnboundedContainerCheck::recordUse(const Expr *Ref, UseKind Kind) {
  auto [It, Inserted] = Uses.try_emplace(Ref, Kind);
  if (!Inserted && Kind > It->second)
    It->second = Kind;
}

bool UnboundedContainerCheck::classHasContainerField(const CXXRecordDecl *RD) {
  auto [It, Inserted] = HasContainerField.try_emplace(RD, false);
  if (!Inserted)
    return It->second;
  bool Has = llvm::any_of(RD->fields(), [this](const FieldDecl *F) {
    return kindOfDecl(F) != ContainerKind::None;
  });
  HasContainerField[RD] = Has;
  return Has;
}

void UnboundedContainerCheck::recordStructor(const FunctionDecl *F, bool IsCtor) {
  const auto *MD = cast<CXXMethodDecl>(F);
  const CXXRecordDecl *RD = MD->getParent();
  if (isInInstantiation(F) || !classHasContainerField(RD))
    return;
  llvm::SmallVector<const MemberExpr *, 16> MemberRefs;
  StructorRefCollector(MemberRefs).TraverseDecl(const_cast<FunctionDecl *>(F));
  auto &Into = IsCtor ? InCtor : InDtor;
  for (const MemberExpr *ME : MemberRefs)
    if (const auto *FD = dyn_cast<FieldDecl>(ME->getMemberDecl()); FD && FD->getParent() == RD)
      Into[ME] = RD;
}

void UnboundedContainerCheck::check(const MatchFinder::MatchResult &Result) {
  SM = Result.SourceManager;
  Ctx = Result.Context;
  const auto &N = Result.Nodes;
  if (const auto *F = N.getNodeAs<FieldDecl>("field"))
    return addCandidate(F, /*IsField=*/true);
  if (const auto *V = N.getNodeAs<VarDecl>("var"))
    return addCandidate(V, /*IsField=*/false);
  if (const auto *R = N.getNodeAs<Expr>("collect")) {
    if (const ValueDecl *D = refDecl(R))
      Refs[D].push_back(R);
    return;
  }
  if (const auto *C = N.getNodeAs<CXXConstructorDecl>("ctor"))
    return recordStructor(C, /*IsCtor=*/true);
  if (const auto *D = N.getNodeAs<CXXDestructorDecl>("dtor"))
    return recordStructor(D, /*IsCtor=*/false);
  if (Instances.record(Result, [this](const CXXRecordDecl *RD) {
        return !SM->isInSystemHeader(RD->getLocation());
      }))
    return;
  if (N.getNodeAs<Expr>("sizecmp")) {
    SizeCompared.insert(N.getNodeAs<Expr>("sizeref"));
    return;
  }

  const auto *Ref = N.getNodeAs<Expr>("ref");
  if (!Ref)
    return;
  if (const auto *Call = N.getNodeAs<Expr>("call")) {
    CallOf[Ref] = Call;
    return;
  }
  const ValueDecl *D = refDecl(Ref);
  bool Associative = D && kindOfDecl(D) == ContainerKind::Associative;
  auto Classify = [&](MethodRole Role) {
    switch (Role) {
    case MethodRole::Growth:
      return UseKind::Growth;
    case MethodRole::Bound:
    case MethodRole::Assign:
      return UseKind::Bound;
    case MethodRole::Subscript:
      return Associative ? UseKind::Growth : UseKind::Neutral;
    case MethodRole::Neutral:
      break;
    }
    return UseKind::Neutral;
  };

  if (const auto *Access = N.getNodeAs<Expr>("access"))
    return recordUse(Ref, Classify(roleOfMember(containers::memberName(Access))));
  if (const auto *Sub = N.getNodeAs<Expr>("subscript")) {
    CallOf[Ref] = Sub;
    return recordUse(Ref, Classify(MethodRole::Subscript));
  }
  if (N.getNodeAs<Expr>("assign"))
    return recordUse(Ref, UseKind::Bound);
  if (const auto *Cast = N.getNodeAs<ImplicitCastExpr>("constcast")) {
    // Binding to a const reference (a const& parameter, a copy, a const& local): neutral.
    if (Cast->getType().isConstQualified())
      recordUse(Ref, UseKind::Neutral);
    return;
  }
  if (N.getNodeAs<CXXForRangeStmt>("rangefor"))
    return recordUse(Ref, UseKind::Neutral);
}

bool UnboundedContainerCheck::isFullyVisible(const CXXRecordDecl *RD) {
  RD = RD->getDefinition();
  if (!RD)
    return false;
  auto [It, Inserted] = Visible.try_emplace(RD, true); // true while in progress: cycles
  if (!Inserted)
    return It->second;
  bool Result = computeFullyVisible(RD);
  Visible[RD] = Result;
  return Result;
}

// Every function that may touch the class's private members must have its body in this TU:
// declared member functions (special members included when user-declared, member templates),
// member functions of nested classes, and friends (functions must be defined here; friend
// classes must themselves be fully visible).
bool UnboundedContainerCheck::computeFullyVisible(const CXXRecordDecl *RD) {
  auto Defined = [](const FunctionDecl *FD) {
    return !FactsCollector::needsBody(FD) || FD->isDefined();
  };
  for (const Decl *Member : RD->decls()) {
    if (Member->isImplicit())
      continue;
    if (const auto *FTD = dyn_cast<FunctionTemplateDecl>(Member))
      Member = FTD->getTemplatedDecl();
    else if (const auto *CTD = dyn_cast<ClassTemplateDecl>(Member))
      Member = CTD->getTemplatedDecl();
    if (const auto *FD = dyn_cast<FunctionDecl>(Member)) {
      if (!Defined(FD))
        return false;
    } else if (const auto *Nested = dyn_cast<CXXRecordDecl>(Member)) {
      if (!isFullyVisible(Nested))
        return false;
    } else if (const auto *Friend = dyn_cast<FriendDecl>(Member)) {
      if (const NamedDecl *ND = Friend->getFriendDecl()) {
        if (const auto *FTD = dyn_cast<FunctionTemplateDecl>(ND))
          ND = FTD->getTemplatedDecl();
        else if (const auto *CTD = dyn_cast<ClassTemplateDecl>(ND))
          ND = CTD->getTemplatedDecl();
        if (const auto *FD = dyn_cast<FunctionDecl>(ND)) {
          if (!FD->isDefined())
            return false;
        } else if (const auto *FR = dyn_cast<CXXRecordDecl>(ND)) {
          if (!isFullyVisible(FR))
            return false;
        } else {
          return false;
        }
      } else if (const TypeSourceInfo *TSI = Friend->getFriendType()) {
        const CXXRecordDecl *FR = TSI->getType()->getAsCXXRecordDecl();
        if (!FR || !isFullyVisible(FR))
          return false;
      }
    }
  }
  return true;
}

/// The name IgnoredNames is matched against: fully qualified, without anonymous or inline
/// namespaces ("ns::Class::member_", "g_cache", "ns::memo::cache" for a function-local static).
std::string UnboundedContainerCheck::nameForIgnoring(const ValueDecl *D) const {
  PrintingPolicy Policy(Ctx->getLangOpts());
  Policy.SuppressUnwrittenScope = true;
  Policy.SuppressInlineNamespace =
      llvm::to_underlying(PrintingPolicy::SuppressInlineNamespaceMode::All);
  std::string Name;
  llvm::raw_string_ostream OS(Name);
  const auto *VD = dyn_cast<VarDecl>(D);
  if (VD && VD->isStaticLocal()) {
    if (const auto *Fn = dyn_cast_or_null<NamedDecl>(
            Decl::castFromDeclContext(VD->getParentFunctionOrMethod()))) {
      Fn->printQualifiedName(OS, Policy);
      OS << "::";
    }
    OS << VD->getName();
    return Name;
  }
  D->printQualifiedName(OS, Policy);
  return Name;
}

bool UnboundedContainerCheck::isStartupRootFor(const FunctionDecl *F, const ValueDecl *D,
                                                const CXXRecordDecl *Owner) const {
  if (!containers::isStartupFunction(F))
    return false;
  const auto *Ctor = dyn_cast<CXXConstructorDecl>(F);
  if (!Ctor)
    return true; // main
  // A constructor sets up the object it builds: the member's own object, or a registrar object the
  // TU only ever makes as a static.
  const CXXRecordDecl *Built = Ctor->getParent()->getDefinition();
  if (isa<FieldDecl>(D) && Owner && Built == Owner->getDefinition())
    return true;
  return Built && Instances.isOnlyStatic(Built);
}

const CXXRecordDecl *UnboundedContainerCheck::ownerOf(const ValueDecl *D, bool IsField) {
  if (IsField)
    return cast<CXXRecordDecl>(cast<FieldDecl>(D)->getParent());
  if (cast<VarDecl>(D)->isStaticDataMember())
    return cast<CXXRecordDecl>(D->getDeclContext());
  return nullptr;
}

UnboundedContainerCheck::RefRole UnboundedContainerCheck::roleOfRef(const ValueDecl *D, bool IsField,
                                                                    const CXXRecordDecl *Owner,
                                                                    const Expr *E) {
  // Only a non-static member's own constructors fill it to a fixed size, and only its own
  // destructor's clear() is no bound.
  if (IsField && InDtor.lookup(E) == Owner)
    return RefRole::Skip;
  if (SizeCompared.contains(E))
    return RefRole::Bound;
  if (isUnevaluatedReference(*E) || E->getType().isConstQualified())
    return RefRole::Skip;
  auto It = Uses.find(E);
  if (It == Uses.end())
    return RefRole::Escape; // a role we do not recognise: the code it reaches could trim it
  if (It->second == UseKind::Bound)
    return RefRole::Bound;
  if (It->second == UseKind::Growth && !(IsField && InCtor.lookup(E) == Owner))
    return RefRole::Grow;
  return RefRole::Skip;
}

namespace {

struct Position {
  std::string File;
  unsigned Line = 0, Column = 0, Offset = 0;
};

Position positionOf(const SourceManager &SM, SourceLocation Loc) {
  Position P;
  Loc = SM.getFileLoc(Loc);
  if (Loc.isInvalid())
    return P;
  FileID FID = SM.getFileID(Loc);
  if (OptionalFileEntryRef FE = SM.getFileEntryRefForID(FID)) {
    llvm::SmallString<256> Path(FE->getName());
    SM.getFileManager().makeAbsolutePath(Path);
    llvm::sys::path::remove_dots(Path, /*remove_dot_dot=*/true);
    P.File = std::string(Path);
  }
  P.Offset = SM.getFileOffset(Loc);
  P.Line = SM.getSpellingLineNumber(Loc);
  P.Column = SM.getSpellingColumnNumber(Loc);
  return P;
}

const char *linkageName(const ValueDecl *D) {
  const auto *VD = dyn_cast<VarDecl>(D);
  if (!VD || VD->isStaticLocal())
    return "none";
  switch (VD->getFormalLinkage()) {
  case Linkage::Internal:
    return "internal";
  case Linkage::None:
  case Linkage::Invalid:
    return "none";
  default:
    return "external";
  }
}

const char *accessName(AccessSpecifier A) {
  switch (A) {
  case AS_public: return "public";
  case AS_protected: return "protected";
  case AS_private: return "private";
  case AS_none: break;
  }
  return "none";
}

} // namespace

void UnboundedContainerCheck::recordFacts() {
  namespace tf = ::tether::facts;
  tf::TUFacts &Out = tf::currentSink()->Facts;
  if (Out.TU.empty())
    Out.TU = positionOf(*SM, SM->getLocForStartOfFile(SM->getMainFileID())).File;
  FactsCollector FC(const_cast<ASTContext &>(*Ctx), Out);
  // Rule 3's roots as the per-TU rule has them: main, and the constructors of classes this TU makes
  // only as static objects (a member's own constructor is already no growth site).
  FC.IsStartupRoot = [this](const FunctionDecl *F) {
    if (!containers::isStartupFunction(F))
      return false;
    const auto *Ctor = dyn_cast<CXXConstructorDecl>(F);
    if (!Ctor)
      return true;
    const CXXRecordDecl *Built = Ctor->getParent()->getDefinition();
    return Built && Instances.isOnlyStatic(Built);
  };
  // Rule 4's evidence: where the owning classes (and the classes holding them) are instantiated.
  llvm::DenseSet<const CXXRecordDecl *> InstancesDone;
  std::function<void(const CXXRecordDecl *)> AddInstances = [&](const CXXRecordDecl *RD) {
    RD = RD ? RD->getDefinition() : nullptr;
    if (!RD || !InstancesDone.insert(RD).second)
      return;
    std::string U = FC.usr(RD);
    if (U.empty())
      return;
    tf::Class &Cls = Out.Classes[U];
    Cls.Usr = U;
    if (Cls.Name.empty())
      Cls.Name = RD->getQualifiedNameAsString();
    for (const containers::InstanceSite &S : Instances.sitesOf(RD)) {
      Cls.Instances.insert({containers::toString(S.Storage).str(), S.Of ? FC.usr(S.Of) : std::string()});
      if (S.Storage == containers::InstanceStorage::Member)
        AddInstances(S.Of);
    }
  };
  llvm::DenseSet<const Expr *> Wanted;
  for (const Candidate &C : Candidates)
    if (auto It = Refs.find(C.D); It != Refs.end())
      Wanted.insert(It->second.begin(), It->second.end());
  FC.walk(Wanted);

  for (const Candidate &C : Candidates) {
    const ValueDecl *D = C.D;
    std::string Usr = FC.usr(D);
    if (Usr.empty())
      continue;
    const CXXRecordDecl *Owner = ownerOf(D, C.IsField);
    const ValueDecl *Where = D;
    bool Definition = true;
    if (const auto *VD = dyn_cast<VarDecl>(D)) {
      const VarDecl *Def = VD->getDefinition();
      Where = Def ? Def : VD;
      Definition = Def != nullptr;
    }
    Position P = positionOf(*SM, Where->getLocation());
    tf::Container &FCn = Out.Containers[Usr];
    FCn.Usr = Usr;
    FCn.Name = FCn.IgnoreName = nameForIgnoring(D);
    FCn.Ignored = IgnoredNames && IgnoredNames->match(FCn.IgnoreName);
    FCn.Type = D->getType().getAsString(Ctx->getPrintingPolicy());
    FCn.Kind = kindOfDecl(D) == ContainerKind::Queue ? "queue" : "associative";
    const auto *VD = dyn_cast<VarDecl>(D);
    FCn.Storage = C.IsField                    ? "member"
                  : VD->isStaticDataMember()   ? "static-member"
                  : VD->isStaticLocal()        ? "static-local"
                                               : "global";
    FCn.Linkage = linkageName(D);
    FCn.Access = accessName(D->getAccess());
    if (Owner) {
      FCn.Owner = FC.usr(Owner);
      FCn.OwnerName = Owner->getQualifiedNameAsString();
      FC.addOwnerClass(Owner);
      if (C.IsField)
        AddInstances(Owner);
    }
    FCn.File = P.File;
    FCn.Line = P.Line;
    FCn.Column = P.Column;
    FCn.Offset = P.Offset;
    FCn.Definition = Definition;
    FCn.Scope = VD && VD->isStaticLocal() ? nameForIgnoring(D).substr(0, nameForIgnoring(D).rfind("::"))
                                          : Where->getQualifiedNameAsString();
    FCn.KeyEnumOrBool = containers::hasBoundedKeyType(D->getType());
    FCn.Callable = IgnoreCallableRegistries && containers::hasCallableElements(D->getType());
    if (auto It = Refs.find(D); It != Refs.end()) {
      for (const Expr *E : It->second) {
        RefRole Role = roleOfRef(D, C.IsField, Owner, E);
        if (Role == RefRole::Skip)
          continue;
        tf::Site S;
        S.K = Role == RefRole::Grow    ? tf::Site::Kind::Grow
              : Role == RefRole::Bound ? tf::Site::Kind::Bound
                                       : tf::Site::Kind::Escape;
        if (const FunctionDecl *Fn = FC.enclosing(E))
          S.Function = FC.addFunction(Fn);
        Position SP = positionOf(*SM, E->getExprLoc());
        S.File = SP.File;
        S.Line = SP.Line;
        S.Column = SP.Column;
        if (Role == RefRole::Grow && FCn.Kind == "associative")
          S.ConstantKey = containers::growthHasConstantKey(CallOf.lookup(E), D->getType(), *Ctx);
        FCn.Sites.push_back(std::move(S));
      }
    }
    diag(SM->getFileLoc(Where->getLocation()), std::string(tf::ProbePrefix) + "%0") << Usr;
  }
}

bool UnboundedContainerCheck::loadProgramVerdicts() {
  if (!ProgramVerdicts) {
    ProgramVerdicts.emplace();
    ProgramKnown.emplace();
    ::tether::facts::TUFacts Program;
    std::string Error;
    if (!::tether::facts::readFactsDir(FactsDir, Program, Error)) {
      configurationDiag("invalid option 'FactsDir': %0; judging this TU alone") << Error;
      ProgramVerdicts.reset();
      FactsDir.clear(); // once per run
      return false;
    }
    for (const auto &[Usr, C] : Program.Containers)
      ProgramKnown->insert(Usr);
    for (const ::tether::facts::Verdict &V : ::tether::facts::judge(Program)) {
      ProgramVerdict PV;
      PV.Message = ::tether::facts::verdictMessage(V);
      for (const ::tether::facts::Site *S : V.Growth)
        PV.Sites.emplace_back(S->File, S->Line, S->Column);
      (*ProgramVerdicts)[V.C->Usr] = std::move(PV);
    }
  }
  return true;
}

void UnboundedContainerCheck::onEndOfTranslationUnit() {
  ::tether::facts::Sink *Sink = ::tether::facts::currentSink();
  if (Sink && Ctx)
    recordFacts();
  if (Sink && Sink->ReplacePerTU) {
    reset();
    return;
  }
  bool UseProgram = !Sink && !FactsDir.empty() && Ctx && loadProgramVerdicts();

  // A candidate that only grows, before the start-up rule (which needs a traversal of the TU).
  struct Pending {
    const ValueDecl *D;
    const CXXRecordDecl *Owner;
    llvm::SmallVector<const Expr *, 4> Growth;
  };
  std::vector<Pending> Verdicts;
  for (const Candidate &C : Candidates) {
    const ValueDecl *D = C.D;
    // FactsDir: the containers a previous whole-program run knows get its verdict.
    if (UseProgram) {
      llvm::SmallString<128> Usr;
      if (!index::generateUSRForDecl(D, Usr) && ProgramKnown->count(std::string(Usr))) {
        auto It = ProgramVerdicts->find(std::string(Usr));
        if (It == ProgramVerdicts->end())
          continue;
        const ValueDecl *Where = D;
        if (const auto *VD = dyn_cast<VarDecl>(D); VD && VD->getDefinition())
          Where = VD->getDefinition();
        SourceLocation Loc = userLocation(*SM, Where->getLocation());
        if (!Reported.claim(Loc))
          continue;
        diag(Loc, "%0") << It->second.Message;
        unsigned Notes = 0;
        for (const auto &[File, Line, Column] : It->second.Sites) {
          if (Notes == ::tether::facts::MaxGrowthNotes)
            break;
          auto FE = SM->getFileManager().getOptionalFileRef(File);
          SourceLocation L = FE ? SM->translateFileLineCol(*FE, Line, Column) : SourceLocation();
          if (L.isValid()) {
            diag(L, "grows here", DiagnosticIDs::Note);
            ++Notes;
          }
        }
        continue;
      }
    }
    if (!C.PerTU)
      continue;
    const CXXRecordDecl *Owner = ownerOf(D, C.IsField);
    if (Owner && !isFullyVisible(Owner))
      continue;
    if (IgnoredNames && IgnoredNames->match(nameForIgnoring(D)))
      continue;

    bool Bounded = false;
    llvm::SmallVector<const Expr *, 4> Growth;
    auto RefsOfD = Refs.find(D); // not lookup(): that copies the vector
    if (RefsOfD == Refs.end())
      continue;
    for (const Expr *E : RefsOfD->second) {
      RefRole Role = roleOfRef(D, C.IsField, Owner, E);
      if (Role == RefRole::Bound || Role == RefRole::Escape) {
        Bounded = true;
        break;
      }
      if (Role == RefRole::Grow)
        Growth.push_back(E);
    }
    if (Bounded || Growth.empty())
      continue;

    // Precision rules (docs/checks/tether-unbounded-container.md).
    QualType T = D->getType();
    bool Associative = kindOfDecl(D) == ContainerKind::Associative;
    // 2. A registry: the entries are handlers or callbacks, added by code.
    if (IgnoreCallableRegistries && containers::hasCallableElements(T))
      continue;
    // 1. A bounded key domain: an enum or bool key, or only constant keys added.
    if (Associative &&
        (containers::hasBoundedKeyType(T) || llvm::all_of(Growth, [&](const Expr *E) {
           return containers::growthHasConstantKey(CallOf.lookup(E), T, *Ctx);
         })))
      continue;
    // 4. The owner is short-lived: only made as automatic variables, temporaries, or members of
    // such classes.
    if (C.IsField && Instances.isShortLived(Owner))
      continue;
    Verdicts.push_back({D, Owner, std::move(Growth)});
  }

  // 3. Start-up filling: every growth runs only in main, a constructor of the object being set up,
  // or functions called only from those (outside event loops).
  std::optional<containers::FunctionIndex> Functions;
  if (!Verdicts.empty()) {
    std::vector<const Stmt *> Watched;
    for (const Pending &P : Verdicts)
      Watched.insert(Watched.end(), P.Growth.begin(), P.Growth.end());
    Functions.emplace(*Ctx, Watched);
  }
  auto FullyVisible = [this](const CXXRecordDecl *RD) { return isFullyVisible(RD); };
  for (const Pending &P : Verdicts) {
    auto IsRoot = [&](const FunctionDecl *F) { return isStartupRootFor(F, P.D, P.Owner); };
    if (llvm::all_of(P.Growth, [&](const Expr *E) {
          return containers::runsOnlyAtStartup(E, *Functions, IsRoot, FullyVisible);
        }))
      continue;

    SourceLocation Loc = userLocation(*SM, P.D->getLocation());
    if (!Reported.claim(Loc))
      continue;
    llvm::SmallVector<SourceLocation, 4> Sites;
    for (const Expr *E : P.Growth)
      Sites.push_back(userLocation(*SM, E->getExprLoc()));
    llvm::sort(Sites, [this](SourceLocation A, SourceLocation B) {
      return SM->isBeforeInTranslationUnit(A, B);
    });
    Sites.erase(std::unique(Sites.begin(), Sites.end()), Sites.end());
    bool Queue = kindOfDecl(P.D) == ContainerKind::Queue;
    if (Queue)
      diag(Loc, "%0 only grows: entries are pushed (%1 %plural{1:site|:sites}1) but never "
                "popped, erased, cleared or size-checked; cap it: pop or drop entries once "
                "size() reaches a limit")
          << P.D << static_cast<unsigned>(Sites.size());
    else
      diag(Loc, "%0 only grows: entries are inserted (%1 %plural{1:site|:sites}1) but never "
                "erased, cleared or size-checked; bound it with 'tether::bounded_map' (capacity "
                "+ LRU eviction) or erase entries")
          << P.D << static_cast<unsigned>(Sites.size());
    for (SourceLocation Site : Sites)
      diag(Site, "grows here", DiagnosticIDs::Note);
  }
  reset();
}

void UnboundedContainerCheck::reset() {
  TemplateKinds.clear();
  DeclKinds.clear();
  Visible.clear();
  HasContainerField.clear();
  Candidates.clear();
  CandidateSet.clear();
  Refs.clear();
  Uses.clear();
  SizeCompared.clear();
  CallOf.clear();
  Instances.clear();
  Reported.clear();
  InCtor.clear();
  InDtor.clear();
  SM = nullptr;
  Ctx = nullptr;
}

} // namespace clang::tidy::tether
