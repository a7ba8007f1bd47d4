#include "Expressions.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"

namespace clang::tidy::tether {

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

const Expr *localInitializer(const Expr *E) {
  const auto *DRE = dyn_cast_or_null<DeclRefExpr>(E ? E->IgnoreParenImpCasts() : nullptr);
  const auto *VD = DRE ? dyn_cast<VarDecl>(DRE->getDecl()) : nullptr;
  if (!VD || isa<ParmVarDecl>(VD) || !VD->hasLocalStorage() || !VD->getInit())
    return nullptr;
  return stripConstruction(VD->getInit());
}

namespace {

bool isStringClass(const CXXRecordDecl *RD) {
  if (!RD || !RD->isInStdNamespace() || !RD->getIdentifier())
    return false;
  StringRef N = RD->getName();
  return N == "basic_string_view" || N == "basic_string";
}

void evaluateInto(const Expr *E, ASTContext &Ctx, StringValue &Out, unsigned Depth) {
  auto RunTime = [&] { Out.K = StringValue::RunTime; };
  if (!E || Depth > 8)
    return RunTime();
  E = stripConstruction(E);
  if (E->isValueDependent() || E->isTypeDependent())
    return RunTime();
  // std::string_view(ptr) / std::string(ptr) and their ""sv / ""s literals: the pointer decides.
  if (const auto *C = dyn_cast<CXXConstructExpr>(E);
      C && isStringClass(C->getConstructor()->getParent()) && C->getNumArgs() >= 1 &&
      !C->getConstructor()->isCopyOrMoveConstructor()) {
    if (C->getNumArgs() == 1 || isa<CXXDefaultArgExpr>(C->getArg(1)))
      return evaluateInto(C->getArg(0), Ctx, Out, Depth + 1);
  } else if (const auto *C = dyn_cast<CXXConstructExpr>(E);
             C && C->getConstructor()->isCopyOrMoveConstructor() && C->getNumArgs() == 1) {
    return evaluateInto(C->getArg(0), Ctx, Out, Depth + 1);
  }
  // std::string -> std::string_view through the string's conversion operator.
  if (const auto *MC = dyn_cast<CXXMemberCallExpr>(E);
      MC && isa_and_nonnull<CXXConversionDecl>(MC->getMethodDecl()) &&
      isStringClass(MC->getMethodDecl()->getParent()))
    return evaluateInto(MC->getImplicitObjectArgument(), Ctx, Out, Depth + 1);
  if (const auto *UDL = dyn_cast<UserDefinedLiteral>(E)) {
    if (const auto *S = dyn_cast_or_null<StringLiteral>(UDL->getCookedLiteral())) {
      Out.Texts.push_back(S->getBytes().str());
      return;
    }
  }
  if (const auto *CO = dyn_cast<ConditionalOperator>(E)) {
    evaluateInto(CO->getTrueExpr(), Ctx, Out, Depth + 1);
    if (Out.K == StringValue::RunTime)
      return;
    return evaluateInto(CO->getFalseExpr(), Ctx, Out, Depth + 1);
  }
  // A const (or constexpr) variable: its initializer, however it is spelled.
  if (const auto *DRE = dyn_cast<DeclRefExpr>(E)) {
    if (const auto *VD = dyn_cast<VarDecl>(DRE->getDecl());
        VD && !isa<ParmVarDecl>(VD) && VD->getAnyInitializer() &&
        (VD->isConstexpr() || (VD->getType().isConstQualified() && !VD->getType()->isReferenceType() &&
                               !VD->getType().isVolatileQualified())))
      return evaluateInto(VD->getAnyInitializer(), Ctx, Out, Depth + 1);
  }
  if (const auto *S = dyn_cast<StringLiteral>(E)) {
    Out.Texts.push_back(S->getBytes().str());
    return;
  }
  QualType T = E->getType();
  if (T->isPointerType() || T->isArrayType()) {
    if (std::optional<std::string> Text = E->tryEvaluateString(Ctx)) {
      Out.Texts.push_back(std::move(*Text));
      return;
    }
  }
  if (E->isCXX11ConstantExpr(Ctx)) {
    if (Out.K == StringValue::Known)
      Out.K = StringValue::Opaque;
    return;
  }
  RunTime();
}

} // namespace

StringValue evaluateString(const Expr *E, ASTContext &Ctx) {
  StringValue V;
  V.K = StringValue::Known;
  evaluateInto(E, Ctx, V, 0);
  if (V.K == StringValue::RunTime)
    V.Texts.clear();
  return V;
}

} // namespace clang::tidy::tether
