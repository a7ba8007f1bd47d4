#include "Unevaluated.h"
#include "clang/AST/ExprCXX.h"
#include "clang/AST/ExprConcepts.h"
#include "clang/AST/TypeLoc.h"
#include "clang/ASTMatchers/ASTMatchers.h"

using namespace clang::ast_matchers;

namespace clang::tidy::tether {

bool isUnevaluatedOperandRoot(const Stmt &S) {
  switch (S.getStmtClass()) {
  case Stmt::UnaryExprOrTypeTraitExprClass: // sizeof, alignof of an expression
    return !cast<UnaryExprOrTypeTraitExpr>(S).isArgumentType();
  case Stmt::CXXNoexceptExprClass:
  case Stmt::RequiresExprClass:
  case Stmt::ConceptSpecializationExprClass:
    return true;
  case Stmt::CXXTypeidExprClass: {
    const auto &T = cast<CXXTypeidExpr>(S);
    return !T.isTypeOperand() && !T.isPotentiallyEvaluated();
  }
  default:
    return false;
  }
}

bool isUnevaluatedReference(const Expr &E) {
  if (const auto *ME = dyn_cast<MemberExpr>(&E))
    return ME->isNonOdrUse() == NOUR_Unevaluated;
  if (const auto *DRE = dyn_cast<DeclRefExpr>(&E))
    return DRE->isNonOdrUse() == NOUR_Unevaluated;
  return false;
}

namespace {

constexpr llvm::StringLiteral UnevaluatedExprID = "tether-unevaluated-expr";
constexpr llvm::StringLiteral UnevaluatedTypeID = "tether-unevaluated-type";

AST_MATCHER(UnaryExprOrTypeTraitExpr, hasArgumentExpr) { return !Node.isArgumentType(); }

// There is no upstream matcher for typeid.
const ast_matchers::internal::VariadicDynCastAllOfMatcher<Stmt, CXXTypeidExpr> typeidExpr;

AST_MATCHER(CXXTypeidExpr, hasUnevaluatedOperand) { return isUnevaluatedOperandRoot(Node); }

AST_MATCHER(TypeLoc, isTypeOfExpression) {
  TypeLoc::TypeLocClass C = Node.getTypeLocClass();
  return C == TypeLoc::Decltype || C == TypeLoc::TypeOfExpr;
}

} // namespace

bool isWithinSubtree(const Stmt *S, const Stmt *Root) {
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
    if (!OnEdge || isWithinSubtree(S, O.Root))
      return true;
  }
  return false;
}

} // namespace clang::tidy::tether
