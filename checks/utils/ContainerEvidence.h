// Evidence that a growing container is NOT a leak: the four precision rules of
// tether-unbounded-container (docs/checks/tether-unbounded-container.md, "Precision rules").
//
//   rule                   | question                                         | here
//   1 bounded key domain   | can only finitely many keys ever be added?       | growthHasConstantKey, hasBoundedKeyType
//   2 registry             | are the entries callables (handlers, callbacks)? | hasCallableElements, isCallableType
//   3 start-up filling     | does the growth run only while the program/      | isStartupFunction, isEventLoop,
//                          | object is being set up?                          | FunctionIndex
//   4 short-lived owner    | is the owning object itself short-lived?         | classify*Instance, InstanceIndex
//
// Each rule is a classifier over AST nodes that returns a plain value, so that both the per-TU check
// (UnboundedContainerCheck) and the whole-program judge (`tether check`, which stores the answers in a
// TU's facts and combines them over the program) ask the same questions. None of them builds clang's
// parent map; FunctionIndex traverses the translation unit once, when built (build it only when a
// verdict needs it).
//
// Thread-compatible: the free functions are pure; the index classes are per check and per translation
// unit.
#ifndef TETHER_CHECKS_UTILS_CONTAINEREVIDENCE_H
#define TETHER_CHECKS_UTILS_CONTAINEREVIDENCE_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/DeclCXX.h"
#include "clang/AST/ExprCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

namespace clang::tidy::tether::containers {

// ---- Container types --------------------------------------------------------------------------

/// The class template \p T (through aliases and typedefs) is a specialization of, or null: works on
/// instantiated specializations (`std::map<int, int>`) and on dependent ones in a template pattern
/// (`std::map<K, V>`).
const TemplateDecl *containerTemplate(QualType T);

/// The template arguments \p T is specialized with (see containerTemplate); empty if none.
llvm::ArrayRef<TemplateArgument> containerArguments(QualType T);

/// Is \p T map-like, i.e. does its class template declare a `mapped_type` (std::map, unordered_map,
/// absl::flat_hash_map, ...)? Sets and queues are not.
bool isMapLike(QualType T);

/// Does \p T keep one entry per key? False for the multi-containers (a template whose name contains
/// "multi": std::multimap, std::unordered_multiset, ...), where every insertion adds an entry even
/// with a key already present.
bool hasUniqueKeys(QualType T);

/// The type of the entries a container holds: the mapped type of a map-like container, the element
/// type of anything else (set, deque, list, queue). Null if it cannot be read (not a template
/// specialization, or a dependent argument pack).
QualType entryType(QualType Container);

/// The member \p Access names: a MemberExpr, or in a template an UnresolvedMemberExpr or a
/// CXXDependentScopeMemberExpr (`m_.insert` with a dependent `m_`); empty for anything else.
DeclarationName memberName(const Expr *Access);

// ---- Rule 1: bounded key domain ------------------------------------------------------------------

/// Is \p Key a compile-time constant: a literal (also a string literal turned into std::string /
/// string_view, a ""s / ""sv literal, a literal spelled through a macro or `#x`), an enumerator, a
/// constexpr variable or a const variable initialized with a constant, a non-type template
/// parameter, `sizeof`/`alignof`, a conditional between constants, or any other constant
/// expression? In a template pattern, value-dependent expressions other than a non-type template
/// parameter are not constants.
bool isConstantKey(const Expr *Key, ASTContext &Ctx);

/// The keys a growth call adds, each as written: `m[k]` → k; `s.insert(v)`, `s.insert(hint, v)` → v,
/// or for a map-like container (\p MapLike) v's first element (`{k, v}`, `std::make_pair(k, v)`,
/// `std::pair<...>(k, v)`, `value_type(k, v)`); `insert({e1, e2, ...})` → each entry's key;
/// `emplace(k, ...)`, `emplace_hint(h, k, ...)`, `try_emplace([h,] k, ...)`,
/// `insert_or_assign([h,] k, v)` → k. \p Growth is the call (CXXOperatorCallExpr for `[]`,
/// CXXMemberCallExpr, or a CallExpr on an unresolved/dependent member in a template). Returns false
/// when the keys cannot be read (an iterator range, merge, a pair built elsewhere, an unknown
/// member): such a site is never bounded.
bool growthKeys(const Expr *Growth, bool MapLike, llvm::SmallVectorImpl<const Expr *> &Keys);

/// Per-site form of rule 1: does the growth call \p Growth on container type \p Container add only
/// compile-time constant keys (growthKeys, each isConstantKey)? Always false for a container without
/// unique keys (hasUniqueKeys): a multimap grows with every insertion, constant key or not.
bool growthHasConstantKey(const Expr *Growth, QualType Container, ASTContext &Ctx);

/// Per-type form of rule 1: is the container's key type an enumeration or `bool` (cv-qualifiers
/// ignored), and does the container keep one entry per key? A dependent key type is not bounded.
/// (Trusts enumerations: an enum used as an open integer through casts is bounded only by its
/// underlying type.)
bool hasBoundedKeyType(QualType Container);

// ---- Rule 2: registries ---------------------------------------------------------------------------

/// Is a value of type \p T something to call: `std::function`, `std::move_only_function`,
/// `std::copyable_function`, `std::function_ref`, `boost::function`, a pointer to function, a pointer to
/// member function, a class with an `operator()` (a lambda's closure type, a functor; inherited ones
/// count; an undefined specialization is judged by its template's pattern) unless the class also
/// declares `==`, `!=`, `<` or `<=>` (a value whose operator() is an accessor, e.g. a hash tag)? Also a pointer,
/// `std::unique_ptr` or `std::shared_ptr` to such a callable, and a `std::vector`, `std::list`,
/// `std::deque` or `std::forward_list` of them (a list of callbacks per event).
bool isCallableType(QualType T);

/// Rule 2: are a container's entries callables (isCallableType of entryType)? The map from name or
/// message type to handler, the command table, the list of callbacks.
bool hasCallableElements(QualType Container);

// ---- Rule 3: start-up filling -----------------------------------------------------------------------

/// Does \p F run at start-up by itself: the global `main`, or a constructor? (A constructor is
/// start-up code for the object it builds; callers decide whose start-up that is: the per-TU check
/// counts a constructor for a non-static member of its own class, and for other containers only when
/// the class is instantiated only as static objects, e.g. a registrar.)
bool isStartupFunction(const FunctionDecl *F);

/// Is \p Loop a loop that may run for as long as the program does: a `while` / `do` / `for` whose trip
/// count is not constant (SpawnSites' tripCount) and that is not a counted `for` (a condition comparing
/// the variable the init declares or the increment steps). A range-for (finite iteration over a
/// collection) and a counted loop are not. A growth inside an event loop is per-event growth even in
/// `main`.
bool isEventLoop(const Stmt *Loop, ASTContext &Ctx);

/// The functions of one translation unit and how each is used, from one traversal of the TU (template
/// patterns, not instantiations; system headers skipped). The "enclosing function" of code in a lambda
/// is the lambda's call operator, whose only use is the lambda expression itself: a lambda body is
/// never start-up code, nor is code reached only from one.
class FunctionIndex {
public:
  /// Traverses \p Ctx's translation unit. \p Watched: statements whose place (placeOf) is wanted.
  FunctionIndex(ASTContext &Ctx, llvm::ArrayRef<const Stmt *> Watched);

  /// One reference to a function.
  struct Use {
    const FunctionDecl *From = nullptr; ///< the enclosing function (lambda call operator included); null at namespace scope
    const Expr *Ref = nullptr;          ///< the DeclRefExpr / MemberExpr / CXXConstructExpr
    bool DirectCall = false;            ///< the callee of a call (or a constructor call); false: address taken, passed on
    bool InEventLoop = false;           ///< inside an isEventLoop loop of From
    bool StaticInit = false;            ///< From is null: in the initializer of a static-storage variable
  };
  /// The references to \p F (canonical declaration) in this TU, in traversal order.
  llvm::ArrayRef<Use> usesOf(const FunctionDecl *F) const;

  /// Where a watched statement is: its innermost enclosing function (null if none or not watched)
  /// and whether an event loop of that function repeats it.
  struct Place {
    const FunctionDecl *Function = nullptr;
    bool InEventLoop = false;
  };
  Place placeOf(const Stmt *S) const;

  /// Every function referenced in this TU (canonical declaration) with its uses, in no particular
  /// order: the TU's call graph, for the whole-program facts (facts/FactsCollector.h).
  const llvm::DenseMap<const FunctionDecl *, llvm::SmallVector<Use, 2>> &allUses() const { return Uses; }

  /// Can every caller of \p F be seen in this TU? True for functions with internal linkage, private
  /// members and protected members of final classes whose class \p FullyVisible accepts, lambdas'
  /// call operators; false for virtual functions and anything else with external linkage.
  static bool callersAreLocal(const FunctionDecl *F,
                              llvm::function_ref<bool(const CXXRecordDecl *)> FullyVisible);

private:
  friend class FunctionIndexBuilder;
  llvm::DenseMap<const FunctionDecl *, llvm::SmallVector<Use, 2>> Uses;
  llvm::DenseSet<const Stmt *> WatchedSet;
  llvm::DenseMap<const Stmt *, Place> Places;
};

/// Rule 3 for one site in this TU: does the code at \p Site run only at start-up? True when its
/// enclosing function (Index.placeOf) is not repeated by an event loop there and is a root accepted
/// by \p IsRoot (isStartupFunction refined by the caller), or a function whose callers are all local
/// (FunctionIndex::callersAreLocal), that is only called directly (never referenced otherwise: no
/// address taken, not passed as a callback, not spawned), and each of whose calls is itself start-up
/// code by the same rule (outside event loops; recursion is not start-up code).
bool runsOnlyAtStartup(const Stmt *Site, const FunctionIndex &Index,
                       llvm::function_ref<bool(const FunctionDecl *)> IsRoot,
                       llvm::function_ref<bool(const CXXRecordDecl *)> FullyVisible);

// ---- Rule 4: short-lived owners ---------------------------------------------------------------------

/// How long an instance made at one site lives.
enum class InstanceStorage : uint8_t {
  Automatic, ///< a local variable or by-value parameter
  Temporary, ///< a temporary (lifetime-extended to a local reference included)
  Member,    ///< a data member or base class subobject of another class (see InstanceSite::Of)
  Static,    ///< a namespace-scope, static or thread_local variable (or a temporary bound to one)
  Heap,      ///< a new-expression, make_shared/make_unique, an element of a container
};
llvm::StringRef toString(InstanceStorage S);

/// One place that makes an instance of a class.
struct InstanceSite {
  InstanceStorage Storage = InstanceStorage::Heap;
  const CXXRecordDecl *Of = nullptr; ///< Member: the enclosing class (definition)
};

/// A variable of the class type (or an array of it): Automatic or Static by its storage duration. An
/// automatic variable of `main` lives as long as the program: Static. An init-capture: Heap (the
/// closure may be stored anywhere).
InstanceSite classifyVarInstance(const VarDecl *VD);
/// A data member of the class type (or an array of it), or a base specifier: Member of its class.
InstanceSite classifyFieldInstance(const FieldDecl *FD);
/// A temporary: Temporary, or Automatic/Static by the variable a reference extends it to.
InstanceSite classifyTemporaryInstance(const MaterializeTemporaryExpr *MTE);
/// A new-expression (also inside make_shared / make_unique / an allocator): Heap.
InstanceSite classifyNewInstance(const CXXNewExpr *NE);

/// The class \p T makes an instance of where a declaration of type \p T appears: T itself or the
/// element of an array of it, without cv-qualifiers; null for anything else (pointers and references
/// make no instance).
const CXXRecordDecl *instantiatedClass(QualType T);

/// Every place this TU makes an instance of a class that \p Interesting accepts, recorded by matchers
/// (variables, data members, base classes, temporaries, new-expressions, also in instantiations and
/// system headers: std::make_shared's new), and a class's type used as a template argument of a
/// variable's or member's type (`std::vector<Session>`, `std::optional<Response>`: judged Heap).
/// One instance per check, cleared per TU.
class InstanceIndex {
public:
  /// Adds the recording matchers, reported to \p Callback (which passes them to record()).
  static void registerMatchers(ast_matchers::MatchFinder *Finder,
                               ast_matchers::MatchFinder::MatchCallback *Callback);
  /// Records a match of one of those matchers for a class \p Interesting accepts; false if \p Result
  /// is not one of those matchers.
  bool record(const ast_matchers::MatchFinder::MatchResult &Result,
              llvm::function_ref<bool(const CXXRecordDecl *)> Interesting);
  /// The instantiation sites of \p RD (definition) seen so far.
  llvm::ArrayRef<InstanceSite> sitesOf(const CXXRecordDecl *RD) const;
  /// Rule 4 in this TU: is \p RD only instantiated as automatic variables, temporaries, or members
  /// (and bases) of classes that are themselves short-lived, with at least one site? A class with no
  /// site here is not (it is made elsewhere); cycles are not. For a class template's pattern: every
  /// specialization this TU defines is, and there is one.
  bool isShortLived(const CXXRecordDecl *RD) const;
  /// Is every site of \p RD Static (a registrar object), with at least one? Patterns as isShortLived.
  bool isOnlyStatic(const CXXRecordDecl *RD) const;
  void clear() { Sites.clear(); }

private:
  bool shortLived(const CXXRecordDecl *RD, llvm::DenseSet<const CXXRecordDecl *> &Visiting) const;
  void add(const CXXRecordDecl *RD, InstanceSite S);
  llvm::DenseMap<const CXXRecordDecl *, llvm::SmallVector<InstanceSite, 2>> Sites;
};

} // namespace clang::tidy::tether::containers

#endif
