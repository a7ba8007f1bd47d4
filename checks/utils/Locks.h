// The lock and blocking vocabulary shared by tether-manual-lock and tether-blocking-under-lock: which
// types are mutexes and scoped locks, which calls lock and unlock by hand, which calls block, and which
// waits release the lock they are given.
#ifndef TETHER_CHECKS_UTILS_LOCKS_H
#define TETHER_CHECKS_UTILS_LOCKS_H

#include "Options.h"
#include "clang/AST/ASTContext.h"
#include "clang/AST/ExprCXX.h"
#include "llvm/ADT/StringMap.h"

namespace clang::tidy::tether::locks {

/// The default MutexTypes: classes whose lock()/unlock() members are the manual locking API.
inline constexpr llvm::StringLiteral DefaultMutexTypes =
    "::std::mutex;::std::recursive_mutex;::std::timed_mutex;::std::recursive_timed_mutex;"
    "::std::shared_mutex;::std::shared_timed_mutex;::boost::mutex";
/// The default LockFunctions: C functions that lock or unlock a mutex by hand.
inline constexpr llvm::StringLiteral DefaultLockFunctions =
    "::pthread_mutex_lock;::pthread_mutex_trylock;::pthread_mutex_timedlock;::pthread_mutex_unlock";
/// The default LockTypes: RAII owners that hold a lock from their construction to the end of the
/// scope (unique_lock and shared_lock also until their own unlock()).
inline constexpr llvm::StringLiteral DefaultLockTypes =
    "::std::lock_guard;::std::scoped_lock;::std::unique_lock;::std::shared_lock";

/// The members of a mutex type that lock or unlock it (BasicLockable, Lockable, TimedLockable and
/// the shared forms).
inline constexpr llvm::StringLiteral LockMethods[] = {
    "lock", "try_lock", "try_lock_for", "try_lock_until",
    "lock_shared", "try_lock_shared", "try_lock_shared_for", "try_lock_shared_until"};
inline constexpr llvm::StringLiteral UnlockMethods[] = {"unlock", "unlock_shared"};
/// The members of LockMethods that take the lock unconditionally (the try_ forms may fail): after
/// one of them, written as a statement, the lock is held.
inline constexpr llvm::StringLiteral AcquireMethods[] = {"lock", "lock_shared"};
/// Scoped-lock members that release the lock they own (until a lock() on it).
inline constexpr llvm::StringLiteral ReleaseMethods[] = {"unlock", "release"};

/// Calls a busy-wait loop makes to be kinder to the CPU without waiting for anything: the loop still
/// spins (tether-plain-stop-flag).
inline constexpr llvm::StringLiteral SpinHints[] = {"::std::this_thread::yield", "::sched_yield",
                                                    "::pthread_yield", "::_mm_pause",
                                                    "::__builtin_ia32_pause"};

/// The calls that block the calling thread until something else happens: sleeps, joins and waits on
/// other work, blocking I/O and name resolution. tether-blocking-under-lock's BlockingFunctions
/// option adds to this list.
inline constexpr llvm::StringLiteral DefaultBlockingFunctions =
    // sleeps
    "::std::this_thread::sleep_for;::std::this_thread::sleep_until;::sleep;::usleep;::nanosleep;"
    "::tether::sleep_for;::tether::sleep_until;"
    // joins and waits on other work
    "::std::thread::join;::std::jthread::join;::std::future::get;::std::future::wait;"
    "::std::future::wait_for;::std::future::wait_until;::std::shared_future::get;"
    "::std::shared_future::wait;::std::shared_future::wait_for;::std::shared_future::wait_until;"
    "::tether::task_group::wait;::tether::task::join;"
    // blocking I/O and name resolution
    "::read;::write;::recv;::recvfrom;::recvmsg;::send;::sendto;::sendmsg;::accept;::accept4;"
    "::connect;::poll;::select;::epoll_wait;::getaddrinfo;::fread;::fwrite;::system";

/// Condition-variable waits: they release the lock they are given (their first argument) while they
/// wait, and block while holding any other.
inline constexpr llvm::StringLiteral ConditionWaits[] = {
    "::std::condition_variable::wait",         "::std::condition_variable::wait_for",
    "::std::condition_variable::wait_until",   "::std::condition_variable_any::wait",
    "::std::condition_variable_any::wait_for", "::std::condition_variable_any::wait_until",
    "::tether::wait"};

/// A list of functions and member functions matched at a call. A member function listed as
/// "ns::Class::method" also matches when the method is declared in a base the class inherits it from
/// (libstdc++ declares std::future::wait in std::__basic_future): the object's class is matched too,
/// and the classes it derives from.
///
/// Thread-compatible: matching is const.
class CallList {
public:
  CallList() = default;
  explicit CallList(NameList Names);
  bool empty() const { return Names.empty(); }
  const NameList &names() const { return Names; }
  /// Is \p Call a call of one of the listed functions?
  bool matches(const CallExpr &Call) const;

private:
  NameList Names;
  /// Method name -> the classes listed with it.
  llvm::StringMap<NameList> OwnersByMethod;
};

/// Is \p FD (a function or member function; may be null) named one of \p Names (unqualified)?
inline bool isNamed(const FunctionDecl *FD, llvm::ArrayRef<llvm::StringLiteral> Names) {
  return FD && FD->getDeclName().isIdentifier() && llvm::is_contained(Names, FD->getName());
}

/// Is \p RD one of \p Types, or derived (directly or not) from one?
bool isOrDerivesFrom(const CXXRecordDecl *RD, const NameList &Types);

/// The mutex a manual lock()/unlock() call acts on, for comparing two calls: the object expression of
/// a member call, or the first argument of a pthread call.
const Expr *lockedObject(const CallExpr &Call);

/// Does the scoped lock \p VD hold its mutex from its construction? Not when default-constructed or
/// given std::defer_lock / std::try_to_lock.
bool holdsFromConstruction(const VarDecl &VD);

/// Do \p A and \p B name the same object (structurally identical expressions)?
bool sameObject(const Expr *A, const Expr *B, const ASTContext &Ctx);

} // namespace clang::tidy::tether::locks

#endif
