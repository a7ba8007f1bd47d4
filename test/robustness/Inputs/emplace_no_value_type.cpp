// Issue 9, crash #1: emplace* on classes without a value_type (or with one of an unexpected kind)
// segfaulted tether-raw-thread in every route. One real finding at the end shows the checks ran.
#include <any>
#include <thread>
#include <variant>

struct Q { void emplace_back(int); };
struct N { struct value_type {}; template <class... A> void emplace(A &&...); };
void f(Q &q, N &n, std::variant<int, long> &v, std::any &a) {
  q.emplace_back(1);
  n.emplace(1);
  v.emplace<long>(2);
  a.emplace<int>(3);
}

void g() { std::thread t([] {}); t.join(); }
