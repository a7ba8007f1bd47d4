// The one answer to "does this code run?": unevaluated operands.
//
// Nothing written in an unevaluated operand runs: `sizeof`/`alignof` of an expression, `noexcept(...)`,
// `typeid` of a non-polymorphic operand, `decltype(...)`/`typeof(...)`, requires-expressions and
// concept checks (a lambda written there included: its body counts as part of the operand). A spawn,
// detach or loop there is not a finding.
#ifndef TETHER_CHECKS_UTILS_UNEVALUATED_H
#define TETHER_CHECKS_UTILS_UNEVALUATED_H

#include "clang/AST/Expr.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "clang/Basic/SourceManager.h"
#include <vector>

namespace clang::tidy::tether {

/// Is \p S an operator whose operand is unevaluated (the operand itself is not)? For walks over a
/// body, which skip such a node's children. (decltype/typeof are types, not statements: see
/// UnevaluatedOperands.)
bool isUnevaluatedOperandRoot(const Stmt &S);

/// Is \p E a reference (DeclRefExpr/MemberExpr) that clang marked as appearing in an unevaluated
/// operand? The per-reference form of the same question, free for references.
bool isUnevaluatedReference(const Expr &E);

/// The unevaluated operands of non-system code, recorded by cheap matchers on those nodes themselves,
/// so that no parent map (a traversal of the whole translation unit, system headers included) is
/// needed to ask whether a finding sits in one. This relies on the match finder matching a node before
/// anything inside it: when a spawn in `sizeof(...)` is matched, the sizeof has been recorded already
/// (the lit tests pin this down).
///
/// One instance per check, reset per translation unit (clear()).
class UnevaluatedOperands {
public:
  /// Adds the recording matchers, reported to \p Callback (a check, which passes them to record()).
  static void registerMatchers(ast_matchers::MatchFinder *Finder,
                               ast_matchers::MatchFinder::MatchCallback *Callback);
  /// Records a match of one of those matchers; false if \p Result is not one of them.
  bool record(const ast_matchers::MatchFinder::MatchResult &Result);
  /// Is \p S inside an unevaluated operand recorded so far?
  bool contains(const Stmt *S, const SourceManager &SM) const;
  void clear() { Operands.clear(); }

private:
  struct Operand {
    SourceLocation Begin, End; // expansion locations of the first and last token
    FileID File;               // of both, or invalid if they are in different files
    unsigned BeginOffset = 0, EndOffset = 0;
    const Stmt *Root; // the operand, for deciding locations shared with a macro expansion
  };
  std::vector<Operand> Operands;
};

/// Is \p S inside the subtree of \p Root (requires-expression requirements included)? Walks \p Root:
/// for the rare cases that source ranges cannot decide.
bool isWithinSubtree(const Stmt *S, const Stmt *Root);

} // namespace clang::tidy::tether

#endif
