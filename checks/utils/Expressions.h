// Reading the expressions the checks care about through the implicit nodes clang puts around them.
#ifndef TETHER_CHECKS_UTILS_EXPRESSIONS_H
#define TETHER_CHECKS_UTILS_EXPRESSIONS_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/Expr.h"
#include "llvm/ADT/SmallVector.h"
#include <string>

namespace clang::tidy::tether {

/// Strips the implicit nodes around a constructed temporary or a variable's initializer:
/// parentheses, implicit casts, cleanups, materialization, binding, functional casts.
const Expr *stripConstruction(const Expr *E);

/// A local variable's initializer, stripped, when \p E names a local variable (not a parameter) that
/// has one; else null.
const Expr *localInitializer(const Expr *E);

/// What a string argument (a `std::string_view`, `std::string` or `const char*`) is known to be.
struct StringValue {
  enum Kind {
    Known,   ///< A constant whose text is in Texts (two for `c ? "a" : "b"`).
    Opaque,  ///< A constant expression whose text cannot be read (a constexpr function's result).
    RunTime, ///< Computed at run time.
  } K = RunTime;
  llvm::SmallVector<std::string, 1> Texts;
};

/// Evaluates \p E: string literals (also through string_view/string construction and the ""sv/""s
/// literals), constexpr and const variables initialized with one, conditional choices between
/// constants, and other constant expressions (Opaque). Anything else is RunTime.
StringValue evaluateString(const Expr *E, ASTContext &Ctx);

} // namespace clang::tidy::tether

#endif
