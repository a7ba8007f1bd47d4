#include "FactsCollector.h"

#include "clang/AST/DeclTemplate.h"
#include "clang/AST/ParentMapContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/RecursiveASTVisitor.h"
#include "clang/Basic/SourceManager.h"
#include "clang/Index/USRGeneration.h"
#include "llvm/ADT/SmallString.h"

namespace clang::tidy::tether {

namespace tf = ::tether::facts;

std::string FactsCollector::usr(const Decl *D) {
  if (!D)
    return "";
  D = D->getCanonicalDecl();
  auto It = Usrs.find(D);
  if (It != Usrs.end())
    return It->second;
  llvm::SmallString<128> Buf;
  std::string Result;
  if (!index::generateUSRForDecl(D, Buf))
    Result = std::string(Buf);
  Usrs[D] = Result;
  return Result;
}

std::string FactsCollector::addFunction(const FunctionDecl *FD) {
  std::string U = usr(FD);
  if (U.empty())
    return U;
  auto [It, Inserted] = Out.Functions.try_emplace(U);
  if (!Inserted)
    return U;
  tf::Function &F = It->second;
  F.Usr = U;
  if (const auto *MD = dyn_cast<CXXMethodDecl>(FD)) {
    if (MD->getParent()->isLambda()) {
      F.Name = "a lambda";
      if (const auto *Outer = dyn_cast_or_null<NamedDecl>(MD->getParent()->getDeclContext()->getNonClosureAncestor()))
        F.Name += " in " + Outer->getQualifiedNameAsString();
      F.Callback = true;
    } else {
      F.Name = MD->getQualifiedNameAsString();
      F.Class = usr(MD->getParent());
    }
    F.Constructor = isa<CXXConstructorDecl>(MD);
  } else {
    F.Name = FD->getQualifiedNameAsString();
    F.Main = FD->isMain();
  }
  return U;
}

bool FactsCollector::ownsContainer(const CXXRecordDecl *RD) {
  if (!RD)
    return false;
  RD = RD->getDefinition();
  if (!RD)
    return false;
  auto [It, Inserted] = Owns.try_emplace(RD, false); // false while in progress: cycles
  if (!Inserted)
    return It->second;
  bool Result = false;
  for (const FieldDecl *F : RD->fields()) {
    if (IsContainer(F) || ownsContainer(F->getType()->getBaseElementTypeUnsafe()->getAsCXXRecordDecl())) {
      Result = true;
      break;
    }
  }
  if (!Result && !RD->isDependentContext())
    for (const CXXBaseSpecifier &B : RD->bases())
      if (ownsContainer(B.getType()->getAsCXXRecordDecl())) {
        Result = true;
        break;
      }
  Owns[RD] = Result;
  return Result;
}

void FactsCollector::addInstance(QualType T, const char *How, const CXXRecordDecl *In) {
  if (T.isNull())
    return;
  const CXXRecordDecl *RD = T->getBaseElementTypeUnsafe()->getAsCXXRecordDecl();
  if (!RD)
    return;
  // An instance of a specialization is an instance of its template's pattern, where the
  // containers are recorded.
  if (const auto *Spec = dyn_cast<ClassTemplateSpecializationDecl>(RD))
    RD = Spec->getSpecializedTemplate()->getTemplatedDecl();
  if (!ownsContainer(RD))
    return;
  std::string U = usr(RD);
  if (U.empty())
    return;
  tf::Class &C = Out.Classes[U];
  C.Usr = U;
  if (C.Name.empty())
    C.Name = RD->getQualifiedNameAsString();
  C.Instances.insert({How, In ? usr(In) : std::string()});
}

void FactsCollector::addOwnerClass(const CXXRecordDecl *RD) {
  RD = RD->getDefinition();
  if (!RD)
    return;
  std::string U = usr(RD);
  if (U.empty())
    return;
  tf::Class &C = Out.Classes[U];
  C.Usr = U;
  C.Name = RD->getQualifiedNameAsString();
  auto NeedsBody = [](const FunctionDecl *FD) {
    if (FD->isDeleted() || FD->isDefaulted() || FD->isPureVirtual())
      return false;
    // The C++03 noncopyable idiom: a private copy constructor / assignment never defined.
    if (const auto *MD = dyn_cast<CXXMethodDecl>(FD); MD && MD->getAccess() == AS_private) {
      if (const auto *Ctor = dyn_cast<CXXConstructorDecl>(MD); Ctor && Ctor->isCopyConstructor())
        return false;
      if (MD->isCopyAssignmentOperator())
        return false;
    }
    return true;
  };
  auto Note = [&](const FunctionDecl *FD) {
    if (!NeedsBody(FD))
      return;
    std::string F = usr(FD);
    if (F.empty())
      return;
    C.NeedsBody.insert(F);
    if (FD->isDefined())
      C.Defined.insert(F);
  };
  for (const Decl *Member : RD->decls()) {
    if (Member->isImplicit())
      continue;
    if (const auto *FTD = dyn_cast<FunctionTemplateDecl>(Member))
      Member = FTD->getTemplatedDecl();
    if (const auto *FD = dyn_cast<FunctionDecl>(Member)) {
      Note(FD);
    } else if (const auto *Friend = dyn_cast<FriendDecl>(Member)) {
      if (const NamedDecl *ND = Friend->getFriendDecl()) {
        if (const auto *FTD = dyn_cast<FunctionTemplateDecl>(ND))
          ND = FTD->getTemplatedDecl();
        if (const auto *FD = dyn_cast<FunctionDecl>(ND)) {
          Note(FD);
          C.Friends.insert(usr(FD));
        }
      } else if (const TypeSourceInfo *TSI = Friend->getFriendType()) {
        if (const CXXRecordDecl *FR = TSI->getType()->getAsCXXRecordDecl())
          C.Friends.insert(usr(FR));
      }
    }
  }
}

// --- the walk ----------------------------------------------------------------------------------

class FactsWalker : public RecursiveASTVisitor<FactsWalker> {
  using Base = RecursiveASTVisitor<FactsWalker>;

public:
  FactsWalker(FactsCollector &C, const llvm::DenseSet<const Expr *> &Refs)
      : C(C), SM(C.Ctx.getSourceManager()), Refs(Refs) {}

  bool shouldVisitTemplateInstantiations() const { return false; }
  bool shouldVisitImplicitCode() const { return false; }

  bool TraverseDecl(Decl *D) {
    if (!D)
      return true;
    if (!isa<TranslationUnitDecl>(D) && D->getLocation().isValid() && SM.isInSystemHeader(D->getLocation()))
      return true;
    const auto *FD = dyn_cast<FunctionDecl>(D);
    if (!FD || !FD->doesThisDeclarationHaveABody())
      return Base::TraverseDecl(D);
    Frames.push_back({FD, 0});
    bool R = Base::TraverseDecl(D);
    Frames.pop_back();
    return R;
  }

  bool TraverseLambdaExpr(LambdaExpr *LE) {
    C.addFunction(LE->getCallOperator()); // marks it a callback
    Frames.push_back({LE->getCallOperator(), 0});
    bool R = Base::TraverseLambdaExpr(LE);
    Frames.pop_back();
    return R;
  }

#define TETHER_LOOP(Kind)                                                                          \
  bool Traverse##Kind(Kind *S) {                                                                   \
    if (!Frames.empty())                                                                           \
      ++Frames.back().Loops;                                                                       \
    bool R = Base::Traverse##Kind(S);                                                              \
    if (!Frames.empty())                                                                           \
      --Frames.back().Loops;                                                                       \
    return R;                                                                                      \
  }
  TETHER_LOOP(ForStmt)
  TETHER_LOOP(WhileStmt)
  TETHER_LOOP(DoStmt)
  TETHER_LOOP(CXXForRangeStmt)
#undef TETHER_LOOP

  bool VisitMemberExpr(MemberExpr *ME) {
    noteRef(ME);
    return true;
  }

  bool VisitDeclRefExpr(DeclRefExpr *DRE) {
    noteRef(DRE);
    // A function named other than as the callee of a call: its address escapes (a callback,
    // a thread body, an argument of std::bind).
    if (const auto *FD = dyn_cast<FunctionDecl>(DRE->getDecl()); FD && !Callees.contains(DRE) && !inSystem(FD)) {
      std::string U = C.addFunction(FD);
      if (!U.empty())
        C.Out.Functions[U].Callback = true;
    }
    return true;
  }

  bool VisitCallExpr(CallExpr *CE) {
    if (const Expr *Callee = CE->getCallee()) {
      Callee = Callee->IgnoreParenImpCasts();
      if (const auto *DRE = dyn_cast<DeclRefExpr>(Callee))
        Callees.insert(DRE);
    }
    const FunctionDecl *Target = CE->getDirectCallee();
    if (Target && isHeapFactory(Target)) {
      if (const TemplateArgumentList *Args = Target->getTemplateSpecializationArgs(); Args && Args->size() > 0 &&
                                                                                        Args->get(0).getKind() == TemplateArgument::Type)
        C.addInstance(Args->get(0).getAsType(), "heap");
    }
    edge(Target);
    return true;
  }

  bool VisitCXXConstructExpr(CXXConstructExpr *CE) {
    edge(CE->getConstructor());
    return true;
  }

  bool VisitVarDecl(VarDecl *VD) {
    if (!isa<ParmVarDecl>(VD) || !VD->getType()->isReferenceType())
      C.addInstance(VD->getType(), VD->hasLocalStorage() ? "automatic" : "static");
    return true;
  }

  bool VisitFieldDecl(FieldDecl *FD) {
    C.addInstance(FD->getType(), "member", dyn_cast<CXXRecordDecl>(FD->getParent()));
    return true;
  }

  bool VisitCXXRecordDecl(CXXRecordDecl *RD) {
    if (RD->hasDefinition() && RD->isThisDeclarationADefinition())
      for (const CXXBaseSpecifier &B : RD->bases())
        C.addInstance(B.getType(), "member", RD);
    return true;
  }

  bool VisitCXXNewExpr(CXXNewExpr *NE) {
    C.addInstance(NE->getAllocatedType(), "heap");
    return true;
  }

  bool VisitMaterializeTemporaryExpr(MaterializeTemporaryExpr *MTE) {
    C.addInstance(MTE->getType(), "temporary");
    return true;
  }

private:
  static bool isHeapFactory(const FunctionDecl *FD) {
    if (!FD->isInStdNamespace() || !FD->getIdentifier())
      return false;
    StringRef N = FD->getName();
    return N == "make_shared" || N == "make_unique" || N == "allocate_shared" || N == "make_shared_for_overwrite" ||
           N == "make_unique_for_overwrite";
  }

  bool inSystem(const Decl *D) const {
    return D->getLocation().isValid() && SM.isInSystemHeader(D->getLocation());
  }

  void noteRef(const Expr *E) {
    if (!Frames.empty() && Refs.contains(E))
      C.Enclosing[E] = Frames.back().Fn;
  }

  void edge(const FunctionDecl *Target) {
    if (!Target || Frames.empty() || inSystem(Target))
      return;
    if (const FunctionDecl *Pattern = Target->getTemplateInstantiationPattern())
      Target = Pattern;
    std::string Callee = C.addFunction(Target);
    std::string Caller = C.addFunction(Frames.back().Fn);
    if (!Callee.empty() && !Caller.empty() && Callee != Caller)
      C.Out.Functions[Callee].Callers.insert({Caller, Frames.back().Loops > 0});
  }

  struct Frame {
    const FunctionDecl *Fn;
    unsigned Loops;
  };
  FactsCollector &C;
  const SourceManager &SM;
  const llvm::DenseSet<const Expr *> &Refs;
  std::vector<Frame> Frames;
  llvm::DenseSet<const DeclRefExpr *> Callees;
};

void FactsCollector::walk(const llvm::DenseSet<const Expr *> &Refs) {
  FactsWalker(*this, Refs).TraverseDecl(Ctx.getTranslationUnitDecl());
}

// --- evidence of the precision rules ------------------------------------------------------------

namespace {

/// The type arguments of a container type (a specialization or a dependent template-id).
llvm::SmallVector<QualType, 4> typeArguments(QualType T) {
  llvm::SmallVector<QualType, 4> Out;
  if (T.isNull())
    return Out;
  const Type *Ty = T->getUnqualifiedDesugaredType();
  ArrayRef<TemplateArgument> Args;
  if (const auto *RT = dyn_cast<RecordType>(Ty)) {
    if (const auto *Spec = dyn_cast<ClassTemplateSpecializationDecl>(RT->getDecl()))
      Args = Spec->getTemplateArgs().asArray();
  } else if (const auto *TST = dyn_cast<TemplateSpecializationType>(Ty)) {
    Args = TST->template_arguments();
  }
  for (const TemplateArgument &A : Args)
    Out.push_back(A.getKind() == TemplateArgument::Type ? A.getAsType() : QualType());
  return Out;
}

std::string templateName(QualType T) {
  const Type *Ty = T->getUnqualifiedDesugaredType();
  if (const auto *RT = dyn_cast<RecordType>(Ty))
    return RT->getDecl()->getName().str();
  if (const auto *TST = dyn_cast<TemplateSpecializationType>(Ty))
    if (const TemplateDecl *TD = TST->getTemplateName().getAsTemplateDecl())
      return TD->getName().str();
  return "";
}

const Expr *stripKey(const Expr *E) {
  while (E) {
    E = E->IgnoreParenImpCasts();
    if (const auto *M = dyn_cast<MaterializeTemporaryExpr>(E))
      E = M->getSubExpr();
    else if (const auto *B = dyn_cast<CXXBindTemporaryExpr>(E))
      E = B->getSubExpr();
    else if (const auto *F = dyn_cast<CXXFunctionalCastExpr>(E))
      E = F->getSubExpr();
    else if (const auto *CE = dyn_cast<CXXConstructExpr>(E); CE && CE->getNumArgs() >= 1 && !isa<CXXTemporaryObjectExpr>(CE))
      E = CE->getArg(0);
    else
      break;
  }
  return E;
}

bool isConstantKey(ASTContext &Ctx, const Expr *E) {
  E = stripKey(E);
  if (!E)
    return false;
  if (isa<StringLiteral, IntegerLiteral, CharacterLiteral, FloatingLiteral, CXXBoolLiteralExpr>(E))
    return true;
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
    if (isa<EnumConstantDecl>(DRE->getDecl()))
      return true;
    if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl()); VD && VD->isConstexpr())
      return true;
  }
  if (E->isValueDependent() || E->isTypeDependent())
    return false;
  return E->isEvaluatable(Ctx);
}

} // namespace

bool FactsCollector::growthKeyIsConstant(ASTContext &Ctx, const Expr *Ref) {
  // Up from the reference to the call that grows the container.
  const Expr *Cur = Ref;
  for (int Depth = 0; Depth < 4; ++Depth) {
    DynTypedNodeList Parents = Ctx.getParents(*Cur);
    if (Parents.empty())
      return false;
    const auto *P = Parents[0].get<Expr>();
    if (!P)
      return false;
    if (const auto *Op = dyn_cast<CXXOperatorCallExpr>(P)) {
      return Op->getOperator() == OO_Subscript && Op->getNumArgs() == 2 && isConstantKey(Ctx, Op->getArg(1));
    }
    if (const auto *MC = dyn_cast<CXXMemberCallExpr>(P)) {
      const CXXMethodDecl *M = MC->getMethodDecl();
      if (!M || !M->getIdentifier() || MC->getNumArgs() == 0)
        return false;
      StringRef N = M->getName();
      const Expr *Key = nullptr;
      if (N == "emplace" || N == "try_emplace" || N == "insert_or_assign")
        Key = MC->getArg(0);
      else if (N == "insert")
        Key = MC->getArg(MC->getNumArgs() == 2 ? 1 : 0); // insert(hint, value)
      else if (N == "emplace_hint" && MC->getNumArgs() >= 2)
        Key = MC->getArg(1);
      else
        return false;
      Key = stripKey(Key);
      // insert({k, v}) / insert(std::make_pair(k, v)) / insert(std::pair<K, V>(k, v)): the key is first.
      if (const auto *IL = dyn_cast_or_null<InitListExpr>(Key); IL && IL->getNumInits() > 0)
        Key = IL->getInit(0);
      else if (const auto *CE = dyn_cast_or_null<CXXConstructExpr>(Key); CE && CE->getNumArgs() > 0)
        Key = CE->getArg(0);
      else if (const auto *Call = dyn_cast_or_null<CallExpr>(Key); Call && Call->getNumArgs() > 0 &&
                                                                   Call->getDirectCallee() &&
                                                                   Call->getDirectCallee()->getName() == "make_pair")
        Key = Call->getArg(0);
      return isConstantKey(Ctx, Key);
    }
    if (isa<CallExpr>(P))
      return false;
    Cur = P;
  }
  return false;
}

bool FactsCollector::keyIsEnumOrBool(QualType ContainerType) {
  auto Args = typeArguments(ContainerType);
  if (Args.empty() || Args[0].isNull())
    return false;
  QualType K = Args[0].getCanonicalType();
  return K->isEnumeralType() || K->isBooleanType();
}

bool FactsCollector::elementIsCallable(QualType ContainerType) {
  auto Args = typeArguments(ContainerType);
  std::string Name = templateName(ContainerType);
  size_t Index = StringRef(Name).contains("map") ? 1 : 0;
  if (Args.size() <= Index || Args[Index].isNull())
    return false;
  QualType T = Args[Index].getCanonicalType();
  if (T->isFunctionPointerType() || T->isMemberFunctionPointerType() || T->isFunctionType())
    return true;
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (!RD)
    return false;
  if (RD->isInStdNamespace() && RD->getIdentifier() &&
      (RD->getName() == "function" || RD->getName() == "move_only_function" || RD->getName() == "copyable_function"))
    return true;
  if (!RD->hasDefinition())
    return false;
  DeclarationName Call = RD->getASTContext().DeclarationNames.getCXXOperatorName(OO_Call);
  return !RD->lookup(Call).empty();
}

} // namespace clang::tidy::tether
