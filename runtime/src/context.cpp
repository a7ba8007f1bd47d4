#include "context_node.h"

#include "timer.h"

#include <string>

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

context_node::context_node(std::shared_ptr<context_node> p,
                           std::optional<std::chrono::steady_clock::time_point> dl, bool own)
    : parent(std::move(p)), source(), deadline(dl), own_timer(own) {}

context_node::~context_node() {
  if (own_timer) timer_disarm(this);
}

bool context_node::cancel(errc why) noexcept {
  int expected = 0;
  if (!err.compare_exchange_strong(expected, static_cast<int>(why), std::memory_order_acq_rel)) return false;
  if (own_timer) timer_disarm(this);  // free the timer entry now rather than at the deadline
  // Runs the children's propagate callbacks (and any user stop_callbacks) on this thread.
  source.request_stop();
  return true;
}

void context_node::propagate::operator()() const noexcept {
  // The parent sets its reason before requesting stop, so it is visible here.
  self->cancel(self->parent->reason());
}

void context_node::external::operator()() const noexcept { self->cancel(errc::cancelled); }

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
  // Registering may run the callback at once (parent already cancelled); n is fully built by now.
  if (p->source.stop_possible()) n->from_parent.emplace(p->source.get_token(), context_node::propagate{n.get()});
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

bool context::cancelled() const noexcept { return node_->err.load(std::memory_order_acquire) != 0; }

std::error_code context::err() const noexcept {
  // errc::none has value 0, so a live context's err() is falsy and also == errc::none.
  return make_error_code(node_->reason());
}

std::stop_token context::stop_token() const noexcept { return node_->source.get_token(); }

std::optional<context::clock::time_point> context::deadline() const noexcept { return node_->deadline; }

context context::from_stop_token(std::stop_token token) { return with_stop_token(background(), std::move(token)); }

cancel_fn::cancel_fn(std::weak_ptr<detail::context_node> node) noexcept : node_(std::move(node)) {}

void cancel_fn::operator()() const noexcept {
  if (auto n = node_.lock()) n->cancel(errc::cancelled);
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
  if (timeout > std::chrono::steady_clock::time_point::max() - now) return with_cancel(parent);
  return with_deadline(parent, now + timeout);
}

context with_stop_token(const context& parent, std::stop_token token) {
  return context_access::make(detail::make_child(parent, &token, std::nullopt));
}

}  // namespace tether
