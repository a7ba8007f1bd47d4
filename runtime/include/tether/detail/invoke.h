// Internal: call a task body with or without the context.
#pragma once

#include <tether/context.h>

#include <concepts>
#include <functional>
#include <type_traits>
#include <utility>

namespace tether::detail {

template <class F>
concept takes_context = std::invocable<F&, const context&>;

template <class F>
concept task_body = std::invocable<F&, const context&> || std::invocable<F&>;

// True for a body that cannot be called: a null function or member pointer, or an object that converts to
// false (an empty std::function, or any callable whose bool conversion says "empty"). safe_go, spawn and
// try_spawn reject these with std::invalid_argument instead of crashing on a worker thread later.
template <class F>
constexpr bool is_null_body(const F& f) noexcept {
  if constexpr (std::is_pointer_v<F> || std::is_member_pointer_v<F>) {
    return f == nullptr;
  } else if constexpr (std::is_class_v<F> && std::is_constructible_v<bool, const F&> &&
                       std::is_nothrow_constructible_v<bool, const F&>) {
    return !static_cast<bool>(f);
  } else {
    return false;
  }
}

// Throws std::invalid_argument("<api>: the task body is null (...)").
[[noreturn]] void throw_null_body(const char* api);

template <class F>
void invoke_body(F& f, const context& c) {
  if constexpr (takes_context<F>) {
    std::invoke(f, c);
  } else {
    std::invoke(f);
  }
}

// Move-only type-erased `void(const context&)`: the callable lives here, the thread spawn lives in src/.
class task_fn {
 public:
  task_fn() noexcept = default;
  template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, task_fn>)
  explicit task_fn(F&& f) : p_(new impl<std::decay_t<F>>(std::forward<F>(f))) {}
  task_fn(task_fn&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  task_fn& operator=(task_fn&& o) noexcept {
    if (this != &o) {
      delete p_;
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  ~task_fn() { delete p_; }

  void operator()(const context& c) { p_->call(c); }
  explicit operator bool() const noexcept { return p_ != nullptr; }

 private:
  struct base {
    virtual ~base() = default;
    virtual void call(const context& c) = 0;
  };
  template <class F>
  struct impl final : base {
    template <class G>
    explicit impl(G&& g) : f(std::forward<G>(g)) {}
    void call(const context& c) override { invoke_body(f, c); }
    F f;
  };
  base* p_ = nullptr;
};

}  // namespace tether::detail
