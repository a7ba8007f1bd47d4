// RUN: %check_tidy %s tether-unbounded-container %t -- -- -std=c++20

// Precision rule 4, short-lived owner: a member container of a class that this translation unit only
// ever makes as automatic variables, temporaries, or members (or bases) of such classes dies with its
// object: a response's header map, a serializer's per-archive map.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

// ---- Not reported -----------------------------------------------------------------------------

class Response {
  std::map<std::string, std::string> headers_;
public:
  void set_header(const std::string &k, const std::string &v) { headers_[k] = v; }
  std::string get(const std::string &k) const { return headers_.at(k); }
};

// A member of a short-lived class, and a class deriving from it.
struct Exchange {
  Response res;
  int status = 0;
};
struct JsonResponse : Response {};

template <class T> class Archive {
  std::map<const void *, int> ids_;
public:
  int id(const T *p) { return ids_.emplace(p, (int)ids_.size()).first->second; }
};

std::string handle(const std::string &path) {
  Response r;                              // automatic
  r.set_header("Path", path);
  Response{}.set_header(path, "x");        // temporary
  const Response &ref = Response();        // lifetime-extended to a local reference: automatic
  Exchange ex;                             // member of an automatic
  ex.res.set_header(path, "y");
  JsonResponse j;                          // base of an automatic
  j.set_header(path, "z");
  Archive<int> a;                          // a class template's only specialization: automatic
  int v = 0;
  a.id(&v);
  return ref.get("Path") + j.get(path);
}

// ---- Reported ---------------------------------------------------------------------------------

// Also made as a static object.
class CachedResponse {
  std::map<std::string, std::string> headers_;
  // CHECK-NOTES: :[[@LINE-1]]:38: warning: 'headers_' only grows
public:
  void set(const std::string &k) { headers_[k] = "1"; }
  // CHECK-NOTES: :[[@LINE-1]]:36: note: grows here
};
void cache(const std::string &k) {
  CachedResponse local;
  local.set(k);
  static CachedResponse cached;
  cached.set(k);
}

// On the heap: new, make_shared, an element of a container, a member of a heap object.
class HeapOwned {
  std::set<int> s_;
  // CHECK-NOTES: :[[@LINE-1]]:17: warning: 's_' only grows
public:
  void add(int k) { s_.insert(k); }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};
class Shared {
  std::set<int> s_;
  // CHECK-NOTES: :[[@LINE-1]]:17: warning: 's_' only grows
public:
  void add(int k) { s_.insert(k); }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};
class Element {
  std::set<int> s_;
  // CHECK-NOTES: :[[@LINE-1]]:17: warning: 's_' only grows
public:
  void add(int k) { s_.insert(k); }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};
class Inner {
  std::set<int> s_;
  // CHECK-NOTES: :[[@LINE-1]]:17: warning: 's_' only grows
public:
  void add(int k) { s_.insert(k); }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};
struct Outer {
  Inner inner;
};
struct Pool {
  std::vector<Element> elements;
};
void heap(int k) {
  HeapOwned automatic;
  automatic.add(k);
  auto *h = new HeapOwned;
  h->add(k);
  auto s = std::make_shared<Shared>();
  s->add(k);
  Pool p;
  p.elements.emplace_back().add(k);
  auto o = std::make_unique<Outer>();
  o->inner.add(k);
}

// Captured by copy into a closure that may be stored anywhere.
class Captured {
  std::set<int> s_;
  // CHECK-NOTES: :[[@LINE-1]]:17: warning: 's_' only grows
public:
  void add(int k) { s_.insert(k); }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};
auto capture() {
  Captured c;
  return [c](int k) mutable { c.add(k); };
}

// An automatic variable of main lives as long as the program.
class Server {
  std::map<int, int> clients_;
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'clients_' only grows
public:
  void accept(int fd) { clients_[fd] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:25: note: grows here
};

// Never made in this TU: it is made elsewhere, for all we know as a long-lived object.
class MadeElsewhere {
  std::map<int, int> m_;
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'm_' only grows
public:
  void add(int k) { m_[k] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
};

// A class template with one automatic and one static specialization.
template <class T> class Table {
  std::map<T, int> rows_;
  // CHECK-NOTES: :[[@LINE-1]]:20: warning: 'rows_' only grows
public:
  void add(const T &k) { rows_[k] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:26: note: grows here
};
Table<long> g_table;
void tables(int k) {
  Table<int> t;
  t.add(k);
  g_table.add(k);
}

int main() {
  Server s;
  s.accept(3);
  heap(1);
  return 0;
}
