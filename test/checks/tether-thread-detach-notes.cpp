// RUN: %check_tidy %s tether-thread-detach %t

// Where the detached thread's callable is visible (a temporary constructed right there, or a local
// variable whose initializer constructs the thread), tether-thread-detach adds a note at each
// thing that may dangle: 'this', by-reference captures, std::ref arguments, addresses of locals.

#include <functional>
#include <string>
#include <thread>
#include <vector>

void use(int);
void use_ref(int &);
void use_ptr(int *);
void use_str(const std::string &);
void use_buf(char *);
int global_counter;

class refresher_service {
public:
  void start() {
    std::thread([this] { refresh(); }).detach();
    // CHECK-NOTES: :[[@LINE-1]]:40: warning: 'detach()' makes this thread unowned: nothing can wait for it, cancel it or see it fail; keep it owned with 'tether::safe_go' or 'tether::task_group' [tether-thread-detach]
    // CHECK-NOTES: :[[@LINE-2]]:18: note: the detached thread captures 'this'; the object may be destroyed while the thread still runs
  }
  void start_member_fn() {
    std::thread(&refresher_service::refresh, this).detach();
    // CHECK-NOTES: :[[@LINE-1]]:52: warning: 'detach()' makes this thread unowned
    // CHECK-NOTES: :[[@LINE-2]]:46: note: the detached thread is given 'this'; the object may be destroyed while the thread still runs
  }
  void start_implicit_this() {
    std::thread([&] { refresh(); }).detach();
    // CHECK-NOTES: :[[@LINE-1]]:37: warning: 'detach()' makes this thread unowned
    // CHECK-NOTES: :[[@LINE-2]]:23: note: the detached thread captures 'this'; the object may be destroyed while the thread still runs
  }
  void start_member_ref() {
    std::thread(use_ref, std::ref(interval_)).detach();
    // CHECK-NOTES: :[[@LINE-1]]:47: warning: 'detach()' makes this thread unowned
    // CHECK-NOTES: :[[@LINE-2]]:26: note: the detached thread is given a reference to member 'interval_'; the object may be destroyed while the thread still runs
  }
  void start_self_copy() {
    std::thread([self = this] { self->refresh(); }).detach();
    // CHECK-NOTES: :[[@LINE-1]]:53: warning: 'detach()' makes this thread unowned
    // CHECK-NOTES: :[[@LINE-2]]:25: note: the detached thread is given 'this'; the object may be destroyed while the thread still runs
  }
  void start_copy_of_object() {
    // [*this] copies the object into the thread: nothing here dangles (still unowned).
    std::thread([*this] { (void)interval_; }).detach();
    // CHECK-NOTES: :[[@LINE-1]]:47: warning: 'detach()' makes this thread unowned
  }

private:
  void refresh();
  int interval_ = 5;
};

void by_reference_captures() {
  int counter = 0;
  std::thread([&] { ++counter; }).detach();
  // CHECK-NOTES: :[[@LINE-1]]:35: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:23: note: 'counter' is captured by reference and may go out of scope while the detached thread still runs

  std::string name = "poller";
  std::thread([&counter, name] { use(counter); use_str(name); }).detach();
  // CHECK-NOTES: :[[@LINE-1]]:66: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:17: note: 'counter' is captured by reference and may go out of scope while the detached thread still runs

  std::thread([&r = counter] { use(r); }).detach();
  // CHECK-NOTES: :[[@LINE-1]]:43: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:17: note: 'r' is captured by reference and may go out of scope while the detached thread still runs

  std::thread([p = &counter] { use_ptr(p); }).detach();
  // CHECK-NOTES: :[[@LINE-1]]:47: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:20: note: the address of 'counter' is passed to the detached thread; 'counter' may go out of scope while the thread still runs
}

void arguments(const std::string &config) {
  int x = 0;
  std::thread(use_ref, std::ref(x)).detach();
  // CHECK-NOTES: :[[@LINE-1]]:37: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:24: note: 'x' is passed by reference ('std::ref') and may go out of scope while the detached thread still runs
  std::thread(use_str, std::cref(config)).detach();
  // CHECK-NOTES: :[[@LINE-1]]:43: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:24: note: 'config' is passed by reference ('std::cref') and may go out of scope while the detached thread still runs
  std::thread(use_ptr, &x).detach();
  // CHECK-NOTES: :[[@LINE-1]]:28: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:24: note: the address of 'x' is passed to the detached thread; 'x' may go out of scope while the thread still runs
  char buf[64];
  std::thread(use_buf, buf).detach();
  // CHECK-NOTES: :[[@LINE-1]]:29: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:24: note: the address of 'buf' is passed to the detached thread; 'buf' may go out of scope while the thread still runs
  // By value: copied into the thread, nothing dangles.
  std::thread(use, x).detach();
  // CHECK-NOTES: :[[@LINE-1]]:23: warning: 'detach()' makes this thread unowned
  std::thread(use_str, config).detach();
  // CHECK-NOTES: :[[@LINE-1]]:32: warning: 'detach()' makes this thread unowned
}

void local_thread_variables() {
  int pending = 3;
  std::thread t([&pending] { use(pending); });
  t.detach();
  // CHECK-NOTES: :[[@LINE-1]]:5: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-3]]:19: note: 'pending' is captured by reference and may go out of scope while the detached thread still runs
  auto t2 = std::thread(use_ref, std::ref(pending));
  t2.detach();
  // CHECK-NOTES: :[[@LINE-1]]:6: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-3]]:34: note: 'pending' is passed by reference ('std::ref') and may go out of scope while the detached thread still runs
  std::jthread jt([&](std::stop_token) { use(pending); });
  jt.detach();
  // CHECK-NOTES: :[[@LINE-1]]:6: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-3]]:46: note: 'pending' is captured by reference and may go out of scope while the detached thread still runs

  // The callable is a local lambda: its captures are followed.
  auto job = [&] { use(pending); };
  std::thread(job).detach();
  // CHECK-NOTES: :[[@LINE-1]]:20: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-3]]:24: note: 'pending' is captured by reference and may go out of scope while the detached thread still runs
}

// No notes where the callable is not visible, or nothing can dangle.
void no_notes(std::thread &param, std::vector<std::thread> &v) {
  param.detach();
  // CHECK-NOTES: :[[@LINE-1]]:9: warning: 'detach()' makes this thread unowned
  v.front().detach();
  // CHECK-NOTES: :[[@LINE-1]]:13: warning: 'detach()' makes this thread unowned
  std::thread([] { ++global_counter; }).detach(); // globals are not captured
  // CHECK-NOTES: :[[@LINE-1]]:41: warning: 'detach()' makes this thread unowned
  int copy = 1;
  std::thread([copy] { use(copy); }).detach();
  // CHECK-NOTES: :[[@LINE-1]]:38: warning: 'detach()' makes this thread unowned
  std::thread([=] { use(copy); }).detach();
  // CHECK-NOTES: :[[@LINE-1]]:35: warning: 'detach()' makes this thread unowned
  static int counter_static = 0;
  std::thread([&] { ++counter_static; }).detach(); // static storage: not captured
  // CHECK-NOTES: :[[@LINE-1]]:42: warning: 'detach()' makes this thread unowned
  std::function<void()> fn = [&] { use(copy); }; // type-erased: not followed
  std::thread(fn).detach();
  // CHECK-NOTES: :[[@LINE-1]]:19: warning: 'detach()' makes this thread unowned
}

// In a macro: the note points at the capture as written at the use.
#define SPAWN(fn) std::thread(fn).detach()

void macro_notes() {
  int progress = 0;
  SPAWN([&progress] { use(progress); });
  // CHECK-NOTES: :[[@LINE-1]]:3: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:11: note: 'progress' is captured by reference and may go out of scope while the detached thread still runs
}

// In a template: reported (with its notes) once, also where the thread's arguments depend on the
// template arguments (then from the first instantiation, which shows the captures).
template <class T> void detach_with(T value) {
  std::thread([&value] { (void)value; }).detach();
  // CHECK-NOTES: :[[@LINE-1]]:42: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:17: note: 'value' is captured by reference and may go out of scope while the detached thread still runs
  std::thread{[&] { (void)value; }}.detach();
  // CHECK-NOTES: :[[@LINE-1]]:37: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:27: note: 'value' is captured by reference and may go out of scope while the detached thread still runs
  std::thread t([&] { use_str(std::to_string(value)); });
  t.detach();
  // CHECK-NOTES: :[[@LINE-1]]:5: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-3]]:46: note: 'value' is captured by reference and may go out of scope while the detached thread still runs
  int local = 0;
  std::thread([&local] { use(local); }).detach(); // not dependent: analysed in the template itself
  // CHECK-NOTES: :[[@LINE-1]]:41: warning: 'detach()' makes this thread unowned
  // CHECK-NOTES: :[[@LINE-2]]:17: note: 'local' is captured by reference and may go out of scope while the detached thread still runs
}

void instantiate() {
  detach_with(1);
  detach_with(2.0);
  detach_with(3L);
}
