#include "Cancellation.h"
#include "Expressions.h"
#include "Options.h"
#include "TetherApi.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"

namespace clang::tidy::tether::cancellation {

namespace {

const NameList &contextType() {
  static const NameList L({api::Context});
  return L;
}
const NameList &stopTokenType() {
  static const NameList L({api::StopToken});
  return L;
}
const NameList &ownTypes() {
  static const NameList L({api::Context, api::StopToken});
  return L;
}
const NameList &background() {
  static const NameList L({api::Background});
  return L;
}
const NameList &derivations() {
  static const NameList L(llvm::ArrayRef<llvm::StringRef>(std::begin(api::Derivations),
                                                          std::end(api::Derivations)));
  return L;
}

const CXXRecordDecl *recordOf(QualType T) {
  if (T.isNull())
    return nullptr;
  return T.getNonReferenceType()->getAsCXXRecordDecl();
}

} // namespace

bool isContextType(QualType T) {
  const CXXRecordDecl *RD = recordOf(T);
  return RD && contextType().matches(*RD);
}

bool isStopTokenType(QualType T) {
  const CXXRecordDecl *RD = recordOf(T);
  return RD && stopTokenType().matches(*RD);
}

Root rootOf(const Expr *E) {
  E = stripConstruction(E);
  if (!E)
    return Root::None;
  if (const auto *Call = dyn_cast<CallExpr>(E)) {
    const FunctionDecl *FD = Call->getDirectCallee();
    return FD && background().matches(*FD) ? Root::Background : Root::None;
  }
  if (const auto *C = dyn_cast<CXXConstructExpr>(E)) {
    const CXXConstructorDecl *Ctor = C->getConstructor();
    if (!Ctor || !Ctor->isDefaultConstructor())
      return Root::None;
    if (contextType().matches(*Ctor->getParent()))
      return Root::DefaultContext;
    if (stopTokenType().matches(*Ctor->getParent()))
      return Root::DefaultToken;
  }
  return Root::None;
}

bool isDerivation(const FunctionDecl &FD) { return derivations().matches(FD); }

bool isOwnMember(const FunctionDecl &FD) {
  if (FD.isOverloadedOperator())
    return true;
  const auto *MD = dyn_cast<CXXMethodDecl>(&FD);
  return MD && ownTypes().matches(*MD->getParent());
}

} // namespace clang::tidy::tether::cancellation
