// Extraction of whole-program facts (Facts.h) from one translation unit's AST, for
// tether-unbounded-container. Only used while a facts sink is installed, so single-TU routes pay
// nothing for it.
//
// One walk over the TU's code outside system headers (template patterns, not instantiations, as
// the check itself) records: the function enclosing each reference of interest (a lambda's body
// is its own function, marked as a callback), call edges with "inside a loop" flags, functions
// whose address escapes, and where the classes that own a container (directly, through a member or
// a base) are instantiated.
#ifndef TETHER_CHECKS_FACTS_FACTSCOLLECTOR_H
#define TETHER_CHECKS_FACTS_FACTSCOLLECTOR_H

#include "Facts.h"

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/Expr.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/STLFunctionalExtras.h"

#include <functional>
#include <string>

namespace clang::tidy::tether {

class FactsCollector {
public:
  FactsCollector(ASTContext &Ctx, ::tether::facts::TUFacts &Out,
                 std::function<bool(const ValueDecl *)> IsContainer)
      : Ctx(Ctx), Out(Out), IsContainer(std::move(IsContainer)) {}

  /// The USR of `D` ("" if it has none).
  std::string usr(const Decl *D);
  /// Walks the TU once (see the file comment). `Refs` are the references whose enclosing function
  /// is wanted.
  void walk(const llvm::DenseSet<const Expr *> &Refs);
  /// The function (or lambda call operator) enclosing `Ref`, null at namespace scope.
  const FunctionDecl *enclosing(const Expr *Ref) const { return Enclosing.lookup(Ref); }
  /// Adds `FD` to the functions of the facts (name, class, constructor, main); returns its USR.
  std::string addFunction(const FunctionDecl *FD);
  /// Records the member functions and friends of a class owning a container.
  void addOwnerClass(const CXXRecordDecl *RD);
  /// True if the class owns a container: a field of container type, or a member or base that does.
  bool ownsContainer(const CXXRecordDecl *RD);

  /// Evidence of the precision rules (simple local logic; see docs/checks/tether-unbounded-container.md).
  /// Rule 1: the key of the growth through reference `Ref` is a compile-time constant (a literal, an
  /// enumerator, a constexpr variable or any other constant expression).
  static bool growthKeyIsConstant(ASTContext &Ctx, const Expr *Ref);
  /// Rule 1: the container's key type is an enumeration or bool.
  static bool keyIsEnumOrBool(QualType ContainerType);
  /// Rule 2: the mapped type (maps) or element type (others) is callable: std::function (and the
  /// other std function wrappers), a pointer to function or member function, a class with operator().
  static bool elementIsCallable(QualType ContainerType);

private:
  friend class FactsWalker;
  void addInstance(QualType T, const char *How, const CXXRecordDecl *In = nullptr);

  ASTContext &Ctx;
  ::tether::facts::TUFacts &Out;
  std::function<bool(const ValueDecl *)> IsContainer;
  llvm::DenseMap<const Decl *, std::string> Usrs;
  llvm::DenseMap<const Expr *, const FunctionDecl *> Enclosing;
  llvm::DenseMap<const CXXRecordDecl *, bool> Owns;
};

} // namespace clang::tidy::tether

#endif
