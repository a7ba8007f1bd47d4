// Internal: call a task body with or without the context.
#pragma once

#include <tether/context.h>

#include <concepts>
#include <cstddef>
#include <new>
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
// A callable of up to kInline bytes (pointer-aligned, nothrow-movable: the usual lambda capturing a few
// pointers, ids or a shared_ptr) is stored inline, without an allocation; a bigger one on the heap. (An
// allocation per task was a third of worker_pool's instructions per task: docs/performance.md.)
class task_fn {
 public:
  static constexpr std::size_t kInline = 4 * sizeof(void*);
  // Whether a callable of type F is stored inline (no allocation).
  template <class F>
  static constexpr bool stores_inline =
      sizeof(F) <= kInline && alignof(F) <= alignof(void*) && std::is_nothrow_move_constructible_v<F>;

  task_fn() noexcept = default;
  template <class F>
    requires(!std::same_as<std::remove_cvref_t<F>, task_fn>)
  explicit task_fn(F&& f) {
    using D = std::decay_t<F>;
    if constexpr (stores_inline<D>) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      ops_ = &inline_ops<D>::table;
    } else {
      *reinterpret_cast<D**>(buf_) = new D(std::forward<F>(f));
      ops_ = &heap_ops<D>::table;
    }
  }
  task_fn(task_fn&& o) noexcept { take(o); }
  task_fn& operator=(task_fn&& o) noexcept {
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  task_fn(const task_fn&) = delete;
  task_fn& operator=(const task_fn&) = delete;
  ~task_fn() { reset(); }

  void operator()(const context& c) { ops_->call(buf_, c); }
  explicit operator bool() const noexcept { return ops_ != nullptr; }

 private:
  struct ops_t {
    void (*call)(void* self, const context& c);
    void (*relocate)(void* dst, void* src) noexcept;  // move-constructs into dst and destroys src
    void (*destroy)(void* self) noexcept;
  };
  template <class F>
  struct inline_ops {
    static void call(void* p, const context& c) { invoke_body(*static_cast<F*>(p), c); }
    static void relocate(void* d, void* s) noexcept {
      F* f = static_cast<F*>(s);
      ::new (d) F(std::move(*f));
      f->~F();
    }
    static void destroy(void* p) noexcept { static_cast<F*>(p)->~F(); }
    static constexpr ops_t table{&call, &relocate, &destroy};
  };
  template <class F>
  struct heap_ops {
    static void call(void* p, const context& c) { invoke_body(**static_cast<F**>(p), c); }
    static void relocate(void* d, void* s) noexcept { *static_cast<F**>(d) = *static_cast<F**>(s); }
    static void destroy(void* p) noexcept { delete *static_cast<F**>(p); }
    static constexpr ops_t table{&call, &relocate, &destroy};
  };

  void take(task_fn& o) noexcept {
    if (o.ops_ != nullptr) {
      o.ops_->relocate(buf_, o.buf_);
      ops_ = std::exchange(o.ops_, nullptr);
    }
  }
  void reset() noexcept {
    if (ops_ != nullptr) std::exchange(ops_, nullptr)->destroy(buf_);
  }

  alignas(void*) unsigned char buf_[kInline];
  const ops_t* ops_ = nullptr;
};

}  // namespace tether::detail
