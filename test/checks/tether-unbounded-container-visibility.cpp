// RUN: %check_tidy %s tether-unbounded-container %t

// A member is judged only when every function that can touch it has its body in this
// translation unit: a method, nested class or friend defined elsewhere may trim it.
#include <map>
#include <set>

// All methods defined here, some of them out of line: judged.
class OutOfLine {
  std::map<int, int> m_;
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'm_' only grows
public:
  OutOfLine();
  ~OutOfLine();
  void add(int k);
  int get(int k) const;
  template <class T> void put(T t);
};
OutOfLine::OutOfLine() = default;
OutOfLine::~OutOfLine() {}
void OutOfLine::add(int k) { m_[k] = 1; }
// CHECK-NOTES: :[[@LINE-1]]:30: note: grows here
int OutOfLine::get(int k) const { return m_.count(k); }
template <class T> void OutOfLine::put(T t) { (void)t; }

// One method is only declared: its body (elsewhere) may erase. Not judged.
class DefinedElsewhere {
  std::map<int, int> m_;
public:
  void add(int k) { m_[k] = 1; }
  void prune(); // defined in another .cpp
};

// A user-declared special member defined elsewhere stops judgement too.
class DestructorElsewhere {
  std::map<int, int> m_;
public:
  ~DestructorElsewhere();
  void add(int k) { m_[k] = 1; }
};

// So does a member function template declared but not defined here.
class TemplateElsewhere {
  std::set<int> s_;
public:
  void add(int k) { s_.insert(k); }
  template <class Pred> void prune(Pred p);
};

// Deleted and defaulted members, pure virtual functions and the C++03 noncopyable idiom (a
// private copy constructor / assignment never defined) do not stop judgement.
class Idioms {
  std::set<int> s_;
  // CHECK-NOTES: :[[@LINE-1]]:17: warning: 's_' only grows
  Idioms(const Idioms &);
  Idioms &operator=(const Idioms &);
public:
  Idioms() = default;
  Idioms(Idioms &&) = delete;
  virtual ~Idioms() = default;
  virtual void hook() = 0;
  void add(int k) { s_.insert(k); }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};

// Friends can touch private members.
void friend_defined(class WithFriendFn &);
class WithFriendFn {
  std::map<int, int> m_;
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'm_' only grows
  friend void friend_defined(WithFriendFn &);
public:
  void add(int k) { m_[k] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};
void friend_defined(WithFriendFn &w) { (void)w.m_.size(); }

class WithUndefinedFriendFn {
  std::map<int, int> m_;
  friend void friend_elsewhere(WithUndefinedFriendFn &);
public:
  void add(int k) { m_[k] = 1; }
};

// A friend class defined elsewhere (typically a test fixture): not judged.
class WithUndefinedFriendClass {
  std::map<int, int> m_;
  friend class WithUndefinedFriendClassTest;
public:
  void add(int k) { m_[k] = 1; }
};

// A friend class whose every method is defined here: judged, and its uses count.
class Janitor;
class WithFriendClass {
  std::map<int, int> m_;
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'm_' only grows
  friend class Inspector;
public:
  void add(int k) { m_[k] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};
class Inspector {
public:
  static bool has(const WithFriendClass &w, int k) { return w.m_.count(k); }
};

class TrimmedByFriendClass {
  std::map<int, int> m_;
  friend class Janitor;
public:
  void add(int k) { m_[k] = 1; }
};
class Janitor {
public:
  static void sweep(TrimmedByFriendClass &t) { t.m_.clear(); }
};

// Nested classes can touch the outer class's private members.
class WithPimpl {
  class Impl; // defined elsewhere
  std::map<int, int> m_;
public:
  void add(int k) { m_[k] = 1; }
};

class WithNestedElsewhere {
  struct Helper {
    void tidy(WithNestedElsewhere &); // defined elsewhere
  };
  std::map<int, int> m_;
public:
  void add(int k) { m_[k] = 1; }
};

class WithNestedHere {
  std::map<int, int> m_;
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'm_' only grows
  struct Helper {
    int count(const WithNestedHere &w) { return w.m_.size(); }
  };
public:
  void add(int k) { m_[k] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};

// A private static data member follows the same rule.
class StaticDefinedElsewhere {
  static std::set<int> ids_;
public:
  static void add(int k) { ids_.insert(k); }
  static void forget(int k);
};
