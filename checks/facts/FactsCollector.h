// Extraction of whole-program facts (Facts.h) from one translation unit's AST, for
// tether-unbounded-container. Only used while a facts sink is installed, so single-TU routes pay
// nothing for it.
//
// One traversal of the TU's code outside system headers (template patterns, not instantiations,
// as the check itself: utils/ContainerEvidence.h's FunctionIndex) records: the function enclosing
// each reference of interest (a lambda's body is its own function, marked as a callback), call
// edges with "inside an event loop" flags, and functions whose address escapes. The precision rules' evidence (constant keys, key types,
// callable entries, instances) comes from the shared classifiers (utils/ContainerEvidence.h),
// applied by the check.
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
  FactsCollector(ASTContext &Ctx, ::tether::facts::TUFacts &Out) : Ctx(Ctx), Out(Out) {}

  /// The USR of `D` ("" if it has none).
  std::string usr(const Decl *D);
  /// Walks the TU once (see the file comment). `Refs` are the references whose enclosing function
  /// is wanted.
  void walk(const llvm::DenseSet<const Expr *> &Refs);
  /// The function (or lambda call operator) enclosing `Ref`, null at namespace scope.
  const FunctionDecl *enclosing(const Expr *Ref) const { return Enclosing.lookup(Ref); }
  /// A function's id in the facts: the xxh3 hash of its USR, 16 hex digits (USRs of functions are
  /// long and the call graph names each many times).
  std::string functionId(const Decl *FD);
  /// Adds `FD` to the functions of the facts (name, class, constructor, main); returns its USR.
  std::string addFunction(const FunctionDecl *FD);
  /// Must `FD` (a member or friend function) have a body for its class to be fully seen? Not when
  /// deleted, defaulted, pure virtual, or a private copy constructor / copy assignment (the C++03
  /// noncopyable idiom).
  static bool needsBody(const FunctionDecl *FD);
  /// Records the member functions and friends of a class owning a container.
  void addOwnerClass(const CXXRecordDecl *RD);
  /// Rule 3's roots: which constructors count as start-up code (the check's isStartupRootFor:
  /// a constructor of a class this TU makes only as static objects, a registrar).
  std::function<bool(const FunctionDecl *)> IsStartupRoot;

private:

  ASTContext &Ctx;
  ::tether::facts::TUFacts &Out;
  llvm::DenseMap<const Decl *, std::string> Usrs;
  llvm::DenseMap<const Expr *, const FunctionDecl *> Enclosing;
};

} // namespace clang::tidy::tether

#endif
