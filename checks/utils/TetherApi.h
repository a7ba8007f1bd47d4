// The tether runtime's API as the checks see it, and the advice their diagnostics give, spelled once.
//
// Every check that names a runtime function, type or default, or tells the user what to use instead,
// takes it from here, so a renamed API or a reworded recommendation changes in one place. Names are
// fully qualified ("::tether::safe_go") as NameList and clang's hasAnyName expect them.
#ifndef TETHER_CHECKS_UTILS_TETHERAPI_H
#define TETHER_CHECKS_UTILS_TETHERAPI_H

#include "llvm/ADT/StringRef.h"

namespace clang::tidy::tether::api {

// Spawning through the runtime (runtime/include/tether/safe_go.h, task_group.h).
/// `task safe_go(const context& ctx, std::string_view component, policy p, F&& fn, source_location)`.
inline constexpr llvm::StringLiteral SafeGo = "::tether::safe_go";
inline constexpr unsigned SafeGoContextArg = 0;
inline constexpr unsigned SafeGoComponentArg = 1;
/// `task_group(const context& parent, std::string_view component = "task_group",
///             std::optional<std::size_t> limit = std::nullopt)`.
inline constexpr llvm::StringLiteral TaskGroup = "::tether::task_group";
inline constexpr unsigned GroupParentArg = 0;
inline constexpr unsigned GroupComponentArg = 1;
inline constexpr unsigned GroupLimitArg = 2;
/// The component a task_group constructed without one is registered under.
inline constexpr llvm::StringLiteral DefaultGroupComponent = "task_group";
/// `void spawn(F&& fn, source_location)`: blocks for a slot when the group has a limit.
inline constexpr llvm::StringLiteral GroupSpawn = "::tether::task_group::spawn";
/// `bool try_spawn(F&& fn, source_location)`: returns false when the group is full.
inline constexpr llvm::StringLiteral GroupTrySpawn = "::tether::task_group::try_spawn";
/// `void every(const context& ctx, duration interval, F fn)`: runs on the calling thread.
inline constexpr llvm::StringLiteral Every = "::tether::every";

// What bounds a fan-out by the machine rather than by the input.
inline constexpr llvm::StringLiteral PoolThreads = "::tether::pool_threads";
inline constexpr llvm::StringLiteral HardwareConcurrency[] = {
    "::std::thread::hardware_concurrency", "::std::jthread::hardware_concurrency", PoolThreads};

// Contexts and tokens (runtime/include/tether/context.h); Cancellation.h builds the vocabulary on them.
inline constexpr llvm::StringLiteral Context = "::tether::context";
inline constexpr llvm::StringLiteral Background = "::tether::background";
/// Functions deriving a child context, cancellable by its own cancel_fn, deadline or token.
inline constexpr llvm::StringLiteral Derivations[] = {"::tether::with_cancel", "::tether::with_deadline",
                                                      "::tether::with_timeout", "::tether::with_stop_token"};
inline constexpr llvm::StringLiteral StopToken = "::std::stop_token";

// Advice. The recommended way to start work, as every diagnostic names it.
inline constexpr llvm::StringLiteral ApprovedSpawn = "'tether::safe_go' or 'tether::task_group'";
/// tether-raw-thread's fix for a constructed thread.
inline constexpr llvm::StringLiteral RawThreadAdvice =
    "spawn through 'tether::safe_go' (owned, named, cancellable) or a 'tether::task_group' instead";
/// tether-spawn-in-loop's fix: bounding is a design decision, so no fix-it is offered.
inline constexpr llvm::StringLiteral BoundFanOutAdvice =
    "use a 'tether::task_group' with a limit, or a worker pool with a bounded queue";
/// tether-background-context's fix.
inline constexpr llvm::StringLiteral DeriveContextAdvice = "derive from the caller's context";
/// tether-component-name's fix.
inline constexpr llvm::StringLiteral ConstantNameAdvice =
    "name the task with a constant component (the part of the system it belongs to)";

} // namespace clang::tidy::tether::api

#endif
