// Internal: the node behind a tether::context.
#pragma once

#include <tether/context.h>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>

namespace tether::detail {

struct context_node;

// The timer queue type lives here because a node remembers its own queue position (so cancelling or
// destroying a node removes its timer entry at once instead of leaving it until the deadline).
using timer_queue = std::multimap<std::chrono::steady_clock::time_point, context_node*>;

struct context_node : std::enable_shared_from_this<context_node> {
  // Called on the thread that cancels the parent (std::stop_source::request_stop runs callbacks inline).
  struct propagate {
    context_node* self;
    void operator()() const noexcept;
  };
  struct external {
    context_node* self;
    void operator()() const noexcept;
  };

  context_node() = default;  // background-like: cannot be cancelled
  context_node(std::shared_ptr<context_node> p, std::optional<std::chrono::steady_clock::time_point> dl,
               bool own_timer);
  ~context_node();

  context_node(const context_node&) = delete;
  context_node& operator=(const context_node&) = delete;

  // Returns true if this call cancelled the node (first reason wins).
  bool cancel(errc why) noexcept;

  errc reason() const noexcept { return static_cast<errc>(err.load(std::memory_order_acquire)); }

  // Keeps the parent alive for as long as any descendant exists (so an ancestor's deadline still fires).
  const std::shared_ptr<context_node> parent;
  std::atomic<int> err{0};
  std::stop_source source{std::nostopstate};
  const std::optional<std::chrono::steady_clock::time_point> deadline;
  const bool own_timer = false;

  // Guarded by the timer's mutex.
  timer_queue::iterator timer_pos{};
  bool timer_armed = false;

  // Declared last so they are destroyed first: deregistering them (which waits for an in-flight callback
  // on another thread) happens while every other member is still alive.
  std::optional<std::stop_callback<propagate>> from_parent;
  std::optional<std::stop_callback<external>> from_token;
};

struct context_access {
  static const std::shared_ptr<context_node>& node(const context& c) noexcept { return c.node_; }
  static context make(std::shared_ptr<context_node> n) noexcept { return context(std::move(n)); }
  static cancel_fn make_cancel(const std::shared_ptr<context_node>& n) noexcept { return cancel_fn(n); }
};

// Builds a child of `parent`, optionally also linked to `extra` and bounded by `deadline`.
std::shared_ptr<context_node> make_child(const context& parent, const std::stop_token* extra,
                                         std::optional<std::chrono::steady_clock::time_point> deadline);

}  // namespace tether::detail
