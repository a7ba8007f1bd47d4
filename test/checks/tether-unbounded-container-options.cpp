// Default options: associative std containers only; queue-like ones are opt-in.
// RUN: %check_tidy %s tether-unbounded-container %t
//
// Queue-like containers enabled.
// RUN: %check_tidy -check-suffix=QUEUE %s tether-unbounded-container %t -- \
// RUN:   -config="{CheckOptions: {tether-unbounded-container.QueueContainers: '::std::deque;::std::list;std::queue;::std::priority_queue;::std::forward_list'}}" -- -std=c++20
//
// A replaced associative list (absl::flat_hash_map added, std::set dropped).
// RUN: %check_tidy -check-suffix=ABSL %s tether-unbounded-container %t -- \
// RUN:   -config="{CheckOptions: {tether-unbounded-container.AssociativeContainers: '::std::map; absl::flat_hash_map ;'}}" -- -std=c++20
//
// Names to leave alone: a regex over the qualified name, anonymous namespaces left out and
// function-local statics named function::variable.
// RUN: %check_tidy -check-suffix=IGNORED %s tether-unbounded-container %t -- \
// RUN:   -config="{CheckOptions: {tether-unbounded-container.IgnoredNames: '^(Interned::pool_|g_.*|lookup::cache)$'}}" -- -std=c++20
//
// Every option is written back.
// RUN: %tether_tidy --checks='-*,tether-unbounded-container' --dump-config | FileCheck %s --check-prefix=DUMP
// DUMP-DAG: tether-unbounded-container.AssociativeContainers: '::std::map;::std::multimap;::std::set;::std::multiset;::std::unordered_map;::std::unordered_multimap;::std::unordered_set;::std::unordered_multiset'
// DUMP-DAG: tether-unbounded-container.QueueContainers: ''
// DUMP-DAG: tether-unbounded-container.IgnoredNames: ''
//
// Bad values are configuration errors (exit code 1), never silently accepted.
// RUN: %python -c "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode != 1)" \
// RUN:   %tether_tidy %s --checks='-*,tether-unbounded-container' \
// RUN:   --config="{CheckOptions: {tether-unbounded-container.AssociativeContainers: '::std::map;std::map<int, int>', tether-unbounded-container.QueueContainers: 'std:: deque', tether-unbounded-container.IgnoredNames: '(unclosed'}}" \
// RUN:   -- -std=c++20 2>&1 | FileCheck %s --check-prefix=BADOPT
// BADOPT-DAG: error: invalid qualified name 'std::map<int, int>' in option 'tether-unbounded-container.AssociativeContainers': expected a name such as 'ns::function' or 'ns::Class::method' [clang-tidy-config]
// BADOPT-DAG: error: invalid qualified name 'std:: deque' in option 'tether-unbounded-container.QueueContainers'
// BADOPT-DAG: error: invalid regular expression '(unclosed' for option 'tether-unbounded-container.IgnoredNames': parentheses not balanced [clang-tidy-config]

#include <deque>
#include <forward_list>
#include <list>
#include <map>
#include <queue>
#include <set>
#include <string>
#include <unordered_map>
#include <unbounded-container/flat_hash_map.h>

// ---- Queue-like containers -------------------------------------------------------------------

class AuditLog {
  std::deque<std::string> lines_;
  // CHECK-MESSAGES-QUEUE: :[[@LINE-1]]:27: warning: 'lines_' only grows: entries are pushed (2 sites) but never popped, erased, cleared or size-checked; cap it: pop or drop entries once size() reaches a limit [tether-unbounded-container]
public:
  void record(const std::string &l) { lines_.push_back(l); }
  void urgent(const std::string &l) { lines_.emplace_front(l); }
  const std::string &last() const { return lines_.back(); }
};

class Backlog {
  std::priority_queue<int> jobs_;
  // CHECK-MESSAGES-QUEUE: :[[@LINE-1]]:28: warning: 'jobs_' only grows: entries are pushed (1 site)
public:
  void submit(int j) { jobs_.push(j); }
  int peek() const { return jobs_.top(); }
};

class Recent {
  std::forward_list<int> ids_;
  // CHECK-MESSAGES-QUEUE: :[[@LINE-1]]:26: warning: 'ids_' only grows
public:
  void add(int id) { ids_.push_front(id); }
};

// Pushed and popped: a work queue. Not flagged.
class WorkQueue {
  std::queue<int> q_;
public:
  void push(int j) { q_.push(j); }
  int pop() { int j = q_.front(); q_.pop(); return j; }
};

// Pushed with a size check: bounded. Not flagged.
class History {
  std::list<std::string> h_;
public:
  void add(const std::string &s) {
    h_.push_front(s);
    if (h_.size() > 100)
      h_.pop_back();
  }
};

// An LRU cache built from a list and a map: both are bounded. Not flagged in any run.
class Lru {
  std::list<std::pair<std::string, int>> order_;
  std::unordered_map<std::string, std::list<std::pair<std::string, int>>::iterator> index_;
  std::size_t cap_ = 1024;
public:
  void put(const std::string &k, int v) {
    if (auto it = index_.find(k); it != index_.end()) {
      order_.erase(it->second);
      index_.erase(it);
    }
    order_.push_front({k, v});
    index_[k] = order_.begin();
    if (index_.size() > cap_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }
  const int *get(const std::string &k) {
    auto it = index_.find(k);
    if (it == index_.end())
      return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }
};

// ---- Associative containers ------------------------------------------------------------------

class Interned {
  std::set<std::string> pool_;
  // CHECK-MESSAGES: :[[@LINE-1]]:25: warning: 'pool_' only grows: entries are inserted (1 site)
  // CHECK-MESSAGES-QUEUE: :[[@LINE-2]]:25: warning: 'pool_' only grows: entries are inserted (1 site)
public:
  const std::string &intern(const std::string &s) { return *pool_.insert(s).first; }
};

class Clients {
  std::map<int, std::string> by_fd_;
  // CHECK-MESSAGES: :[[@LINE-1]]:30: warning: 'by_fd_' only grows
  // CHECK-MESSAGES-QUEUE: :[[@LINE-2]]:30: warning: 'by_fd_' only grows
  // CHECK-MESSAGES-ABSL: :[[@LINE-3]]:30: warning: 'by_fd_' only grows
  // CHECK-MESSAGES-IGNORED: :[[@LINE-4]]:30: warning: 'by_fd_' only grows
public:
  void connect(int fd) { by_fd_[fd] = "new"; }
};

class AbslCache {
  absl::flat_hash_map<std::string, int> hits_;
  // CHECK-MESSAGES-ABSL: :[[@LINE-1]]:41: warning: 'hits_' only grows: entries are inserted (2 sites)
public:
  void hit(const std::string &k) { hits_[k] = 1; }
  template <class R> void bulk(R &&keys) { hits_.insert_range(keys); }
};

class AbslBounded {
  absl::flat_hash_map<std::string, int> hits_;
public:
  void hit(const std::string &k) { hits_[k] = 1; }
  void forget(const std::string &k) { hits_.erase(k); }
};

namespace {
std::map<int, int> g_seen;
// CHECK-MESSAGES: :[[@LINE-1]]:20: warning: 'g_seen' only grows
// CHECK-MESSAGES-QUEUE: :[[@LINE-2]]:20: warning: 'g_seen' only grows
// CHECK-MESSAGES-ABSL: :[[@LINE-3]]:20: warning: 'g_seen' only grows
} // namespace
void see(int k) { g_seen[k] = 1; }

int lookup(int k) {
  static std::map<int, int> cache;
  // CHECK-MESSAGES: :[[@LINE-1]]:29: warning: 'cache' only grows
  // CHECK-MESSAGES-QUEUE: :[[@LINE-2]]:29: warning: 'cache' only grows
  // CHECK-MESSAGES-ABSL: :[[@LINE-3]]:29: warning: 'cache' only grows
  return cache[k];
}
