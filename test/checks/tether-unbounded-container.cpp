// RUN: %check_tidy %s tether-unbounded-container %t

// The core rules: which containers are judged, what counts as growth, what counts as a bound.
#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>

// ---------------------------------------------------------------------------------------------
// Growth forms. Each class declares its container first so that the notes follow the warning.

class RateLimiter {
  std::unordered_map<std::string, int> hits_;
  // CHECK-NOTES: :[[@LINE-1]]:40: warning: 'hits_' only grows: entries are inserted (2 sites) but never erased, cleared or size-checked; bound it with 'tether::bounded_map' (capacity + LRU eviction) or erase entries [tether-unbounded-container]

public:
  bool allow(const std::string &ip) { return ++hits_[ip] < 100; }
  // CHECK-NOTES: :[[@LINE-1]]:48: note: grows here
  void reset(const std::string &ip) { hits_[ip] = 0; }
  // CHECK-NOTES: :[[@LINE-1]]:39: note: grows here
};

class Sessions {
  std::map<int, std::string> by_id_;
  // CHECK-NOTES: :[[@LINE-1]]:30: warning: 'by_id_' only grows: entries are inserted (6 sites) but never
public:
  void a(int id) { by_id_.insert({id, "a"}); }
  // CHECK-NOTES: :[[@LINE-1]]:20: note: grows here
  void b(int id) { by_id_.emplace(id, "b"); }
  // CHECK-NOTES: :[[@LINE-1]]:20: note: grows here
  void c(int id) { by_id_.emplace_hint(by_id_.end(), id, "c"); }
  // CHECK-NOTES: :[[@LINE-1]]:20: note: grows here
  void d(int id) { by_id_.try_emplace(id, "d"); }
  // CHECK-NOTES: :[[@LINE-1]]:20: note: grows here
  void e(int id) { by_id_.insert_or_assign(id, "e"); }
  // CHECK-NOTES: :[[@LINE-1]]:20: note: grows here
  void f(std::map<int, std::string> &more) { by_id_.merge(more); }
  // CHECK-NOTES: :[[@LINE-1]]:46: note: grows here
  // Reading is neutral: find, at, count, contains, iteration, empty(), size() not compared.
  std::string g(int id) const { return by_id_.at(id); }
  bool h(int id) { return by_id_.count(id) || by_id_.contains(id) || by_id_.find(id) != by_id_.end(); }
  int i() {
    int n = 0;
    for (const auto &[k, v] : by_id_)
      n += k;
    for (auto &[k, v] : by_id_) // non-const iteration may change values, not the size
      v += "!";
    decltype(by_id_)::iterator first = by_id_.begin();
    (void)first;
    std::printf("%zu\n", by_id_.size());
    return by_id_.empty() ? 0 : n;
  }
};

class SeenSet {
  std::set<std::string> seen_;
  // CHECK-NOTES: :[[@LINE-1]]:25: warning: 'seen_' only grows: entries are inserted (1 site) but never
public:
  bool first(const std::string &s) { return seen_.insert(s).second; }
  // CHECK-NOTES: :[[@LINE-1]]:45: note: grows here
};

class Others {
  std::multimap<int, int> mm_;
  // CHECK-NOTES: :[[@LINE-1]]:27: warning: 'mm_' only grows
public:
  void add(int k) { mm_.emplace(k, k); }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};

class Others2 {
  std::unordered_multiset<int> ms_;
  // CHECK-NOTES: :[[@LINE-1]]:32: warning: 'ms_' only grows
public:
  void add(int k) { ms_.insert(k); }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};

// An emptiness test is not a capacity guard.
class EmptinessIsNoGuard {
  std::unordered_set<int> ids_;
  // CHECK-NOTES: :[[@LINE-1]]:27: warning: 'ids_' only grows
public:
  void add(int k) {
    if (ids_.empty() || ids_.size() == 0 || ids_.size() > 0)
      std::printf("first\n");
    ids_.insert(k);
    // CHECK-NOTES: :[[@LINE-1]]:5: note: grows here
  }
};

// ---------------------------------------------------------------------------------------------
// Bound evidence: none of these is flagged.

class Erases {
  std::map<int, int> m_;
public:
  void add(int k) { m_[k] = 1; }
  void drop(int k) { m_.erase(k); }
};

class Clears {
  std::map<int, int> m_;
public:
  void add(int k) { m_[k] = 1; }
  void flush() { m_.clear(); }
};

class Extracts {
  std::set<int> s_;
public:
  void add(int k) { s_.insert(k); }
  auto take(int k) { return s_.extract(k); }
};

class SwapsAsObject {
  std::map<int, int> m_;
public:
  void add(int k) { m_[k] = 1; }
  void rotate(std::map<int, int> &out) { m_.swap(out); }
};

class SwapsAsArgument {
  std::map<int, int> m_;
public:
  void add(int k) { m_[k] = 1; }
  void rotate(std::map<int, int> &out) { out.swap(m_); }
};

class StdSwap {
  std::map<int, int> m_;
public:
  void add(int k) { m_[k] = 1; }
  void rotate(std::map<int, int> &out) { std::swap(m_, out); }
};

class Assigns {
  std::map<int, int> m_;
public:
  void add(int k) { m_[k] = 1; }
  void reset() { m_ = {}; }
};

class EraseIf {
  std::map<int, int> m_;
public:
  void add(int k) { m_[k] = 1; }
  void expire(int now) { std::erase_if(m_, [now](const auto &kv) { return kv.second < now; }); }
};

void trim(std::map<int, int> &m);
class PassedByReference {
  std::map<int, int> m_;
public:
  void add(int k) { m_[k] = 1; }
  void tick() { trim(m_); }
};

class SizeGuard {
  std::unordered_map<int, int> m_;
  static constexpr unsigned kMax = 1000;
public:
  bool add(int k) {
    if (m_.size() >= kMax)
      return false;
    m_[k] = 1;
    return true;
  }
};

class SizeGuardInHelper {
  std::unordered_map<int, int> m_;
  unsigned cap_ = 10;
  bool full() const { return static_cast<unsigned>(m_.size()) + 1 > cap_; }
public:
  void add(int k) {
    if (!full())
      m_.emplace(k, 1);
  }
};

class SizeGuardStdSize {
  std::set<int> s_;
public:
  void add(int k) {
    if (std::size(s_) < 64)
      s_.insert(k);
  }
};

// ---------------------------------------------------------------------------------------------
// Which declarations are judged.

// Public members are not judged: code in other translation units may trim them.
struct PublicMember {
  std::map<int, int> m;
  void add(int k) { m[k] = 1; }
};
class PublicInClass {
public:
  std::map<int, int> m_;
  void add(int k) { m_[k] = 1; }
};

// Protected members of a non-final class: a derived class elsewhere may trim them.
class ProtectedMember {
protected:
  std::map<int, int> m_;
public:
  void add(int k) { m_[k] = 1; }
};

// A protected member of a final class is as good as private.
class FinalProtected final {
protected:
  std::map<int, int> m_;
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'm_' only grows
public:
  void add(int k) { m_[k] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};

// Filled in a constructor only: a fixed size.
class FilledInConstructor {
  std::map<std::string, int> table_;
public:
  FilledInConstructor() {
    table_["a"] = 1;
    table_.insert({"b", 2});
  }
  int get(const std::string &k) const { return table_.at(k); }
};

// Filled in the constructor and grown elsewhere: only the other site is growth.
class FilledAndGrown {
  std::map<std::string, int> table_;
  // CHECK-NOTES: :[[@LINE-1]]:30: warning: 'table_' only grows: entries are inserted (1 site)
public:
  FilledAndGrown();
  void learn(const std::string &k) { table_[k] = 0; }
  // CHECK-NOTES: :[[@LINE-1]]:38: note: grows here
};
FilledAndGrown::FilledAndGrown() { table_["a"] = 1; }

// A callback registered in the constructor runs later: its insert is growth.
void on_request(void (*)(int));
template <class F> void subscribe(F f);
class GrowsInCallback {
  std::set<int> clients_;
  // CHECK-NOTES: :[[@LINE-1]]:17: warning: 'clients_' only grows
public:
  GrowsInCallback() {
    subscribe([this](int ip) { clients_.insert(ip); });
    // CHECK-NOTES: :[[@LINE-1]]:32: note: grows here
  }
};

// A destructor's clear() is no bound: the object is going away anyway.
class ClearedOnlyInDestructor {
  std::map<int, int> m_;
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'm_' only grows
public:
  ~ClearedOnlyInDestructor() { m_.clear(); }
  void add(int k) { m_[k] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};

// Private static data member.
class Registry {
  static std::map<std::string, int> names_;
  // CHECK-NOTES: :[[@LINE-1]]:37: warning: 'names_' only grows
public:
  static void add(const std::string &n) { names_.emplace(n, 1); }
  // CHECK-NOTES: :[[@LINE-1]]:43: note: grows here
};
std::map<std::string, int> Registry::names_;

// Instance registry of a static member: erased in the destructor, which is a bound here (only a
// non-static member's own destructor is special).
class Tracked {
  static std::set<Tracked *> live_;
public:
  Tracked() { live_.insert(this); }
  ~Tracked() { live_.erase(this); }
};
std::set<Tracked *> Tracked::live_;

// Variables with static storage duration and internal linkage.
namespace {
std::map<int, int> g_anon;
// CHECK-NOTES: :[[@LINE-1]]:20: warning: 'g_anon' only grows
} // namespace
void grow_anon(int k) {
  g_anon[k] = k;
  // CHECK-NOTES: :[[@LINE-1]]:3: note: grows here
}
static std::set<int> g_static;
// CHECK-NOTES: :[[@LINE-1]]:22: warning: 'g_static' only grows
void grow_static(int k) {
  g_static.insert(k);
  // CHECK-NOTES: :[[@LINE-1]]:3: note: grows here
}

int memo(int n) {
  static std::unordered_map<int, int> cache;
  // CHECK-NOTES: :[[@LINE-1]]:39: warning: 'cache' only grows
  if (auto it = cache.find(n); it != cache.end())
    return it->second;
  return cache[n] = n * n;
  // CHECK-NOTES: :[[@LINE-1]]:10: note: grows here
}

void per_thread(int k) {
  thread_local std::set<int> seen;
  // CHECK-NOTES: :[[@LINE-1]]:30: warning: 'seen' only grows
  seen.insert(k);
  // CHECK-NOTES: :[[@LINE-1]]:3: note: grows here
}

// External linkage: other translation units may trim it.
std::map<int, int> g_extern;
void grow_extern(int k) { g_extern[k] = 1; }

// A const table cannot grow; a local (automatic) map dies with its scope.
static const std::map<int, int> kTable = {{1, 2}};
int local_map(int k) {
  std::map<int, int> m;
  m[k] = 1;
  return kTable.at(1) + m[k];
}

// Growth without any judged declaration, and a map that is never grown.
class NeverGrown {
  std::map<int, int> m_;
public:
  int get(int k) const { auto it = m_.find(k); return it == m_.end() ? 0 : it->second; }
};
