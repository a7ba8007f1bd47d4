// tether/error_hook.h - what happens when a task throws.
#pragma once

#include <cstdint>
#include <exception>
#include <functional>
#include <source_location>
#include <string>

namespace tether {

/// What safe_go does when the task body throws. Either way the error is reported through the error hook.
enum class policy {
  keep_running,   ///< report, count (failed_task_count()), end the task normally; the process keeps running
  crash_process,  ///< report, then std::terminate()
};

const char* to_string(policy p) noexcept;

/// Passed to the error hook, on the failing task's thread.
struct task_error {
  std::string component;
  std::uint64_t task_id = 0;
  std::source_location where;    ///< spawn site
  std::string message;           ///< what(), or a placeholder for non-std exceptions
  tether::policy policy = policy::keep_running;
  std::exception_ptr exception;  ///< the exception itself
};

using error_hook = std::function<void(const task_error&)>;

/// Replaces the hook called for every safe_go task that throws; returns the previous one. An empty function
/// restores the default, which prints one line to stderr:
///   tether: task #7 'component' spawned at file.cpp:12 in f() threw: boom [policy keep_running: task ended]
/// The hook runs on the failing thread; exceptions escaping it are swallowed. task_group tasks do not go
/// through the hook: their exceptions are returned by task_group::wait() / errors().
error_hook set_error_hook(error_hook hook);

/// One-line description of an error, as printed by the default hook (without the "tether: " prefix).
std::string describe(const task_error& e);

/// Number of safe_go tasks that ended with an exception under policy::keep_running since process start.
std::uint64_t failed_task_count() noexcept;

}  // namespace tether
