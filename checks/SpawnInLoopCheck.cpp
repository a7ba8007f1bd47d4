// tether-spawn-in-loop: one task per iteration with no bound.
//
// Design notes (performance): the matchers are one per loop kind (recording where loops are, for
// LoopIndex), the unevaluated-operand recorders, and one call matcher on the two spawn functions'
// names. Everything else runs only at a spawn site. No parent map.
#include "SpawnInLoopCheck.h"
#include "utils/Options.h"
#include "utils/TetherApi.h"
#include "clang/AST/ASTContext.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/ASTMatchers/ASTMatchers.h"

using namespace clang::ast_matchers;

namespace clang::tidy::tether {

namespace {
constexpr unsigned DefaultMaxConstantFanOut = 64;
} // namespace

SpawnInLoopCheck::SpawnInLoopCheck(StringRef Name, ClangTidyContext *Context)
    : ClangTidyCheck(Name, Context),
      MaxConstantFanOut(readUnsignedOption(*this, Options, "MaxConstantFanOut",
                                           DefaultMaxConstantFanOut, MaxConstantFanOutRaw)) {}

void SpawnInLoopCheck::storeOptions(ClangTidyOptions::OptionMap &Opts) {
  Options.store(Opts, "MaxConstantFanOut", MaxConstantFanOutRaw);
}

void SpawnInLoopCheck::onStartOfTranslationUnit() {
  Loops.clear();
  Unevaluated.clear();
  Reported.clear();
}

void SpawnInLoopCheck::registerMatchers(MatchFinder *Finder) {
  LoopIndex::registerMatchers(Finder, this);
  UnevaluatedOperands::registerMatchers(Finder, this);
  Finder->addMatcher(callExpr(callee(functionDecl(hasAnyName(api::SafeGo, api::GroupSpawn))),
                              unless(isExpansionInSystemHeader()))
                         .bind("spawn"),
                     this);
  // Templates: the same calls with dependent arguments, unresolved in the template as written.
  Finder->addMatcher(callExpr(callee(expr(anyOf(unresolvedLookupExpr(hasAnyDeclaration(
                                                    namedDecl(hasName(api::SafeGo)))),
                                                unresolvedMemberExpr()))),
                              unless(isExpansionInSystemHeader()))
                         .bind("dep-spawn"),
                     this);
}

void SpawnInLoopCheck::check(const MatchFinder::MatchResult &Result) {
  if (Loops.record(Result) || Unevaluated.record(Result))
    return;
  const auto *Call = Result.Nodes.getNodeAs<CallExpr>("spawn");
  std::optional<TetherSpawn> Spawn;
  // Where an instantiation's call is reported: the call, or the member name of `group.spawn`.
  SourceLocation Where;
  if (Call) {
    Spawn = classifyTetherSpawn(Call);
    Where = Call->getExprLoc();
  } else if ((Call = Result.Nodes.getNodeAs<CallExpr>("dep-spawn"))) {
    Spawn = classifyUnresolvedTetherSpawn(Call);
    const auto *UME = dyn_cast<UnresolvedMemberExpr>(Call->getCallee()->IgnoreParens());
    Where = UME ? UME->getMemberLoc() : Call->getExprLoc();
  }
  if (!Spawn || Spawn->Kind == SpawnKind::GroupTrySpawn)
    return;
  // A group with a limit, or one whose construction is not visible here, is not judged.
  if (Spawn->Kind == SpawnKind::GroupSpawn && Spawn->Limit != GroupLimit::None)
    return;
  const SourceManager &SM = *Result.SourceManager;
  SourceLocation Loc = userLocation(SM, Where);
  if (Reported.claimed(Loc) || Unevaluated.contains(Call, SM))
    return;

  // How often do the loops around it run it? The outermost loop with no bound decides; failing that,
  // the product of the constant trip counts.
  FanOut F = fanOut(Loops, Call, *Result.Context);
  if (!F.UnboundedLoop && (F.ConstantProduct <= MaxConstantFanOut || !F.OutermostCounted))
    return;
  if (!Reported.claim(Loc))
    return;

  if (Spawn->Kind == SpawnKind::SafeGo)
    diag(Loc, "'tether::safe_go' in a loop starts one task per iteration with no bound; %0")
        << api::BoundFanOutAdvice << Call->getSourceRange();
  else
    diag(Loc, "'spawn' on a 'tether::task_group' without a limit starts one task per iteration "
              "with no bound; give the group a limit, or use a worker pool with a bounded queue")
        << Call->getSourceRange();
  if (F.UnboundedLoop)
    diag(userLocation(SM, loopKeyword(F.UnboundedLoop)),
         "repeated by this loop, whose trip count is neither a constant nor bounded by the number "
         "of cores",
         DiagnosticIDs::Note);
  else
    diag(userLocation(SM, loopKeyword(F.OutermostCounted)),
         "repeated %0 times by this loop nest, more than MaxConstantFanOut (%1)", DiagnosticIDs::Note)
        << std::to_string(F.ConstantProduct) << MaxConstantFanOut;
  if (Spawn->UnlimitedConstruction)
    diag(userLocation(SM, Spawn->UnlimitedConstruction->getBeginLoc()),
         "the group is constructed here without a limit", DiagnosticIDs::Note);
}

} // namespace clang::tidy::tether
