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
