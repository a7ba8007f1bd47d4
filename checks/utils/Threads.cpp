#include "Threads.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/ParentMapContext.h"

namespace clang::tidy::tether::threads {

void ThreadTypeSet::setNames(const std::vector<std::string> &Names) {
  Types.clear();
  for (const std::string &N : Names) {
    llvm::StringRef Display = llvm::StringRef(N).trim();
    Display.consume_front("::");
    if (!Display.empty())
      Types.push_back({NameList(std::vector<std::string>{N}), Display.str()});
  }
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
    if (Types[I].Name.matches(*RD))
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

DependentSpawn judgeDependentConstruction(llvm::ArrayRef<const Expr *> Args, ThreadTypeSet &Types) {
  unsigned Plain = 0;
  for (const Expr *A : Args)
    if (!isa<PackExpansionExpr>(A))
      ++Plain;
  if (Plain >= 2)
    return DependentSpawn::Spawn;
  if (Args.empty())
    return DependentSpawn::None;
  const Expr *A = Args.front()->IgnoreParens();
  if (isa<PackExpansionExpr>(A))
    return DependentSpawn::Hinges; // (args...): none, a move or a spawn
  if (!A->isTypeDependent())
    return Types.isThreadValue(A->getType()) ? DependentSpawn::None : DependentSpawn::Spawn;
  if (isa<LambdaExpr>(A) || A->isLValue())
    return DependentSpawn::Spawn;
  if (const auto *UO = dyn_cast<UnaryOperator>(A); UO && UO->getOpcode() == UO_AddrOf)
    return DependentSpawn::Spawn;
  return DependentSpawn::Hinges;
}

bool unresolvedInitArgs(const Expr *Init, llvm::SmallVectorImpl<const Expr *> &Args) {
  if (!Init)
    return false;
  Init = Init->IgnoreParens();
  if (const auto *U = dyn_cast<CXXUnresolvedConstructExpr>(Init)) {
    // `std::thread{f, this}`: one InitListExpr holding the arguments.
    if (U->isListInitialization() && U->getNumArgs() == 1)
      if (const auto *IL = dyn_cast<InitListExpr>(U->getArg(0)))
        return unresolvedInitArgs(IL, Args);
    Args.append(U->arg_begin(), U->arg_end());
    return true;
  }
  if (const auto *PL = dyn_cast<ParenListExpr>(Init)) {
    for (unsigned I = 0; I < PL->getNumExprs(); ++I)
      Args.push_back(PL->getExpr(I));
    return true;
  }
  if (const auto *IL = dyn_cast<InitListExpr>(Init)) {
    if (!IL->isTypeDependent() && !llvm::any_of(IL->inits(), [](const Expr *E) {
          return E && E->isTypeDependent();
        }))
      return false;
    Args.append(IL->inits().begin(), IL->inits().end());
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

} // namespace clang::tidy::tether::threads
