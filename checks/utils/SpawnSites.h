// The spawn-site model: the places that start concurrent work, and what each one knows.
//
//   kind                         | in a loop?  | bound                    | context      | component
//   raw thread (std::thread ...) | LoopIndex   | none                     | none         | none
//   std::async, pthread_create   | LoopIndex   | none                     | none         | none
//   tether::safe_go              | LoopIndex   | none (one thread each)   | argument 0   | argument 1
//   task_group::spawn            | LoopIndex   | the group's limit        | the group's  | the group's
//   task_group::try_spawn        | LoopIndex   | sheds load when full     | the group's  | the group's
//
// The raw kinds are recognised by tether-raw-thread's ThreadTypes/SpawnFunctions; the runtime's by
// classifyTetherSpawn. Whether a site is repeated by a loop, and how often, comes from LoopIndex and
// tripCount, without clang's parent map.
#ifndef TETHER_CHECKS_UTILS_SPAWNSITES_H
#define TETHER_CHECKS_UTILS_SPAWNSITES_H

#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "clang/ASTMatchers/ASTMatchFinder.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>
#include <optional>
#include <vector>

namespace clang::tidy::tether {

enum class SpawnKind { RawThread, StdAsync, SpawnFunction, SafeGo, GroupSpawn, GroupTrySpawn };

/// Whether a task_group holds a bounded number of tasks.
enum class GroupLimit {
  Unknown, ///< its construction is not visible here (a parameter, a pointer, another file)
  None,    ///< constructed without a limit (or with std::nullopt)
  Bounded, ///< constructed with a limit (any value other than an empty optional)
};

/// One construction of a tether::task_group.
struct GroupConstruction {
  const CXXConstructExpr *Construct = nullptr;
  const Expr *Parent = nullptr;    ///< the parent context argument
  const Expr *Component = nullptr; ///< null when defaulted ("task_group")
  GroupLimit Limit = GroupLimit::None;
};

/// Reads \p E as a task_group constructor call; nullopt if it is not one.
std::optional<GroupConstruction> readGroupConstruction(const CXXConstructExpr *E);

/// A call into the runtime's spawn API, with what the call site knows.
struct TetherSpawn {
  SpawnKind Kind = SpawnKind::SafeGo; ///< SafeGo, GroupSpawn or GroupTrySpawn
  const CallExpr *Call = nullptr;
  const Expr *Context = nullptr;   ///< safe_go: the context argument
  const Expr *Component = nullptr; ///< safe_go: the component argument
  const Expr *Group = nullptr;     ///< spawn/try_spawn: the group object
  /// spawn/try_spawn: the group's limit, from the constructions of the group that are visible (a local
  /// variable's initializer; a member's default initializer and the constructors defined here).
  GroupLimit Limit = GroupLimit::Unknown;
  /// spawn/try_spawn with Limit == None: a construction without a limit, for a note.
  const CXXConstructExpr *UnlimitedConstruction = nullptr;
};

/// Classifies a call to tether::safe_go, task_group::spawn or task_group::try_spawn; nullopt for
/// anything else.
std::optional<TetherSpawn> classifyTetherSpawn(const CallExpr *Call);

/// Templates: classifies a call that clang left unresolved because its arguments depend on template
/// arguments: `tether::safe_go(ctx, "name", [this] { ... })` (an overload set holding safe_go) or
/// `group_.spawn(...)` / `group_.try_spawn(...)` on a task_group whose type does not depend on them.
/// The call is the same whatever the arguments are. nullopt for anything else.
std::optional<TetherSpawn> classifyUnresolvedTetherSpawn(const CallExpr *Call);

/// The functions a spawn's callable argument \p Arg runs on the new thread, added to \p Out (as
/// canonical declarations): a lambda's call operator, a function or member function named in it
/// (`&Server::loop`, `worker`, also inside `std::bind(&Server::loop, this)`), the call operator of a
/// function object (`worker(*this)`). Lambda bodies are not searched.
void spawnedCallables(const Expr *Arg, llvm::SmallVectorImpl<const FunctionDecl *> &Out);

/// How many times a loop runs its body.
struct TripCount {
  enum Kind {
    Constant, ///< N times, N known at compile time
    Machine,  ///< bounded by the machine: hardware_concurrency() / tether::pool_threads()
    Unbounded ///< anything else: the input decides
  } K = Unbounded;
  uint64_t N = 0;
};
/// Reads the trip count of \p Loop: counted for-loops over constant bounds (`for (int i = 0; i < 8;
/// ++i)`, any constant start, step and comparison), bounds derived from hardware_concurrency() or
/// tether::pool_threads() (also through a local variable, std::min/std::max or arithmetic with a
/// constant), range-for over a constant-size array, std::array or braced list, and loops whose
/// condition is constantly false (`do { } while (0)`, and googletest's
/// `do { } while (::testing::internal::AlwaysFalse())`).
TripCount tripCount(const Stmt *Loop, ASTContext &Ctx);

/// The loops of non-system code, recorded in the match finder's pre-order so that, when a site inside
/// one is matched, its loops are known without clang's parent map. One instance per check, cleared per
/// translation unit.
class LoopIndex {
public:
  /// Adds the recording matchers (one per loop kind), reported to \p Callback.
  static void registerMatchers(ast_matchers::MatchFinder *Finder,
                               ast_matchers::MatchFinder::MatchCallback *Callback);
  /// Records a match of one of those matchers; false if \p Result is not one of them.
  bool record(const ast_matchers::MatchFinder::MatchResult &Result);
  void clear() { Loops.clear(); }

  struct Repeating {
    const Stmt *Loop;
    /// The site is followed, in the loop's body, by an unconditional exit from this loop (`break`,
    /// `return`, `throw`, `co_return`): it runs at most once per entry into the loop.
    bool ExitsAfter;
  };
  /// The loops that repeat \p Site, outermost first: loops of the same function whose body, condition
  /// or increment holds it (not through a lambda, block or local class, and not in an unevaluated
  /// operand). Candidates come from source ranges; the AST confirms each.
  llvm::SmallVector<Repeating, 2> loopsRepeating(const Stmt *Site, const SourceManager &SM) const;

private:
  struct Recorded {
    const Stmt *Loop;
    FileID File;
    unsigned Begin, End;
  };
  std::vector<Recorded> Loops;
};

/// How many times the loops around a site run it.
struct FanOut {
  /// The outermost loop repeating the site whose trip count is unbounded, if any.
  const Stmt *UnboundedLoop = nullptr;
  /// The product of the constant trip counts of the loops repeating it (saturating), and the
  /// outermost of those loops (null if none). Machine-bounded loops count as 1.
  uint64_t ConstantProduct = 1;
  const Stmt *OutermostCounted = nullptr;
};
/// Reads the loops that repeat \p Site (LoopIndex::loopsRepeating, loops the site leaves right after
/// running excluded) and their trip counts.
FanOut fanOut(const LoopIndex &Loops, const Stmt *Site, ASTContext &Ctx);

/// The parts of \p Loop that run once per iteration: the condition (and its variable), the increment,
/// the body; a range-for's loop variable and body. Shared by LoopIndex and tether-unguarded-loop's
/// walk.
llvm::SmallVector<const Stmt *, 4> loopRepeatedParts(const Stmt *Loop);

/// The keyword a diagnostic about \p Loop points at (`for`, `while`, `do`).
SourceLocation loopKeyword(const Stmt *Loop);

} // namespace clang::tidy::tether

#endif
