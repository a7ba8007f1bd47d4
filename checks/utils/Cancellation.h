// The cancellation vocabulary shared by the checks: what checks for cancellation, what waits or sleeps
// while honouring it, what does not, which types carry it, and which values can never be cancelled.
#ifndef TETHER_CHECKS_UTILS_CANCELLATION_H
#define TETHER_CHECKS_UTILS_CANCELLATION_H

#include "clang/AST/Decl.h"
#include "clang/AST/Expr.h"
#include "llvm/ADT/StringRef.h"

namespace clang::tidy::tether::cancellation {

/// Calls that look at cancellation (tether-unguarded-loop adds its CancellationFunctions option).
inline constexpr llvm::StringLiteral CheckFunctions[] = {
    "::std::stop_token::stop_requested", "::std::stop_source::stop_requested",
    "::tether::context::cancelled", "::tether::context::err",
    // A cancellation point: pthread_cancel() ends the thread here.
    "::pthread_testcancel"};
/// Waits and sleeps that return early when their context is cancelled, and tether::every.
inline constexpr llvm::StringLiteral WaitFunctions[] = {"::tether::sleep_for", "::tether::sleep_until",
                                                        "::tether::wait", "::tether::every"};
/// Sleeps that do not look at cancellation (tether-unguarded-loop's SleepFunctions default).
inline constexpr llvm::StringLiteral DefaultSleepFunctions =
    "::std::this_thread::sleep_for;::std::this_thread::sleep_until;::sleep;::usleep;::nanosleep";
/// A call receiving one of these (by value, reference or pointer) can observe cancellation.
inline constexpr llvm::StringLiteral TokenTypes[] = {"::std::stop_token", "::tether::context"};

/// Is \p T (references and cv-qualifiers ignored) `tether::context`?
bool isContextType(QualType T);
/// Is \p T (references and cv-qualifiers ignored) `std::stop_token`?
bool isStopTokenType(QualType T);

/// A value that nothing can ever cancel.
enum class Root {
  None,
  Background,     ///< a call to tether::background()
  DefaultContext, ///< a default-constructed tether::context (the background context)
  DefaultToken,   ///< a default-constructed std::stop_token (stop_possible() == false)
};
/// What \p E is, looking through the implicit nodes around it (not through variables).
Root rootOf(const Expr *E);

/// Is \p FD one of the functions deriving a cancellable child context (with_cancel, with_timeout,
/// with_deadline, with_stop_token)?
bool isDerivation(const FunctionDecl &FD);
/// Is \p FD a member of tether::context or std::stop_token themselves (copies, assignment), or an
/// overloaded operator (comparison, assignment, streaming)? A root passed there is stored, compared or
/// printed, not used to run anything.
bool isOwnMember(const FunctionDecl &FD);

} // namespace clang::tidy::tether::cancellation

#endif
