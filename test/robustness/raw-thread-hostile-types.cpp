// RUN: %check_tidy %s tether-raw-thread %t

// Hostile inputs for tether-raw-thread (issue 9, crash #1): the check looks up names in user
// types (a container's 'value_type' / 'mapped_type', std::pair and std::tuple arguments, a thread
// type's constructors). Every looked-up name here is missing, misspelled or of an unexpected kind;
// none of it may crash the check, and only real thread constructions are reported.

#include <any>
#include <map>
#include <optional>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

void work();

// --- emplace* on classes without a usable value_type ----------------------------------------

// The reproducer from the issue: no value_type at all.
struct Q { void emplace_back(int); };
void no_value_type(Q &q) { q.emplace_back(1); }

struct AllEmplaces {
  void emplace(int);
  void emplace_back(int);
  void emplace_front(int);
  void emplace_hint(int, int);
  void try_emplace(int, int);
  template <class... A> void emplace(A &&...);
};
void every_emplace(AllEmplaces &a) {
  a.emplace(1);
  a.emplace_back(1);
  a.emplace_front(1);
  a.emplace_hint(1, 2);
  a.try_emplace(1, 2); // no mapped_type either
  a.emplace(work);     // a pack, but nothing says what it constructs
}

// value_type (and mapped_type) of an unexpected kind: a nested class, a member template, an alias
// template, a data member, a function, an enumerator, an enum.
struct NestedClass { struct value_type { value_type(void (*)()); }; template <class... A> void emplace_back(A &&...); };
struct MemberTemplate { template <class T> struct value_type {}; template <class... A> void emplace_back(A &&...); };
struct AliasTemplate { template <class T> using value_type = T; template <class... A> void emplace_back(A &&...); };
struct DataMember { int value_type; template <class... A> void emplace_back(A &&...); };
struct StaticMember { static std::thread value_type; template <class... A> void emplace_back(A &&...); };
struct Function { std::thread value_type(); template <class... A> void emplace_back(A &&...); };
struct Enumerator { enum { value_type }; template <class... A> void emplace_back(A &&...); };
struct EnumType { enum value_type { a }; template <class... A> void emplace_back(A &&...); };
struct MappedClass { struct mapped_type {}; template <class K, class... A> void try_emplace(K &&, A &&...); };
struct Misspelled { using valuetype = std::thread; using value_typ = std::thread; template <class... A> void emplace_back(A &&...); };
void odd_kinds(NestedClass &a, MemberTemplate &b, AliasTemplate &c, DataMember &d, StaticMember &e,
               Function &f, Enumerator &g, EnumType &h, MappedClass &i, Misspelled &j) {
  a.emplace_back(work);
  b.emplace_back(work);
  c.emplace_back(work);
  d.emplace_back(work);
  e.emplace_back(work);
  f.emplace_back(work);
  g.emplace_back(work);
  h.emplace_back(work);
  i.try_emplace(1, work);
  j.emplace_back(work);
}

// value_type is a thread, but emplace_back forwards nothing (no parameter pack): unknown, quiet.
struct ThreadsNoPack { using value_type = std::thread; void emplace_back(void (*)()); };
void no_pack(ThreadsNoPack &t) { t.emplace_back(work); }

// value_type is a reference, a pointer, an array of threads: nothing is constructed in place.
struct RefValue { using value_type = std::thread &; template <class... A> void emplace_back(A &&...); };
struct PtrValue { using value_type = std::thread *; template <class... A> void emplace_back(A &&...); };
struct ArrValue { using value_type = std::thread[2]; template <class... A> void emplace_back(A &&...); };
void indirect(RefValue &r, PtrValue &p, ArrValue &a) {
  r.emplace_back(work);
  p.emplace_back(work);
  a.emplace_back(work);
}

// A user container whose value_type is a thread and that forwards a pack: the convention of the
// standard containers, reported like them.
struct ThreadPool { using value_type = std::thread; template <class... A> void emplace_back(A &&...); };
void user_container(ThreadPool &p) {
  p.emplace_back(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: raw thread creation with 'std::thread' via 'emplace_back'; spawn
  p.emplace_back(); // default construction
}

// value_type is a std::pair whose arguments are not both types, or a pair that is not std's.
namespace mine { template <class A, class B> struct pair { A first; B second; }; }
template <int N, class B> struct IntPair {};
struct UserPairMap { using value_type = mine::pair<int, std::thread>; template <class... A> void emplace(A &&...); };
struct NonTypePairMap { using value_type = IntPair<1, std::thread>; template <class... A> void emplace(A &&...); };
void pairs(UserPairMap &u, NonTypePairMap &n) {
  u.emplace(1, work);
  n.emplace(1, work);
}

// A map of threads: emplace with a number of arguments that is neither (key, value) nor
// piecewise, and piecewise construction with tuples of unexpected shape.
void map_shapes(std::map<int, std::thread> &m) {
  m.emplace(std::pair<int, std::thread>()); // one argument: a (moved) value
  m.emplace(std::piecewise_construct, std::forward_as_tuple(1), std::forward_as_tuple(work));
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: raw thread creation with 'std::thread' via 'emplace'; spawn
  m.emplace(std::piecewise_construct, std::forward_as_tuple(1), std::forward_as_tuple());
}

// --- std::variant, std::any, std::optional ----------------------------------------------------

void library_emplace(std::variant<int, std::thread> &v, std::any &a, std::optional<std::thread> &o,
                     std::variant<int, double> &vi) {
  v.emplace<int>(1);
  v.emplace<0>(1);
  vi.emplace<double>(1.0);
  a.emplace<int>(1);
  a.emplace<std::vector<int>>(3u, 1);
  v.emplace<std::thread>(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: raw thread creation with 'std::thread' via 'emplace'; spawn
  v.emplace<1>(work); // by index: the alternative is not looked up (a documented gap)
  // (std::any needs a copyable type: it can never hold a std::thread.)
  o.emplace(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: raw thread creation with 'std::thread' via 'emplace'; spawn
  o.emplace();
}

// A user class with an explicit emplace<T>: what it does with T is unknown, so it is not reported.
struct Registry { template <class T, class... A> void emplace(A &&...); };
void user_explicit(Registry &r) { r.emplace<std::thread>(work); }

// --- user classes named 'thread' ------------------------------------------------------------

// Not std::thread: odd constructors, a constructor template, an initializer-list constructor.
namespace user {
struct thread {
  thread();
  thread(int, int);
  template <class F> explicit thread(F &&);
  thread(std::initializer_list<int>);
  void detach();
};
} // namespace user
void user_thread() {
  user::thread a(work);
  user::thread b(1, 2);
  user::thread c{1, 2, 3};
  a.detach();
}

// A class deriving from std::thread whose own constructors do odd things.
struct Derived : std::thread {
  Derived() = default;
  explicit Derived(int) {}
  template <class F> Derived(F &&f, int) : std::thread(static_cast<F &&>(f)) {}
  // CHECK-MESSAGES: :[[@LINE-1]]:44: warning: raw thread creation with 'std::thread'; spawn
};
void derived() {
  Derived a;
  Derived b(1);
  Derived c(work, 1); // the base initializer above is the spawn site
}

// --- templates whose member types are dependent ---------------------------------------------

template <class T> struct Dep {
  using value_type = T;
  template <class... A> void emplace_back(A &&...);
  void self() { this->emplace_back(1); }
};
template <class T> struct DepPair {
  using value_type = std::pair<const int, T>;
  template <class... A> void emplace(A &&...);
  void self() { this->emplace(1, work); }
};
void instantiate() {
  Dep<int>().self();
  DepPair<int>().self();
}
