// RUN: %check_tidy %s tether-unbounded-container %t -- \
// RUN:   -config="{CheckOptions: {tether-unbounded-container.AssociativeContainers: '::std::map;::user::map;::user::Plain;::user::alias;::user::fn;::user;::user::var', tether-unbounded-container.QueueContainers: '::std::deque'}}" -- -std=c++20

// Hostile inputs for tether-unbounded-container: configured container names that are not class
// templates (a plain class, an alias, a function, a namespace, a variable), containers of
// incomplete or dependent types, and members in odd places. Nothing may crash; only members of
// configured class templates are containers.

#include <deque>
#include <map>

namespace user {
template <class K, class V> struct map { void insert(K, V); void erase(K); };
struct Plain { void insert(int); };
template <class T> using alias = std::map<T, T>;
void fn();
template <class T> T var{};
} // namespace user

class Owner {
public:
  void add(int k) {
    plain_.insert(k);
    mine_.insert(k, k);
    aliased_[k] = k;
    deque_.push_back(k);
  }

private:
  user::Plain plain_;          // not a template: not a container
  user::map<int, int> mine_;   // configured user template, insert only
  // CHECK-MESSAGES: :[[@LINE-1]]:23: warning: 'mine_' only grows
  user::alias<int> aliased_;   // an alias of std::map: a std::map
  // CHECK-MESSAGES: :[[@LINE-1]]:20: warning: 'aliased_' only grows
  std::deque<int> deque_;
  // CHECK-MESSAGES: :[[@LINE-1]]:19: warning: 'deque_' only grows
};

// Containers of incomplete element types, in a class template, in an anonymous union, in a local
// class, and a container declared with a dependent template name.
struct Fwd;
template <class T> class Holder {
public:
  void add(T k) { m_[k]; }

private:
  std::map<T, Fwd *> m_;
  // CHECK-MESSAGES: :[[@LINE-1]]:22: warning: 'm_' only grows
};
template <template <class, class> class M> class ByTemplate {
public:
  void add(int k) { m_.insert({k, k}); }

private:
  M<int, int> m_;
};
void use(Holder<int> &h, ByTemplate<std::map> &b) {
  h.add(1);
  b.add(1);
  union {
    int i;
  };
  struct Local {
    void add(int k) { m[k]; }
    std::map<int, int> m;
  };
}
