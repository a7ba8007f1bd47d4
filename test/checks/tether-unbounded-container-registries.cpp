// Default: registries of callables are not reported.
// RUN: %check_tidy %s tether-unbounded-container %t -- -- -std=c++20
//
// IgnoreCallableRegistries off: they are.
// RUN: %check_tidy -check-suffix=ALL %s tether-unbounded-container %t -- \
// RUN:   -config="{CheckOptions: {tether-unbounded-container.IgnoreCallableRegistries: false}}" -- -std=c++20
//
// The option is written back as configured.
// RUN: %tether_tidy --checks='-*,tether-unbounded-container' --dump-config | FileCheck %s --check-prefix=DUMP
// DUMP: tether-unbounded-container.IgnoreCallableRegistries: 'true'
// RUN: %tether_tidy --checks='-*,tether-unbounded-container' --config="{CheckOptions: {tether-unbounded-container.IgnoreCallableRegistries: 'off'}}" --dump-config | FileCheck %s --check-prefix=DUMPOFF
// DUMPOFF: tether-unbounded-container.IgnoreCallableRegistries: {{'?}}off{{'?}}
//
// A value that is not a boolean is a configuration error (exit code 1), never silently accepted.
// RUN: %python -c "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode != 1)" \
// RUN:   %tether_tidy %s --checks='-*,tether-unbounded-container' \
// RUN:   --config="{CheckOptions: {tether-unbounded-container.IgnoreCallableRegistries: 'sometimes'}}" \
// RUN:   -- -std=c++20 2>&1 | FileCheck %s --check-prefix=BADOPT
// BADOPT: error: invalid configuration value 'sometimes' for option 'tether-unbounded-container.IgnoreCallableRegistries': expected a bool ('true' or 'false') [clang-tidy-config]

// Precision rule 2, registries: the mapped (map) or element (set, queue) type is callable, so the
// entries are handlers or callbacks that code registers, not data that clients drive.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

struct Request {};
using Handler = std::function<void(const Request &)>;
using RawHandler = void (*)(const Request &);
struct Server;
using MemberHandler = void (Server::*)(const Request &);

struct Functor {
  void operator()(const Request &) const {}
};
struct DerivedFunctor : Functor {};
template <class T> struct TemplatedFunctor {
  template <class U> void operator()(U) const {}
};

class Routes {
  std::map<std::string, Handler> by_path_;
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:34: warning: 'by_path_' only grows
  std::unordered_map<int, RawHandler> by_type_;
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:39: warning: 'by_type_' only grows
  std::map<std::string, MemberHandler> members_;
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:40: warning: 'members_' only grows
  std::map<std::string, Functor> functors_;
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:34: warning: 'functors_' only grows
  std::map<std::string, DerivedFunctor> derived_;
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:41: warning: 'derived_' only grows
  std::map<std::string, TemplatedFunctor<int>> templated_;
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:48: warning: 'templated_' only grows
  std::map<std::string, std::shared_ptr<Handler>> shared_;
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:51: warning: 'shared_' only grows
  std::map<std::string, std::vector<Handler>> listeners_;
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:47: warning: 'listeners_' only grows
  std::set<RawHandler> hooks_;
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:24: warning: 'hooks_' only grows
public:
  void on(const std::string &path, Handler h) { by_path_[path] = std::move(h); }
  void on(int type, RawHandler h) { by_type_.emplace(type, h); }
  void on_member(const std::string &n, MemberHandler h) { members_[n] = h; }
  void on_functor(const std::string &n) {
    functors_[n] = Functor{};
    derived_[n] = DerivedFunctor{};
    templated_[n] = {};
  }
  void on_shared(const std::string &n, Handler h) { shared_[n] = std::make_shared<Handler>(h); }
  void listen(const std::string &e, Handler h) { listeners_[e].push_back(std::move(h)); }
  void hook(RawHandler h) { hooks_.insert(h); }
  void dispatch(const std::string &p, const Request &r) const { by_path_.at(p)(r); }
};

// A lambda's closure type, through decltype.
inline auto make_callback() {
  return [](int) {};
}
class Callbacks {
  std::map<int, decltype(make_callback())> cbs_;
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:44: warning: 'cbs_' only grows
public:
  void add(int k) { cbs_.emplace(k, make_callback()); }
};

// In a class template, with a dependent key.
template <class K> class EventBus {
  std::map<K, std::function<void()>> subscribers_;
  // CHECK-MESSAGES-ALL: :[[@LINE-1]]:38: warning: 'subscribers_' only grows
public:
  void subscribe(const K &k, std::function<void()> f) { subscribers_[k] = std::move(f); }
};
EventBus<std::string> bus;

// ---- Look-alikes that are reported in every run: the entries are data -------------------------

struct Session {
  int id = 0;
  void run() {}
};
class Sessions {
  std::map<int, Session> by_id_;
  // CHECK-MESSAGES: :[[@LINE-1]]:26: warning: 'by_id_' only grows
  // CHECK-MESSAGES-ALL: :[[@LINE-2]]:26: warning: 'by_id_' only grows
  std::map<int, std::unique_ptr<Session>> owned_;
  // CHECK-MESSAGES: :[[@LINE-1]]:43: warning: 'owned_' only grows
  // CHECK-MESSAGES-ALL: :[[@LINE-2]]:43: warning: 'owned_' only grows
  // The function is the key, not the entry: a set keyed by handler name grows with the names.
  std::map<Handler *, std::string> names_;
  // CHECK-MESSAGES: :[[@LINE-1]]:36: warning: 'names_' only grows
  // CHECK-MESSAGES-ALL: :[[@LINE-2]]:36: warning: 'names_' only grows
  // A value type whose operator() is an accessor (i2pd's Tag<N>): comparable, so data.
  struct Tag {
    unsigned char bytes[32];
    const unsigned char *operator()() const { return bytes; }
    bool operator<(const Tag &o) const { return bytes[0] < o.bytes[0]; }
  };
  std::map<std::string, Tag> keys_;
  // CHECK-MESSAGES: :[[@LINE-1]]:30: warning: 'keys_' only grows
  // CHECK-MESSAGES-ALL: :[[@LINE-2]]:30: warning: 'keys_' only grows
public:
  void key(const std::string &n, const Tag &t) { keys_[n] = t; }
  void open(int id) {
    by_id_[id] = Session{id};
    owned_[id] = std::make_unique<Session>();
  }
  void name(Handler *h, const std::string &n) { names_[h] = n; }
};
