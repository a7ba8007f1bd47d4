#include "Locks.h"
#include "clang/AST/DeclCXX.h"
#include "llvm/ADT/FoldingSet.h"

namespace clang::tidy::tether::locks {

CallList::CallList(NameList List) : Names(std::move(List)) {
  llvm::StringMap<std::vector<std::string>> Owners;
  for (const std::string &N : Names.names()) {
    llvm::StringRef S(N);
    size_t Sep = S.rfind("::");
    if (Sep == llvm::StringRef::npos || Sep == 0)
      continue; // a free function (or "::f"): matched by name alone
    Owners[S.substr(Sep + 2)].push_back(S.substr(0, Sep).str());
  }
  for (auto &E : Owners)
    OwnersByMethod[E.getKey()] = NameList(std::move(E.getValue()));
}

bool CallList::matches(const CallExpr &Call) const {
  const FunctionDecl *FD = Call.getDirectCallee();
  if (!FD || Names.empty())
    return false;
  if (Names.matches(*FD))
    return true;
  const auto *MC = dyn_cast<CXXMemberCallExpr>(&Call);
  if (!MC || !FD->getDeclName().isIdentifier())
    return false;
  auto It = OwnersByMethod.find(FD->getName());
  if (It == OwnersByMethod.end())
    return false;
  // The object's own class, before the implicit derived-to-base conversion to the method's class.
  const Expr *Obj = MC->getImplicitObjectArgument();
  if (!Obj)
    return false;
  QualType T = Obj->IgnoreParenImpCasts()->getType();
  if (T->isPointerType())
    T = T->getPointeeType();
  const CXXRecordDecl *RD = T->getAsCXXRecordDecl();
  if (!RD)
    return false;
  return isOrDerivesFrom(RD, It->second);
}

bool isOrDerivesFrom(const CXXRecordDecl *RD, const NameList &Types) {
  if (!RD)
    return false;
  if (Types.matches(*RD))
    return true;
  bool Found = false;
  if (RD->hasDefinition())
    RD->forallBases([&](const CXXRecordDecl *Base) {
      Found = Found || Types.matches(*Base);
      return !Found;
    });
  return Found;
}

const Expr *lockedObject(const CallExpr &Call) {
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(&Call))
    return MC->getImplicitObjectArgument();
  return Call.getNumArgs() > 0 ? Call.getArg(0) : nullptr;
}

bool holdsFromConstruction(const VarDecl &VD) {
  const auto *CE = dyn_cast_or_null<CXXConstructExpr>(VD.getInit() ? VD.getInit()->IgnoreImplicit() : nullptr);
  if (!CE)
    return VD.getInit() != nullptr;
  if (CE->getNumArgs() == 0)
    return false;
  if (CE->getConstructor()->isCopyOrMoveConstructor())
    return true; // moved from another lock: assume it was held
  for (const Expr *Arg : CE->arguments())
    if (const CXXRecordDecl *RD = Arg->getType()->getAsCXXRecordDecl();
        RD && RD->getDeclName().isIdentifier() &&
        (RD->getName() == "defer_lock_t" || RD->getName() == "try_to_lock_t"))
      return false;
  return true;
}

bool sameObject(const Expr *A, const Expr *B, const ASTContext &Ctx) {
  if (!A || !B)
    return false;
  A = A->IgnoreParenImpCasts();
  B = B->IgnoreParenImpCasts();
  // &m and m name the same mutex for pthread calls written either way.
  llvm::FoldingSetNodeID IA, IB;
  A->Profile(IA, Ctx, /*Canonical=*/true);
  B->Profile(IB, Ctx, /*Canonical=*/true);
  return IA == IB;
}

} // namespace clang::tidy::tether::locks
