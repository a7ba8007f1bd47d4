// RUN: %check_tidy %s tether-unbounded-container %t -- -- -std=c++20

// Precision rule 3, start-up filling: a container grown only by code that runs while the program or
// its owning object is being set up (main, the owner's constructor, a registrar object's
// constructor, a static initializer, and functions called only from those, outside event loops)
// holds what the program was configured with, not what clients send.
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

// ---- Not reported -----------------------------------------------------------------------------

// A private helper called only from the constructor, also through a second helper, in a counted
// loop and in a range-for.
class MimeTypes {
  std::map<std::string, std::string> types_;
  void add(const std::string &ext, const std::string &type) { types_[ext] = type; }
  void add_defaults() {
    add("html", "text/html");
    for (const auto &e : std::vector<std::string>{"png", "gif"})
      add(e, "image/" + e);
  }
  void add_numbered(int n) {
    for (int i = 0; i < n; ++i)
      add(std::to_string(i), "application/x-" + std::to_string(i));
  }
public:
  explicit MimeTypes(int n) {
    add_defaults();
    add_numbered(n);
  }
  std::string get(const std::string &ext) const { return types_.at(ext); }
};

// A growth spelled through a macro, in a class template's helper.
#define REGISTER(map, key) map[key] = #key
template <class T> class Keywords {
  std::map<T, std::string> words_;
  void load(const std::vector<T> &ks) {
    for (const T &k : ks)
      REGISTER(words_, k);
  }
public:
  explicit Keywords(const std::vector<T> &ks) { load(ks); }
  bool has(const T &k) const { return words_.count(k); }
};
Keywords<std::string> keywords({"if", "else"});

namespace {
std::map<std::string, int> g_options;
std::set<std::string> g_flags;
std::map<std::string, int> g_registered;
std::map<std::string, int> g_statically;

void parse_option(const std::string &kv) { g_options[kv] = 1; }
void parse_options(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    parse_option(argv[i]);
}

// A registrar: constructed only as static objects of this TU.
struct Registrar {
  Registrar(const char *name, int v) { g_registered[name] = v; }
};
Registrar r1("one", 1), r2("two", 2);

// A static initializer.
bool fill_statically() {
  g_statically.emplace("x", 1);
  return true;
}
bool filled = fill_statically();
} // namespace

int lookup(const std::string &k) {
  return g_options.at(k) + g_registered.at(k) + g_statically.at(k) + (int)g_flags.count(k);
}

// ---- Reported ---------------------------------------------------------------------------------

// The helper is also called from a public member: any event may run it.
class AlsoPublic {
  std::map<std::string, int> m_;
  // CHECK-NOTES: :[[@LINE-1]]:30: warning: 'm_' only grows: entries are inserted (1 site)
  void add(const std::string &k) { m_[k] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:36: note: grows here
public:
  AlsoPublic() { add("a"); }
  void learn(const std::string &k) { add(k); }
  int get(const std::string &k) const { return m_.at(k); }
};

// A public helper may be called from other translation units (judged whole-program by `tether
// check`).
class PublicHelper {
  std::map<std::string, int> m_;
  // CHECK-NOTES: :[[@LINE-1]]:30: warning: 'm_' only grows
public:
  PublicHelper() { add("a"); }
  void add(const std::string &k) { m_[k] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:36: note: grows here
  int get(const std::string &k) const { return m_.at(k); }
};

// Called from the constructor, but inside an event loop; from a lambda the constructor makes; as a
// thread's body.
class Listener {
  std::map<int, int> conns_;
  // CHECK-NOTES: :[[@LINE-1]]:22: warning: 'conns_' only grows: entries are inserted (3 sites)
  std::vector<std::function<void(int)>> callbacks_;
  std::thread worker_;
  bool running_ = true;
  int accept_one() { return 0; }
  void on_accept(int fd) { conns_[fd] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:28: note: grows here
  void on_event(int fd) { conns_.emplace(fd, 2); }
  // CHECK-NOTES: :[[@LINE-1]]:27: note: grows here
  void serve() { conns_.insert({accept_one(), 3}); }
  // CHECK-NOTES: :[[@LINE-1]]:18: note: grows here
public:
  Listener() : worker_(&Listener::serve, this) {
    while (running_)
      on_accept(accept_one());
    callbacks_.push_back([this](int fd) { on_event(fd); });
  }
  ~Listener() { worker_.join(); }
  int count(int fd) const { return conns_.count(fd); }
};

// Recursion is not start-up code.
class Recursive {
  std::set<int> s_;
  // CHECK-NOTES: :[[@LINE-1]]:17: warning: 's_' only grows
  void walk(int n) {
    s_.insert(n);
    // CHECK-NOTES: :[[@LINE-1]]:5: note: grows here
    if (n > 0)
      walk(n - 1);
  }
public:
  explicit Recursive(int n) { walk(n); }
  bool has(int k) const { return s_.count(k); }
};

namespace {
std::map<int, int> g_events;
// CHECK-NOTES: :[[@LINE-1]]:20: warning: 'g_events' only grows: entries are inserted (1 site)
int next_event() { return 1; }
void handle(int e) { g_events[e] = 1; }
// CHECK-NOTES: :[[@LINE-1]]:22: note: grows here

// A registrar-like class that is also constructed per request.
std::map<std::string, int> g_made_anywhere;
// CHECK-NOTES: :[[@LINE-1]]:28: warning: 'g_made_anywhere' only grows
struct Note {
  explicit Note(const std::string &n) { g_made_anywhere[n] = 1; }
  // CHECK-NOTES: :[[@LINE-1]]:41: note: grows here
};
Note startup_note("boot");
void request(const std::string &n) { Note local(n); }

std::map<int, int> g_callbacks;
// CHECK-NOTES: :[[@LINE-1]]:20: warning: 'g_callbacks' only grows: entries are inserted (1 site)
std::function<void(int)> on_event;
} // namespace

int main(int argc, char **argv) {
  parse_options(argc, argv);
  g_flags.insert("verbose");
  on_event = [](int e) { g_callbacks[e] = 1; };
  // CHECK-NOTES: :[[@LINE-1]]:26: note: grows here
  static std::map<int, int> seen;
  // CHECK-NOTES: :[[@LINE-1]]:29: warning: 'seen' only grows
  for (;;) {
    int e = next_event();
    handle(e);
    seen.emplace(e, 2);
    // CHECK-NOTES: :[[@LINE-1]]:5: note: grows here
    request("x");
    if (e < 0)
      break;
  }
  return lookup("x") + g_events.count(1) + g_callbacks.count(1) + g_made_anywhere.count("x") +
         seen.count(1);
}
