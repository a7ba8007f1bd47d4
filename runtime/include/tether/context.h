// tether/context.h - Go-style cancellation trees.
//
// A context is a cheap, copyable handle (a shared_ptr) to a node in a tree. Cancelling a node cancels
// its whole subtree; cancelling a child never affects its parent. A node may carry a deadline: when it
// passes, the runtime's timer cancels the node (and so its subtree) with errc::deadline_exceeded. The
// timer thread hands each expired context to a helper thread, so the stop callbacks of one context never
// delay another context's deadline (unless 16 callbacks block at once; see docs/runtime.md). A child is
// linked to its parent through a std::stop_callback registered on the parent's stop_token, so when the last
// handle to a child goes away the link is removed: a long-lived parent never accumulates dead children.
//
// Thread safety: every operation may be called from any thread. Cancellation is synchronous: when a cancel
// (cancel_fn, task cancel, a linked stop_token) returns, the whole subtree is cancelled and its stop
// callbacks have run, even where another thread was cancelling part of it (the call waits for that thread),
// except for a cancel made from inside a stop callback, which never waits for another thread. Stop callbacks
// run on the cancelling thread (for deadlines, a runtime helper thread). Cancelling and destroying use no
// stack per level: chains of a million nested contexts are fine. After fork(), see docs/runtime.md.
#pragma once

#include <chrono>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <system_error>
#include <type_traits>

namespace tether {

/// Why a context is done. `context::err()` returns a std::error_code of this enum (category "tether.context").
enum class errc {
  none = 0,               ///< not cancelled (err() returns an empty error_code)
  cancelled = 1,          ///< cancel_fn called, or an ancestor / linked stop_token was cancelled
  deadline_exceeded = 2,  ///< this context's (or an ancestor's) deadline passed
};

const std::error_category& context_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

}  // namespace tether

template <>
struct std::is_error_code_enum<tether::errc> : std::true_type {};

namespace tether {

namespace detail {
struct context_node;
struct context_access;
}  // namespace detail

/// Why a context was cancelled (Go's context.Cause): the std::error_code or std::exception_ptr given to
/// cancel_fn, or, when none was given, errc::cancelled / errc::deadline_exceeded. Returned by
/// context::cause(); empty while the context is live. A cheap value (an error_code and an exception_ptr).
///
///   auto [ctx, cancel] = tether::with_cancel(parent);
///   cancel(std::make_error_code(std::errc::connection_reset));
///   ctx.err();           // errc::cancelled: err() says *that* it was cancelled,
///   ctx.cause().code();  // std::errc::connection_reset: cause() says *why*.
class cancel_cause {
 public:
  /// Empty: no cause (a live context).
  cancel_cause() noexcept = default;
  /// An error_code cause. An empty code (value 0) makes an empty cause.
  cancel_cause(std::error_code code) noexcept : code_(code ? code : std::error_code()) {}
  /// An exception cause (a null pointer makes an empty cause). If it holds a std::system_error, code() is
  /// that error's code.
  cancel_cause(std::exception_ptr exception) noexcept;

  /// True unless empty.
  explicit operator bool() const noexcept { return code_ || exception_ != nullptr; }

  /// The error_code cause; for an exception cause, the code of a std::system_error, else an empty code
  /// (look at exception()).
  std::error_code code() const noexcept { return code_; }
  /// The exception given as the cause, or null.
  const std::exception_ptr& exception() const noexcept { return exception_; }
  /// what() of an exception cause (a placeholder for one not derived from std::exception), else
  /// code().message(); "" when empty.
  std::string message() const;
  /// Rethrows the exception cause, or throws std::system_error(code()). Throws std::logic_error when empty.
  [[noreturn]] void rethrow() const;

  /// Compares the code (`ctx.cause() == tether::errc::deadline_exceeded`).
  friend bool operator==(const cancel_cause& c, std::error_code code) noexcept { return c.code_ == code; }
  friend bool operator==(const cancel_cause& c, errc e) noexcept { return c.code_ == make_error_code(e); }

 private:
  std::error_code code_;
  std::exception_ptr exception_;
};

class context {
 public:
  using clock = std::chrono::steady_clock;

  /// The background context: never cancelled, no deadline. Same as tether::background().
  context() noexcept;

  /// True once this context has been cancelled or its deadline has passed.
  bool cancelled() const noexcept;

  /// Empty (== errc::none) while live; errc::cancelled or errc::deadline_exceeded once done.
  /// A child cancelled because its parent was takes the parent's reason.
  std::error_code err() const noexcept;

  /// Why this context was cancelled, like Go's context.Cause: empty while live; otherwise the cause given
  /// to the cancel_fn of the first cancellation on the path from this context to the root that reached it
  /// (this context's own, or, when it was cancelled because its parent was, the parent's cause, and so
  /// on up). errc::cancelled when that cancellation carried no cause (or came from a linked stop_token),
  /// errc::deadline_exceeded when a deadline fired. err() is unchanged by a cause: still errc::cancelled.
  ///
  /// Thread safety: the first cancellation wins, also under concurrent cancels with different causes; once
  /// cancelled() is true on some thread, cause() there already returns the winning cause (the cause is
  /// written before the reason is published, with release/acquire ordering).
  cancel_cause cause() const noexcept;

  /// A token that becomes stop_requested() when this context is cancelled or expires.
  /// For background() the token has stop_possible() == false. The token observes the context only while
  /// some context handle to it is alive (a child whose handles are all gone is unlinked from its parent).
  std::stop_token stop_token() const noexcept;

  /// The earliest deadline of this context and its ancestors, if any.
  std::optional<clock::time_point> deadline() const noexcept;

  /// A context cancelled (errc::cancelled) when `token` is stop_requested. Same as
  /// with_stop_token(background(), token).
  static context from_stop_token(std::stop_token token);

  /// Handles to the same node compare equal.
  friend bool operator==(const context&, const context&) noexcept = default;

 private:
  explicit context(std::shared_ptr<detail::context_node> node) noexcept;
  std::shared_ptr<detail::context_node> node_;
  friend struct detail::context_access;
};

/// Cancels the context it came from. Holds only a weak reference: calling it after every handle to the
/// context is gone is a harmless no-op. Calling it twice is fine; the first reason (and cause) wins. Returns
/// once the whole subtree is cancelled (see the thread-safety note at the top).
///
/// A cause may be given (Go's WithCancelCause): `cancel(std::make_error_code(std::errc::timed_out))` or
/// `cancel(std::current_exception())`. The context and its descendants then report it through
/// context::cause(); err() is still errc::cancelled. An empty cause (a null exception_ptr, an error_code of
/// value 0) is the same as none.
class cancel_fn {
 public:
  cancel_fn() noexcept = default;
  void operator()() const noexcept;
  void operator()(std::error_code cause) const noexcept;
  void operator()(std::exception_ptr cause) const noexcept;
  void operator()(const cancel_cause& cause) const noexcept;

 private:
  explicit cancel_fn(std::weak_ptr<detail::context_node> node) noexcept;
  std::weak_ptr<detail::context_node> node_;
  friend struct detail::context_access;
};

/// Result of with_cancel / with_timeout / with_deadline: `auto [ctx, cancel] = tether::with_cancel(parent);`
struct cancelable {
  context ctx;
  cancel_fn cancel;
};

/// The root context: never cancelled, no deadline.
context background() noexcept;

/// A child of `parent` that is cancelled by `cancel()` or when `parent` is.
cancelable with_cancel(const context& parent);

/// A child of `parent` that is also cancelled (errc::deadline_exceeded) at `deadline`. A deadline later
/// than the parent's has no effect (the parent's comes first). A deadline already past yields an
/// already-expired context.
cancelable with_deadline(const context& parent, std::chrono::steady_clock::time_point deadline);

/// with_deadline(parent, now + timeout), saturating instead of overflowing: a timeout <= 0 (down to
/// duration::min()) yields an already-expired context, one beyond the clock's range (or beyond ~30 years, for
/// other duration types) means "no deadline". Throws std::invalid_argument for a NaN (floating-point) timeout.
cancelable with_timeout(const context& parent, std::chrono::steady_clock::duration timeout);

template <class Rep, class Period>
cancelable with_timeout(const context& parent, std::chrono::duration<Rep, Period> timeout) {
  // Saturate instead of overflowing the steady_clock representation (as sleep_for does).
  const double seconds = std::chrono::duration<double>(timeout).count();
  if (seconds != seconds) throw std::invalid_argument("tether::with_timeout: timeout is NaN");
  if (seconds > 1e9) return with_cancel(parent);
  if (seconds < -1e9) return with_timeout(parent, std::chrono::steady_clock::duration::min());
  return with_timeout(parent, std::chrono::ceil<std::chrono::steady_clock::duration>(timeout));
}

/// A child of `parent` that is also cancelled (errc::cancelled) when `token` is stop_requested.
context with_stop_token(const context& parent, std::stop_token token);

}  // namespace tether
