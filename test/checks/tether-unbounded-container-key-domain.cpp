// RUN: %check_tidy %s tether-unbounded-container %t -- -- -std=c++20

// Precision rule 1, bounded key domain: a container whose every growth site adds a compile-time
// constant key, or whose key type is an enumeration or bool, cannot grow past a fixed size.
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

using namespace std::string_literals;

enum class Method { Get, Put, Post };
enum Level { Debug, Info, Error };

constexpr int kMaxPort = 65535;
constexpr const char *kJson = "application/json";
const std::string kHtml = "text/html";

// ---- Not reported: constant keys ---------------------------------------------------------------

class MimeTable {
  std::map<std::string, std::string> types_;
public:
  void fill(bool extra) {
    types_["html"] = kHtml;                           // string literal
    types_[std::string("css")] = "text/css";          // literal through a construction
    types_["json"s] = kJson;                          // ""s literal
    types_.insert({"png", "image/png"});              // braced pair
    types_.insert(std::make_pair("gif", "image/gif")); // make_pair
    types_.emplace("svg", "image/svg+xml");           // emplace(k, v)
    types_.try_emplace(kJson, "json");                // constexpr variable
    types_.insert_or_assign(kHtml, "html");           // const variable with a constant initializer
    types_.insert({{"a", "1"}, {"b", "2"}});          // initializer_list of constant entries
    types_.emplace_hint(types_.end(), "c", "3");      // hint, then key
    types_[extra ? "x" : "y"] = "z";                  // a choice between constants
  }
  std::string get(const std::string &k) const { return types_.at(k); }
};

class Ports {
  std::set<int> ports_;
public:
  void open() {
    ports_.insert(80);
    ports_.insert(kMaxPort);
    ports_.insert(kMaxPort - 1);               // constant expression
    ports_.insert(static_cast<int>(Info) + 8); // enumerator in an expression
    ports_.emplace(sizeof(long));
  }
  bool has(int p) const { return ports_.count(p); }
};

// Keys spelled through a macro, stringized or not.
#define ROUTE(name) routes_[#name] = __LINE__
#define PORT(p) ports_.insert(p)
class Routes {
  std::map<std::string, int> routes_;
  std::set<int> ports_;
public:
  void add() {
    ROUTE(index);
    ROUTE(status);
    PORT(443);
  }
  int get(const std::string &k) const { return routes_.at(k) + (int)ports_.size(); }
};

// Key type is an enumeration or bool: at most a handful of entries.
class Stats {
  std::map<Method, std::uint64_t> by_method_;
  std::unordered_map<Level, int> by_level_;
  std::set<bool> seen_;
public:
  void count(Method m, Level l, bool ok) {
    ++by_method_[m];
    ++by_level_[l];
    seen_.insert(ok);
  }
  std::uint64_t get(Method m) const { return by_method_.at(m); }
};

// A non-type template parameter is one constant per instantiation.
class Slots {
  std::map<int, int> slots_;
  template <int Id> void put() { slots_[Id] = 1; }
public:
  void all() {
    put<1>();
    put<2>();
  }
  int get(int k) const { return slots_.at(k); }
};

// A class template: the pattern's keys are constants.
template <class T> class Registry {
  std::map<std::string, T> entries_;
public:
  void defaults(T v) {
    entries_["first"] = v;
    entries_.emplace("second", v);
  }
  T get(const std::string &k) const { return entries_.at(k); }
};
Registry<int> registry_of_ints;

// ---- Reported: at least one run-time key -------------------------------------------------------

class MixedKeys {
  std::map<std::string, int> m_;
  // CHECK-NOTES: :[[@LINE-1]]:30: warning: 'm_' only grows: entries are inserted (2 sites)
public:
  void defaults() { m_["a"] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:21: note: grows here
  void learn(const std::string &k) { m_[k] = 2; }
  // CHECK-NOTES: :[[@LINE-1]]:38: note: grows here
  int get(const std::string &k) const { return m_.at(k); }
};

class RuntimeConstLocal {
  std::set<std::string> s_;
  // CHECK-NOTES: :[[@LINE-1]]:25: warning: 's_' only grows
public:
  void add(const std::string &in) {
    const std::string copy = in; // const, but not a constant
    s_.insert(copy);
    // CHECK-NOTES: :[[@LINE-1]]:5: note: grows here
  }
  bool has(const std::string &k) const { return s_.count(k); }
};

// A multimap grows with every insertion even under one key.
class Log {
  std::multimap<Level, std::string> lines_;
  // CHECK-NOTES: :[[@LINE-1]]:37: warning: 'lines_' only grows
public:
  void log(const std::string &l) {
    lines_.insert({Info, l});
    // CHECK-NOTES: :[[@LINE-1]]:5: note: grows here
  }
  std::size_t n() const { return lines_.count(Info); }
};
class Codes {
  std::multiset<int> codes_;
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'codes_' only grows
public:
  void add() {
    codes_.insert(1);
    // CHECK-NOTES: :[[@LINE-1]]:5: note: grows here
  }
  std::size_t n() const { return codes_.count(1); }
};

// Keys the check cannot read are not constant: an iterator range, a pair built elsewhere,
// piecewise construction.
class Unreadable {
  std::map<int, int> m_;
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'm_' only grows: entries are inserted (3 sites)
public:
  void a(const std::map<int, int> &other) { m_.insert(other.begin(), other.end()); }
  // CHECK-NOTES: :[[@LINE-1]]:45: note: grows here
  void b(const std::pair<const int, int> &p) { m_.insert(p); }
  // CHECK-NOTES: :[[@LINE-1]]:48: note: grows here
  void c() { m_.emplace(std::piecewise_construct, std::forward_as_tuple(1), std::forward_as_tuple(2)); }
  // CHECK-NOTES: :[[@LINE-1]]:14: note: grows here
  int get(int k) const { return m_.at(k); }
};

// A key type that merely wraps an integer is not a bounded domain.
class WideKey {
  std::map<std::int64_t, int> m_;
  // CHECK-NOTES: :[[@LINE-1]]:31: warning: 'm_' only grows
public:
  void add(std::int64_t id) { m_[id] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:31: note: grows here
  int get(std::int64_t k) const { return m_.at(k); }
};

// A dependent key in a template pattern is not constant.
template <class K> class Cache {
  std::map<K, int> m_;
  // CHECK-NOTES: :[[@LINE-1]]:20: warning: 'm_' only grows
public:
  void add(const K &k) { m_[k] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:26: note: grows here
  int get(const K &k) const { return m_.at(k); }
};
Cache<int> cache_of_ints;
