#include "CheapEvaluation.h"
#include "clang/Basic/LangOptions.h"

namespace clang::tidy::tether {
namespace {

/// Lowers the constexpr step limit for the lifetime of the object. clang's evaluators (the tree
/// evaluator and the bytecode interpreter alike) read LangOptions::ConstexprStepLimit when an
/// evaluation starts, and no evaluation API takes a limit, so the option is lowered around the
/// call and restored after it. The LangOptions object belongs to the compiler invocation of this
/// translation unit (not const, not shared with another thread), and nothing else reads the
/// option while the check runs. A limit of 0 means "unlimited" to the bytecode interpreter: a
/// configured 0 is replaced by the budget too.
class StepBudget {
public:
  explicit StepBudget(const ASTContext &Ctx)
      : Opts(const_cast<LangOptions &>(Ctx.getLangOpts())), Saved(Opts.ConstexprStepLimit) {
    if (Saved == 0 || Saved > CheapEvaluationSteps)
      Opts.ConstexprStepLimit = CheapEvaluationSteps;
  }
  ~StepBudget() { Opts.ConstexprStepLimit = Saved; }
  StepBudget(const StepBudget &) = delete;
  StepBudget &operator=(const StepBudget &) = delete;

private:
  LangOptions &Opts;
  unsigned Saved;
};

bool evaluable(const Expr *E) {
  return E && !E->isValueDependent() && !E->isTypeDependent() && !E->containsErrors();
}

} // namespace

std::optional<bool> evaluateConditionCheaply(const Expr *E, const ASTContext &Ctx) {
  if (!evaluable(E))
    return std::nullopt;
  StepBudget Budget(Ctx);
  bool Value = false;
  if (!E->EvaluateAsBooleanCondition(Value, Ctx))
    return std::nullopt;
  return Value;
}

std::optional<llvm::APSInt> evaluateIntCheaply(const Expr *E, const ASTContext &Ctx) {
  if (!evaluable(E))
    return std::nullopt;
  StepBudget Budget(Ctx);
  Expr::EvalResult R;
  if (!E->EvaluateAsInt(R, Ctx) || !R.Val.isInt())
    return std::nullopt;
  return R.Val.getInt();
}

} // namespace clang::tidy::tether
