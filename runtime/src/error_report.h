// Internal: reporting a task's exception through the error hook (safe_go.cpp).
#pragma once

#include <tether/error_hook.h>

#include <exception>
#include <string>

namespace tether::detail {

// Calls the installed error hook (or the default one, which prints to stderr) with `e`; exceptions escaping
// the hook are swallowed. Does not count the failure in failed_task_count().
void call_error_hook(const task_error& e) noexcept;

// what() of the exception, or a placeholder for one not derived from std::exception. Throws only bad_alloc.
std::string exception_message(const std::exception_ptr& ep);

}  // namespace tether::detail
