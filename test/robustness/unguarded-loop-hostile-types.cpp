// RUN: %check_tidy %s tether-unguarded-loop %t

// Hostile inputs for tether-unguarded-loop: the check looks at callees (noreturn, cancellation
// and sleep functions by name), at argument types (std::stop_token, tether::context) and at
// atomics (std::atomic<bool>, std::atomic_flag). Here those names are missing, misspelled or of
// an unexpected kind. Nothing may crash; what is not a cancellation check does not guard a loop.

#include <atomic>
#include <stop_token>

namespace tether {
struct context; // declared, never defined
struct contex {}; // misspelled
} // namespace tether
namespace user {
template <class T> struct atomic { bool load() const; };
struct stop_token { bool stop_requested() const; };
} // namespace user

bool poll(const tether::context *);
bool poll2(tether::contex);
bool poll3(user::stop_token);

void incomplete_context(const tether::context *ctx) {
  for (;;) {
    if (poll(ctx)) // a (pointer to an incomplete) tether::context is passed: guarded
      break;
  }
  while (true)
    poll2(tether::contex{});
  // CHECK-MESSAGES: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation
  while (true)
    poll3(user::stop_token{});
  // CHECK-MESSAGES: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation
}

// Look-alike atomics: user templates named 'atomic', std::atomic of non-bool types.
void atomics(user::atomic<bool> &u, std::atomic<int> &n, std::atomic<bool *> &p,
             std::atomic<bool> &b) {
  while (true)
    u.load();
  // CHECK-MESSAGES: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation
  while (true)
    n.load();
  // CHECK-MESSAGES: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation
  while (true)
    p.load();
  // CHECK-MESSAGES: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation
  while (true)
    b.load(); // the real thing: guarded
}

// Calls without a declaration to classify: through function pointers, member pointers, a
// dependent callee in a template.
using Fn = bool (*)();
struct S { bool check(); };
void indirect(Fn f, bool (S::*m)(), S &s) {
  while (true)
    f();
  // CHECK-MESSAGES: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation
  while (true)
    (s.*m)();
  // CHECK-MESSAGES: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation
}
template <class T> void dependent(T &t) {
  while (true)
    t.poll();
  // CHECK-MESSAGES: :[[@LINE-2]]:3: warning: loop never exits and never checks for cancellation
}
struct Token { void poll(std::stop_token); void poll(); };
void instantiate(Token &t) { dependent(t); }

// Catch clauses of unexpected kinds around throws inside the loop: every throw is caught inside.
struct Other {};
void throws(bool b) {
  while (true) {
    try {
      if (b)
        throw 1;
    } catch (Other *) {
    } catch (...) {
    }
  }
  // CHECK-MESSAGES: :[[@LINE-8]]:3: warning: loop never exits and never checks for cancellation
}
