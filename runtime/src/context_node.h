// Internal: the node behind a tether::context.
#pragma once

#include <tether/context.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>

namespace tether::detail {

struct context_node;

// The timer queue type lives here because a node remembers its own queue position (so cancelling or
// destroying a node removes its timer entry at once instead of leaving it until the deadline).
using timer_queue = std::multimap<std::chrono::steady_clock::time_point, context_node*>;

// Cancellation of a node happens in two steps. Claiming sets the reason (one compare-and-swap: the first
// reason wins, and cancelled() is true from then on). Finishing runs the node's stop callbacks - among
// them its children's links, which claim the children - then finishes the claimed children the same way,
// and only then marks the node finished. A thread that claims a node finishes it and every descendant it
// claims in one loop (no recursion per level: a chain a million levels deep costs no stack). A cancel() that
// finds a node already claimed by another thread waits until that node is finished, so when cancel()
// returns the whole subtree is cancelled.
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

  // Claims and finishes the node; if another thread claimed it first, waits until it is finished (unless
  // called from inside a stop callback, where waiting could wait for the calling thread itself). A non-empty
  // `cause` is recorded if this call wins the claim.
  void cancel(errc why, const cancel_cause* cause = nullptr) noexcept;
  // For the timer: claims and finishes, but returns at once if the node was already claimed.
  void cancel_if_live(errc why) noexcept;

  errc reason() const noexcept { return static_cast<errc>(state.load(std::memory_order_acquire) & kReasonMask); }

  // What context::cause() reports for this node: the first cancellation on the path to the root that reached
  // it (context.cpp).
  cancel_cause cause() const noexcept;

  // Bits 0-1: errc (0 = live). Bit 2: finished. Bit 3: `own_cause` holds the cause. Bit 4: claimed because
  // the parent was cancelled (the cause is the parent's). Bits 5-31: the fork generation of the claim
  // (fork.h), so a forked child never waits for a claim made by a thread of its parent.
  // A claim with a cause takes two steps: a compare-and-swap from 0 to kHasCause|generation (reason still
  // none: the node counts as claimed for every other canceller but not yet as cancelled), then, after
  // `own_cause` is written, a release fetch_or of the reason. So whoever sees the reason sees the cause.
  static constexpr std::uint32_t kReasonMask = 3;
  static constexpr std::uint32_t kFinished = 4;
  static constexpr std::uint32_t kHasCause = 8;
  static constexpr std::uint32_t kInherited = 16;
  static constexpr unsigned kGenShift = 5;

  // Keeps the parent alive for as long as any descendant exists (so an ancestor's deadline still fires).
  // Released without recursion when a deep chain is destroyed (~context_node).
  std::shared_ptr<context_node> parent;
  std::atomic<std::uint32_t> state{0};
  // Written once, by the thread that claims the node with a cause, before the reason is published.
  cancel_cause own_cause;
  std::stop_source source{std::nostopstate};
  const std::optional<std::chrono::steady_clock::time_point> deadline;
  const bool own_timer = false;

  // Guarded by the timer's mutex; timer_armed is also read without it, as a hint (timer_disarm).
  timer_queue::iterator timer_pos{};
  std::atomic<bool> timer_armed{false};

  // The claiming thread's work list (claimed, not yet finished) and whether the node's callbacks have run;
  // only that thread touches them.
  std::shared_ptr<context_node> next_pending;
  bool stopped = false;

  // Declared last so they are destroyed first: deregistering them (which waits for an in-flight callback
  // on another thread) happens while every other member is still alive.
  std::optional<std::stop_callback<propagate>> from_parent;
  std::optional<std::stop_callback<external>> from_token;

 private:
  // Claims the node for `why` (flags: kInherited for a claim by the parent's propagation). With a non-empty
  // `cause`, records it (the two-step claim above). Returns false if the node was claimed before.
  bool claim(errc why, std::uint32_t flags = 0, const cancel_cause* cause = nullptr) noexcept;
  void stop() noexcept;
  void mark_finished() noexcept;
  void wait_finished() const noexcept;
  friend void run_cancellation(context_node* first) noexcept;
};

struct context_access {
  static const std::shared_ptr<context_node>& node(const context& c) noexcept { return c.node_; }
  static context make(std::shared_ptr<context_node> n) noexcept { return context(std::move(n)); }
  static cancel_fn make_cancel(const std::shared_ptr<context_node>& n) noexcept { return cancel_fn(n); }
};

// While one exists, cancellations made on this thread never wait for another thread's (the exit handler:
// a stop callback stuck on another thread must not hang process exit).
class no_cancel_wait {
 public:
  no_cancel_wait() noexcept;
  ~no_cancel_wait();
  no_cancel_wait(const no_cancel_wait&) = delete;
  no_cancel_wait& operator=(const no_cancel_wait&) = delete;
};

// Builds a child of `parent`, optionally also linked to `extra` and bounded by `deadline`.
std::shared_ptr<context_node> make_child(const context& parent, const std::stop_token* extra,
                                         std::optional<std::chrono::steady_clock::time_point> deadline);

}  // namespace tether::detail
