// RUN: %check_tidy %s tether-unbounded-container %t

// A container that escapes (its address taken, bound to a non-const reference, passed by
// non-const reference or pointer, returned by non-const reference) may be trimmed by code we
// cannot see: that counts as bound evidence. Const access and copies are neutral.
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <utility>

using Map = std::map<int, int>;
void trim(Map &m);
void trim_ptr(Map *m);
void print(const Map &m);
void archive(Map m);
template <class C> void forward_any(C &&c);

// ---- Escapes: not flagged --------------------------------------------------------------------

class ReferenceAlias {
  Map m_;
public:
  void add(int k) {
    m_[k] = 1;
    auto &m = m_; // what happens through `m` is not tracked
    m.erase(k - 1);
  }
};

class AddressTaken {
  Map m_;
public:
  void add(int k) { m_[k] = 1; }
  void tick() { trim_ptr(&m_); }
};

class PointerMember {
  Map m_;
  Map *view_ = &m_;
public:
  void add(int k) { m_[k] = 1; }
};

class ReturnedByReference {
  Map m_;
public:
  void add(int k) { m_[k] = 1; }
  Map &entries() { return m_; }
};

class MovedOut {
  Map m_;
public:
  void add(int k) { m_[k] = 1; }
  Map drain() { return std::move(m_); }
};

class Exchanged {
  Map m_;
public:
  void add(int k) { m_[k] = 1; }
  Map drain() { return std::exchange(m_, {}); }
};

class ForwardedGenerically {
  Map m_;
public:
  void add(int k) { m_[k] = 1; }
  void tick() { forward_any(m_); }
};

class InitCapture {
  Map m_;
public:
  void add(int k) {
    m_[k] = 1;
    auto drop = [&m = m_](int key) { m.erase(key); };
    drop(k - 1);
  }
};

// Escaping in the constructor counts: whoever got the reference may trim it later.
void watch(Map &m);
class RegisteredInConstructor {
  Map m_;
public:
  RegisteredInConstructor() { watch(m_); }
  void add(int k) { m_[k] = 1; }
};

// A function-local static handed out by reference (a Meyers singleton): callers may trim it.
Map &counted(int k) {
  static Map instance;
  ++instance[k];
  return instance;
}

// ---- Neutral uses: still flagged -------------------------------------------------------------

class ConstUses {
  Map m_;
  // CHECK-NOTES: :[[@LINE-1]]:7: warning: 'm_' only grows: entries are inserted (1 site)
public:
  void add(int k) { m_[k] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
  void show() {
    const auto &view = m_;        // const reference
    print(m_);                    // const& parameter
    archive(m_);                  // by value: a copy
    Map copy = m_;                // a copy
    std::printf("%zu %zu %zu\n", view.size(), copy.size(), sizeof(m_));
  }
  const Map &entries() const { return m_; }
  const Map &entries2() { return m_; }
  Map snapshot() { return m_; }
  bool same(const ConstUses &o) const { return m_ == o.m_; }
};

// Growth through `this->`, from a lambda and through another object of the same class.
class ThisArrow {
  std::set<std::string> names_;
  // CHECK-NOTES: :[[@LINE-1]]:25: warning: 'names_' only grows: entries are inserted (3 sites)
public:
  void add(const std::string &n) {
    this->names_.insert(n);
    // CHECK-NOTES: :[[@LINE-1]]:11: note: grows here
    auto later = [this, n] { names_.emplace(n); };
    // CHECK-NOTES: :[[@LINE-1]]:30: note: grows here
    later();
  }
  void copy_into(ThisArrow &other, const std::string &n) { other.names_.insert(n); }
  // CHECK-NOTES: :[[@LINE-1]]:66: note: grows here
};
