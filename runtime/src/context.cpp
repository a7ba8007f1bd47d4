#include "context_node.h"

#include "error_report.h"
#include "fork.h"
#include "timer.h"

#include <exception>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

namespace tether {

namespace {

class context_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "tether.context"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::none: return "not cancelled";
      case errc::cancelled: return "context cancelled";
      case errc::deadline_exceeded: return "context deadline exceeded";
    }
    return "unknown tether context error";
  }
};

const std::shared_ptr<detail::context_node>& background_node() noexcept {
  // Immortal: handles to it may be copied or destroyed during static destruction.
  static const auto* node = new std::shared_ptr<detail::context_node>(std::make_shared<detail::context_node>());
  return *node;
}

}  // namespace

const std::error_category& context_category() noexcept {
  static const context_category_impl cat;
  return cat;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), context_category()}; }

namespace detail {

namespace {

// The work list of the cancellation loop running on this thread (null outside one), how deeply such loops
// are nested on this thread (a stop callback may cancel another context), and the node whose link to its
// parent is being registered (its propagate callback may run inline, before make_child returns).
thread_local std::shared_ptr<context_node>* tl_pending = nullptr;
thread_local int tl_depth = 0;
thread_local const context_node* tl_registering = nullptr;

// The releasing loop of ~context_node running on this thread, if any.
thread_local std::shared_ptr<context_node>* tl_release = nullptr;

}  // namespace

context_node::context_node(std::shared_ptr<context_node> p,
                           std::optional<std::chrono::steady_clock::time_point> dl, bool own)
    : parent(std::move(p)), source(), deadline(dl), own_timer(own) {}

context_node::~context_node() {
  // Unlink first (waits for a callback of ours running on another thread), then drop the timer entry.
  from_token.reset();
  from_parent.reset();
  if (own_timer) timer_disarm(this);
  if (!parent) return;
  // Dropping the last reference to the parent destroys it, which drops its parent, and so on: a recursion as
  // deep as the chain. Instead the outermost destructor on this thread releases the chain one level at a
  // time; nested ones hand their parent to it. Each destructor releases exactly one parent, so one slot is
  // enough.
  if (tl_release != nullptr) {
    // The slot is empty whenever a nested destructor runs; if it were not, `parent` would simply be released
    // by the member destructor below (one level of recursion).
    if (!*tl_release) *tl_release = std::move(parent);
    return;
  }
  std::shared_ptr<context_node> next = std::move(parent);
  tl_release = &next;
  while (next) {
    std::shared_ptr<context_node> p = std::move(next);
    p.reset();  // may run a nested ~context_node, which moves its parent into `next`
  }
  tl_release = nullptr;
}

bool context_node::claim(errc why, std::uint32_t flags, const cancel_cause* cause) noexcept {
  const std::uint32_t gen = fork_generation() << kGenShift;
  const bool with_cause = cause != nullptr && static_cast<bool>(*cause);
  const std::uint32_t reason = static_cast<std::uint32_t>(why);
  // With a cause: claim without a reason first (see context_node.h), write the cause, then publish the reason.
  const std::uint32_t claimed = with_cause ? (kHasCause | gen) : (reason | flags | gen);
  std::uint32_t expected = 0;
  while (!state.compare_exchange_strong(expected, claimed, std::memory_order_acq_rel, std::memory_order_acquire)) {
    // Claimed before, unless by a claim with a cause that a fork() cut short: a thread of the parent process
    // had not published its reason yet, and never will in this (child) process. Take that claim over.
    if ((expected & kReasonMask) != 0 || (expected >> kGenShift) == (fork_generation() & (~0U >> kGenShift))) {
      return false;
    }
  }
  if (with_cause) {
    own_cause = *cause;
    state.fetch_or(reason, std::memory_order_release);
  }
  return true;
}

cancel_cause context_node::cause() const noexcept {
  // The first cancellation on the path to the root that reached this node: follow inherited claims upwards.
  // Each node keeps its parent alive, and an inherited claim was made after the parent's reason (and cause)
  // was published, so the walk sees the parent cancelled.
  const context_node* n = this;
  for (;;) {
    const std::uint32_t s = n->state.load(std::memory_order_acquire);
    const auto why = static_cast<errc>(s & kReasonMask);
    if (why == errc::none) return {};
    if ((s & kHasCause) != 0) return n->own_cause;
    if ((s & kInherited) == 0 || !n->parent) return make_error_code(why);
    n = n->parent.get();
  }
}

void context_node::stop() noexcept {
  if (own_timer) timer_disarm(this);  // free the timer entry now rather than at the deadline
  // Runs the user's stop_callbacks and the children's propagate callbacks (which claim the children and push
  // them onto this thread's work list) on this thread.
  source.request_stop();
}

void context_node::mark_finished() noexcept {
  state.fetch_or(kFinished, std::memory_order_acq_rel);
  state.notify_all();
}

void context_node::wait_finished() const noexcept {
  for (;;) {
    const std::uint32_t s = state.load(std::memory_order_acquire);
    if ((s & kFinished) != 0) return;
    // Claimed before a fork by a thread that does not exist in this (child) process: it will never finish.
    if ((s >> kGenShift) != (fork_generation() & (~0U >> kGenShift))) return;
    state.wait(s, std::memory_order_acquire);
  }
}

// Finishes `first` (claimed by the caller, alive for the call) and every descendant claimed on the way,
// depth-first with an explicit stack (the nodes' next_pending links). A node is marked finished only after
// its whole subtree is, so a thread waiting for it (wait_finished) sees the subtree cancelled.
void run_cancellation(context_node* first) noexcept {
  std::shared_ptr<context_node> head;
  std::shared_ptr<context_node>* const outer = std::exchange(tl_pending, &head);
  ++tl_depth;
  first->stop();
  while (head) {
    if (!head->stopped) {
      head->stopped = true;
      head->stop();  // pushes its claimed children above it
      continue;
    }
    std::shared_ptr<context_node> n = std::move(head);  // its subtree is done
    head = std::move(n->next_pending);
    n->mark_finished();
  }
  first->mark_finished();
  --tl_depth;
  tl_pending = outer;
}

void context_node::cancel(errc why, const cancel_cause* cause) noexcept {
  if (claim(why, 0, cause)) {
    run_cancellation(this);
  } else if (tl_depth == 0) {
    wait_finished();  // another thread is cancelling this node: return only once its subtree is cancelled
  }
}

void context_node::cancel_if_live(errc why) noexcept {
  if (claim(why)) run_cancellation(this);
}

void context_node::propagate::operator()() const noexcept {
  context_node* const c = self;
  // The parent set its reason before requesting stop, so it is visible here.
  if (c->claim(c->parent->reason(), kInherited)) {
    if (tl_pending != nullptr && c != tl_registering) {
      // Inside a cancellation loop: queue the child instead of recursing into it.
      if (std::shared_ptr<context_node> keep = c->weak_from_this().lock()) {
        keep->next_pending = std::move(*tl_pending);
        *tl_pending = std::move(keep);
        return;
      }
      // The child is being destroyed (no handle, so no children either): finish it here.
    }
    run_cancellation(c);
  } else if (tl_depth == 1) {
    // Another thread is cancelling the child (its own cancel, a deadline, a linked token): like Go, which
    // takes the child's lock, do not return before the child's subtree is cancelled. Only the outermost loop
    // waits: a loop nested in a stop callback could be waiting for a node its own thread has yet to finish.
    c->wait_finished();
  }
}

void context_node::external::operator()() const noexcept { self->cancel(errc::cancelled); }

// Counts as an enclosing cancellation loop: cancel() waits only at depth 0, propagate only at depth 1.
no_cancel_wait::no_cancel_wait() noexcept { ++tl_depth; }
no_cancel_wait::~no_cancel_wait() { --tl_depth; }

std::shared_ptr<context_node> make_child(const context& parent, const std::stop_token* extra,
                                         std::optional<std::chrono::steady_clock::time_point> deadline) {
  const auto& p = context_access::node(parent);
  std::optional<std::chrono::steady_clock::time_point> effective = p->deadline;
  bool own = false;
  if (deadline && (!effective || *deadline < *effective)) {
    effective = deadline;
    own = true;
  }
  auto n = std::make_shared<context_node>(p, effective, own);
  // Registering may run the callback at once (parent already cancelled); n is fully built by now. Then n is
  // finished before make_child returns, even inside another cancellation loop.
  if (p->source.stop_possible()) {
    const context_node* const outer = std::exchange(tl_registering, n.get());
    n->from_parent.emplace(p->source.get_token(), context_node::propagate{n.get()});
    tl_registering = outer;
  }
  if (extra != nullptr && extra->stop_possible()) n->from_token.emplace(*extra, context_node::external{n.get()});
  if (own) {
    if (*effective <= std::chrono::steady_clock::now()) {
      n->cancel(errc::deadline_exceeded);
    } else {
      timer_arm(n.get(), *effective);  // skips nodes already cancelled
    }
  }
  return n;
}

}  // namespace detail

using detail::context_access;
using detail::context_node;

context::context() noexcept : node_(background_node()) {}
context::context(std::shared_ptr<detail::context_node> node) noexcept : node_(std::move(node)) {}

bool context::cancelled() const noexcept { return node_->reason() != errc::none; }

std::error_code context::err() const noexcept {
  // errc::none has value 0, so a live context's err() is falsy and also == errc::none.
  return make_error_code(node_->reason());
}

cancel_cause context::cause() const noexcept { return node_->cause(); }

std::stop_token context::stop_token() const noexcept { return node_->source.get_token(); }

std::optional<context::clock::time_point> context::deadline() const noexcept { return node_->deadline; }

context context::from_stop_token(std::stop_token token) { return with_stop_token(background(), std::move(token)); }

cancel_fn::cancel_fn(std::weak_ptr<detail::context_node> node) noexcept : node_(std::move(node)) {}

void cancel_fn::operator()() const noexcept {
  if (auto n = node_.lock()) n->cancel(errc::cancelled);
}

void cancel_fn::operator()(const cancel_cause& cause) const noexcept {
  if (auto n = node_.lock()) n->cancel(errc::cancelled, &cause);
}

void cancel_fn::operator()(std::error_code cause) const noexcept { (*this)(cancel_cause(cause)); }

void cancel_fn::operator()(std::exception_ptr cause) const noexcept { (*this)(cancel_cause(std::move(cause))); }

cancel_cause::cancel_cause(std::exception_ptr exception) noexcept : exception_(std::move(exception)) {
  if (!exception_) return;
  try {
    std::rethrow_exception(exception_);
  } catch (const std::system_error& e) {
    code_ = e.code();
  } catch (...) {
    // Any other exception has no error_code: code() stays empty.
  }
}

std::string cancel_cause::message() const {
  if (exception_) return detail::exception_message(exception_);
  return code_ ? code_.message() : std::string();
}

void cancel_cause::rethrow() const {
  if (exception_) std::rethrow_exception(exception_);
  if (code_) throw std::system_error(code_);
  throw std::logic_error("tether::cancel_cause::rethrow: empty cause (the context is not cancelled)");
}

context background() noexcept { return context(); }

cancelable with_cancel(const context& parent) {
  auto n = detail::make_child(parent, nullptr, std::nullopt);
  cancel_fn c = context_access::make_cancel(n);
  return {context_access::make(std::move(n)), std::move(c)};
}

cancelable with_deadline(const context& parent, std::chrono::steady_clock::time_point deadline) {
  auto n = detail::make_child(parent, nullptr, deadline);
  cancel_fn c = context_access::make_cancel(n);
  return {context_access::make(std::move(n)), std::move(c)};
}

cancelable with_timeout(const context& parent, std::chrono::steady_clock::duration timeout) {
  const auto now = std::chrono::steady_clock::now();
  // Saturate instead of overflowing: a non-positive timeout (even duration::min()) is already expired, one
  // past the end of the clock's range means no deadline.
  if (timeout <= std::chrono::steady_clock::duration::zero()) return with_deadline(parent, now);
  if (timeout > std::chrono::steady_clock::time_point::max() - now) return with_cancel(parent);
  return with_deadline(parent, now + timeout);
}

context with_stop_token(const context& parent, std::stop_token token) {
  return context_access::make(detail::make_child(parent, &token, std::nullopt));
}

}  // namespace tether
