// Constant evaluation with a step budget, for checks that ask "is this expression a constant?"
// about code they did not choose. clang's evaluator runs constexpr functions to the end, up to
// -fconstexpr-steps (1,048,576 steps by default): one `while (slow())` whose constexpr `slow()`
// runs near that limit costs about a second per evaluation, and a check evaluates it once per
// loop and per template instantiation. A check must stay cheap on any input, so these helpers give
// the evaluator a small budget and treat an expression that needs more as not constant.
#ifndef TETHER_CHECKS_CHEAPEVALUATION_H
#define TETHER_CHECKS_CHEAPEVALUATION_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Expr.h"
#include "llvm/ADT/APSInt.h"
#include <optional>

namespace clang::tidy::tether {

/// The evaluator steps (statements executed in constexpr function bodies and loop iterations)
/// one evaluation may take. Literals, enumerators, constexpr variables (whose values clang has
/// computed already) and small constexpr functions take a handful; see docs/performance.md.
inline constexpr unsigned CheapEvaluationSteps = 4096;

/// The value of \p E as a condition (contextually converted to bool) if it is a constant that the
/// evaluator decides within CheapEvaluationSteps; std::nullopt if it is not constant, depends on
/// template arguments, contains errors, or needs more steps.
std::optional<bool> evaluateConditionCheaply(const Expr *E, const ASTContext &Ctx);

/// The same for an integer (or enumeration) constant.
std::optional<llvm::APSInt> evaluateIntCheaply(const Expr *E, const ASTContext &Ctx);

} // namespace clang::tidy::tether

#endif
