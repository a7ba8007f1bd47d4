// RUN: %check_tidy %s tether-unbounded-container %t

// Templates report once (their pattern is analysed, uninstantiated members included), type
// aliases are seen through, containers of containers are judged by the outer one, and
// diagnostics land on the user's spelling when macros are involved.
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

// ---- Class templates -------------------------------------------------------------------------

template <class K, class V> class Memo {
  std::map<K, V> cache_;
  // CHECK-NOTES: :[[@LINE-1]]:18: warning: 'cache_' only grows: entries are inserted (2 sites)
public:
  V get(const K &k) {
    if (auto it = cache_.find(k); it != cache_.end())
      return it->second;
    return cache_[k] = V{};
    // CHECK-NOTES: :[[@LINE-1]]:12: note: grows here
  }
  void put(const K &k, const V &v) { this->cache_.insert_or_assign(k, v); }
  // CHECK-NOTES: :[[@LINE-1]]:44: note: grows here
};
int use_memo() {
  // Static: long-lived owners (automatic ones would be short-lived, see -short-lived.cpp).
  static Memo<int, int> a;
  static Memo<std::string, double> b;
  a.put(1, 2);
  return a.get(1) + static_cast<int>(b.get("x"));
}

// The bound is in a member that is never instantiated in this TU: it still counts.
template <class K> class Pruned {
  std::set<K> s_;
public:
  void add(const K &k) { s_.insert(k); }
  void prune(const K &k) { s_.erase(k); }
};
void use_pruned() { Pruned<int>().add(1); }

// A dependent capacity guard.
template <class K> class Capped {
  std::unordered_map<K, int> m_;
  unsigned cap_ = 8;
public:
  void add(const K &k) {
    if (m_.size() < cap_)
      m_.emplace(k, 1);
  }
};
void use_capped() { Capped<int>().add(1); }

// A dependent call we cannot resolve: treated as an escape.
template <class C> void trim_all(C &c);
template <class K> class Generic {
  std::set<K> s_;
public:
  void add(const K &k) { s_.insert(k); }
  void tick() { trim_all(s_); }
};

// Private static data member of a class template.
template <class T> class Interner {
  static std::set<T> pool_;
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'pool_' only grows
public:
  static const T &intern(const T &t) { return *pool_.insert(t).first; }
  // CHECK-NOTES: :[[@LINE-1]]:48: note: grows here
};
template <class T> std::set<T> Interner<T>::pool_;
void use_interner() {
  Interner<int>::intern(1);
  Interner<std::string>::intern("a");
}

// ---- Member function templates of a plain class ---------------------------------------------

class Index {
  std::map<std::string, int> ids_;
  // CHECK-NOTES: :[[@LINE-1]]:30: warning: 'ids_' only grows: entries are inserted (2 sites)
public:
  template <class S> void add(const S &s) { ids_[s] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:45: note: grows here
  template <class S> void add2(const S &s) { ids_.try_emplace(s, 2); }
  // CHECK-NOTES: :[[@LINE-1]]:46: note: grows here
};
void use_index() {
  static Index i;
  i.add(std::string("a"));
  i.add("b");
  i.add2("c");
}

class IndexWithTemplatedBound {
  std::map<std::string, int> ids_;
public:
  void add(const std::string &s) { ids_[s] = 1; }
  template <class S> void drop(const S &s) { ids_.erase(s); }
};

// Function-local static in a function template: reported once.
template <class T> int count_calls(const T &t) {
  static std::map<T, int> calls;
  // CHECK-NOTES: :[[@LINE-1]]:27: warning: 'calls' only grows
  return ++calls[t];
  // CHECK-NOTES: :[[@LINE-1]]:12: note: grows here
}
int use_count_calls() { return count_calls(1) + count_calls(2.0) + count_calls('c'); }

// ---- Type aliases ----------------------------------------------------------------------------

using cache_t = std::unordered_map<std::string, std::string>;
typedef std::set<int> id_set;
template <class V> using by_id = std::map<int, V>;

class Aliased {
  cache_t cache_;
  // CHECK-NOTES: :[[@LINE-1]]:11: warning: 'cache_' only grows
public:
  void put(const std::string &k) { cache_[k] = k; }
  // CHECK-NOTES: :[[@LINE-1]]:36: note: grows here
};
class Typedefed {
  id_set ids_;
  // CHECK-NOTES: :[[@LINE-1]]:10: warning: 'ids_' only grows
public:
  void put(int k) { ids_.insert(k); }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};
class AliasTemplate {
  by_id<std::string> names_;
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'names_' only grows
public:
  void put(int k) { names_.emplace(k, "x"); }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};
template <class V> class AliasTemplateDependent {
  by_id<V> items_;
  // CHECK-NOTES: :[[@LINE-1]]:12: warning: 'items_' only grows
public:
  void put(int k, const V &v) { items_[k] = v; }
  // CHECK-NOTES: :[[@LINE-1]]:33: note: grows here
};

// Not containers: a vector, and a pointer / reference to a map.
class NotContainers {
  std::vector<int> v_;
  std::map<int, int> *p_ = nullptr;
public:
  void add(int k) { v_.push_back(k); (*p_)[k] = 1; }
};

// ---- Containers of containers: the outer one is judged -------------------------------------

class Inverted {
  std::map<std::string, std::set<int>> index_;
  // CHECK-NOTES: :[[@LINE-1]]:40: warning: 'index_' only grows: entries are inserted (2 sites)
public:
  void add(const std::string &word, int doc) { index_[word].insert(doc); }
  // CHECK-NOTES: :[[@LINE-1]]:48: note: grows here
  // Clearing an inner set removes no key; and operator[] on a missing word inserts one.
  void forget(const std::string &word) { index_[word].clear(); }
  // CHECK-NOTES: :[[@LINE-1]]:42: note: grows here
};

// ---- Macros ----------------------------------------------------------------------------------

#define REMEMBER(m, k) ((m)[k] = true)
#define TRACK(k) tracked_.insert(k)
#define DECLARE_SEEN(name) std::map<int, bool> name

class Macros {
  DECLARE_SEEN(seen_);
  // CHECK-NOTES: :[[@LINE-1]]:16: warning: 'seen_' only grows: entries are inserted (1 site)
  std::set<int> tracked_;
public:
  void see(int k) { REMEMBER(seen_, k); }
  // CHECK-NOTES: :[[@LINE-1]]:30: note: grows here
};
class Macros2 {
  std::set<int> tracked_;
  // CHECK-NOTES: :[[@LINE-1]]:17: warning: 'tracked_' only grows
public:
  void track(int k) { TRACK(k); }
  // CHECK-NOTES: :[[@LINE-1]]:23: note: grows here
};
