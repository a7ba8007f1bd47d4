// The raw-thread vocabulary shared by tether-raw-thread and tether-thread-detach: which types are
// threads, which constructions start one, and the default lists of thread types.
#ifndef TETHER_CHECKS_UTILS_THREADS_H
#define TETHER_CHECKS_UTILS_THREADS_H

#include "Expressions.h"
#include "Options.h"
#include "ReportOnce.h"
#include "Unevaluated.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/DenseMap.h"
#include <string>
#include <vector>

namespace clang::tidy::tether::threads {

// The shared helpers under the names the thread checks have always used.
using tether::stripConstruction;
using tether::UnevaluatedOperands;
using tether::userLocation;

/// The default ThreadTypes of both thread checks.
inline constexpr llvm::StringLiteral DefaultThreadTypes = "::std::thread;::std::jthread;::boost::thread";

/// The configured thread types (ThreadTypes option), with per-class caches so that the per-node
/// work of the matchers is one hash lookup. Names are matched as NameList matches them.
class ThreadTypeSet {
public:
  void setNames(const std::vector<std::string> &Names);
  bool empty() const { return Types.empty(); }
  void clearCache();

  /// Index of the thread type that \p RD is exactly, or -1.
  int exact(const CXXRecordDecl *RD);
  /// Index of the thread type that \p RD is or derives from (directly or not), or -1.
  int sameOrDerived(const CXXRecordDecl *RD);
  /// Index of the thread type whose spawning constructors \p RD offers: the type itself or a class
  /// inheriting its constructors (`using std::thread::thread;`), transitively; or -1.
  int constructsAs(const CXXRecordDecl *RD);
  /// The type's name as configured, without a leading "::" (for diagnostics).
  const std::string &display(int Index) const { return Types[Index].Display; }

  /// True if \p T (references and cv-qualifiers ignored) is a thread type or derived from one.
  bool isThreadValue(QualType T);

  /// If \p E constructs a thread with a callable (any constructor of a thread type other than the
  /// default, copy and move ones, also reached through inherited constructors), the index of the
  /// thread type; else -1.
  int spawnedBy(const CXXConstructExpr *E);

private:
  struct Type {
    NameList Name; // one name: its index is the type's
    std::string Display;
  };
  std::vector<Type> Types;
  llvm::DenseMap<const CXXRecordDecl *, int> ExactCache, DerivedCache, InheritCache;
};

/// Templates: a construction of a thread type written in a template, whose arguments depend on template
/// arguments (clang keeps it unresolved: CXXUnresolvedConstructExpr, or a ParenListExpr / InitListExpr
/// initializing a variable, a member or a new-expression), is judged where it is written when the
/// verdict does not hinge on a template argument.
enum class DependentSpawn {
  Spawn,  ///< starts a thread whatever the template arguments are
  None,   ///< never does (no arguments: a default construction)
  Hinges, ///< depends on the arguments (a one-argument construction may be a move)
};
/// The verdict for a construction of a thread type with \p Args (some of them type-dependent). Two or
/// more arguments can only be a callable and its arguments. A single argument is a move only if it is
/// an rvalue thread: a lambda, an address (`&C::run`) or an lvalue (a named parameter `f`, a member;
/// a thread cannot be copied from an lvalue) is a callable; an rvalue of a dependent type
/// (`std::forward<F>(f)`, `make()`) hinges, as does a lone pack expansion (`Args&&... args`).
DependentSpawn judgeDependentConstruction(llvm::ArrayRef<const Expr *> Args, ThreadTypeSet &Types);
/// The arguments of an initialization that clang left unresolved in a template (a ParenListExpr, an
/// InitListExpr, a CXXUnresolvedConstructExpr, the list form's braces included); false if \p Init is
/// none of these, or an InitListExpr whose inits are all non-dependent (then it was resolved).
bool unresolvedInitArgs(const Expr *Init, llvm::SmallVectorImpl<const Expr *> &Args);

/// The semantic context of the nearest declaration enclosing \p S, from the parent map. The first
/// call builds clang's parent map over the whole translation unit: use it only as a rare fallback.
const DeclContext *enclosingContextFromParents(const Stmt *S, ASTContext &Ctx);

} // namespace clang::tidy::tether::threads

#endif
