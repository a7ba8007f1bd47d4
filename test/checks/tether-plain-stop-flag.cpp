// RUN: %check_tidy %s tether-plain-stop-flag %t -- -- -std=c++20 -I%tether_inputs/unguarded-loop

// A loop that can only stop through a plain (non-atomic) flag: racy when another thread writes it,
// dead when nothing writes it while the loop runs. Reported at the loop keyword, with a note at the
// read and one at a write.

#include "tether_mock.h"
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <future>
#include <mutex>
#include <pthread.h>
#include <queue>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace std::chrono_literals;

void handle_one(); // opaque: may block

// ---- racy flag ----------------------------------------------------------------------------------

// The classic: a worker thread started on a member function, a bool written by stop().
class Worker {
public:
  Worker() : t_(&Worker::loop, this) {}
  void stop() { running_ = false; }

private:
  void loop() {
    while (running_) {
      // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'running_', which another thread writes while this loop reads it without synchronization: a data race, and the compiler may read it once and loop forever; make it 'std::atomic<bool>' and set it from the stopping side, or use 'std::stop_token' or 'tether::context' [tether-plain-stop-flag]
      // CHECK-NOTES: :[[@LINE-2]]:12: note: 'running_' is read here
      // CHECK-NOTES: :[[@LINE-7]]:17: note: written here, in 'Worker::stop', while the loop runs on a spawned thread
      handle_one();
    }
  }
  bool running_ = true;
  std::thread t_;
};

// A busy spin: nothing in the loop sleeps, waits or locks.
class Spinner {
public:
  void start() {
    t_ = std::thread([this] { spin(); });
  }
  void stop() { stop_ = true; }

private:
  void count() { ++spins_; }
  void spin() {
    while (!stop_)
      // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'stop_', which another thread writes while this loop reads it without synchronization: a data race, and the compiler may read it once and loop forever; the loop busy-spins on it, with no sleep, wait or lock; make it
      // CHECK-NOTES: :[[@LINE-2]]:13: note: 'stop_' is read here
      // CHECK-NOTES: :[[@LINE-8]]:17: note: written here, in 'Spinner::stop', while the loop runs on a spawned thread
      count();
  }
  bool stop_ = false;
  long spins_ = 0;
  std::thread t_;
};

// A global, a lambda thread, and a loop whose only exit is `if (flag) break;`.
bool g_shutdown;
void request_shutdown() { g_shutdown = true; }
void start_poller() {
  std::thread([] {
    for (;;) {
      // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'g_shutdown'
      // CHECK-NOTES: :[[@LINE+1]]:11: note: 'g_shutdown' is read here
      if (g_shutdown)
        break;
      std::this_thread::sleep_for(10ms);
    }
  }).detach();
  // CHECK-NOTES: :[[@LINE-11]]:27: note: written here, in 'request_shutdown', while the loop runs on a spawned thread
}

// The writer runs on the spawned thread, the loop on the caller's: yield() does not make it wait.
class Job {
public:
  void run() {
    fut_ = std::async(std::launch::async, [this] {
      handle_one();
      done_ = true;
    });
  }
  void wait_done() {
    while (!done_)
      // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'done_'{{.*}}; the loop busy-spins on it, with no sleep, wait or lock; make it
      // CHECK-NOTES: :[[@LINE-2]]:13: note: 'done_' is read here
      // CHECK-NOTES: :[[@LINE-7]]:7: note: written here, in a lambda, which runs on a spawned thread
      std::this_thread::yield();
  }

private:
  bool done_ = false;
  std::future<void> fut_;
};

// An integer used as a flag (compared with a constant), a reset in the branch that leaves the loop,
// and the destructor as the stopping side of a loop that runs on a thread.
enum State { Running, Stopping };
class Pump {
public:
  Pump() : t_([this] { pump(); }) {}
  ~Pump() {
    state_ = Stopping;
    t_.join();
  }

private:
  void pump() {
    while (true) {
      // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop waits for plain 'State' flag 'state_'
      // CHECK-NOTES: :[[@LINE+1]]:11: note: 'state_' is read here
      if (state_ == Stopping) {
        state_ = Running; // the reset: it does not stop the loop
        return;
      }
      handle_one();
    }
  }
  // CHECK-NOTES: :[[@LINE-16]]:5: note: written here, in 'Pump::~Pump', while the loop runs on a spawned thread
  State state_ = Running;
  std::thread t_;
};

// pthread_create with a static trampoline: the loop is called from the thread's body.
class Reader {
public:
  void start() { pthread_create(&tid_, nullptr, &Reader::entry, this); }
  void stop() { quit_ = 1; }

private:
  static void *entry(void *self) {
    static_cast<Reader *>(self)->read_loop();
    return nullptr;
  }
  void read_loop() {
    char buf[64];
    while (!quit_)
      // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop waits for plain 'int' flag 'quit_'
      // CHECK-NOTES: :[[@LINE-2]]:13: note: 'quit_' is read here
      // CHECK-NOTES: :[[@LINE-12]]:17: note: written here, in 'Reader::stop', while the loop runs on a spawned thread
      recv(fd_, buf, sizeof buf, 0);
  }
  pthread_t tid_{};
  int fd_ = 0;
  int quit_ = 0;
};

// tether::safe_go and task_group::spawn start threads too; volatile is not atomic.
volatile bool g_drain;
void stop_draining() { g_drain = true; }
void drain(tether::task_group &g) {
  g.spawn([] {
    while (!g_drain)
      // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop waits for plain 'volatile bool' flag 'g_drain'
      // CHECK-NOTES: :[[@LINE-2]]:13: note: 'g_drain' is read here
      // CHECK-NOTES: :[[@LINE-6]]:24: note: written here, in 'stop_draining', while the loop runs on a spawned thread
      handle_one();
  });
}

// A write before the thread starts happens before it runs: the note shows the stopping side.
class Service {
public:
  void Start() {
    m_IsRunning = true;
    m_Thread = new std::thread(&Service::Run, this);
  }
  void Stop() { m_IsRunning = false; }

private:
  void Run() {
    while (m_IsRunning)
      // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'm_IsRunning'
      // CHECK-NOTES: :[[@LINE-2]]:12: note: 'm_IsRunning' is read here
      // CHECK-NOTES: :[[@LINE-7]]:17: note: written here, in 'Service::Stop', while the loop runs on a spawned thread
      handle_one();
  }
  bool m_IsRunning = false;
  std::thread *m_Thread = nullptr;
};

// ---- dead flag ----------------------------------------------------------------------------------

// A server's loop whose flag only the destructor sets: it runs on the caller's thread, and the
// destructor cannot run while run() does.
class Server {
public:
  ~Server() { isClose_ = true; }
  void run() {
    while (!isClose_) {
      // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop can never stop: it exits only through plain 'bool' flag 'isClose_', which nothing writes while the loop runs (only the destructor writes it, which cannot run while the loop does); make it 'std::atomic<bool>' and set it from the stopping side, or use 'std::stop_token' or 'tether::context' [tether-plain-stop-flag]
      // CHECK-NOTES: :[[@LINE-2]]:13: note: 'isClose_' is read here
      // CHECK-NOTES: :[[@LINE-5]]:15: note: written here, in 'Server::~Server', where the loop cannot be running
      accept_one();
    }
  }

private:
  void accept_one() { accept(listen_fd_, nullptr, nullptr); }
  int listen_fd_ = 0;
  bool isClose_ = false;
};

// Never written at all.
class Ticker {
public:
  void run() {
    do {
      // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop can never stop: it exits only through plain 'bool' flag 'stopped_', which nothing writes while the loop runs (it is never written); make it
      // CHECK-NOTES: :[[@LINE+3]]:15: note: 'stopped_' is read here
      handle_one();
      sleep(1);
    } while (!stopped_);
  }

private:
  bool stopped_ = false;
};

// A file-local global written only before the loop, in the loop's own function.
namespace {
bool quit_requested;
}
void main_loop() {
  quit_requested = false;
  for (;;) {
    // CHECK-NOTES: :[[@LINE-1]]:3: warning: loop can never stop: it exits only through plain 'bool' flag 'quit_requested', which nothing writes while the loop runs (only this function writes it, outside the loop)
    handle_one();
    // CHECK-NOTES: :[[@LINE+1]]:9: note: 'quit_requested' is read here
    if (quit_requested)
      return;
  }
  // CHECK-NOTES: :[[@LINE-8]]:3: note: written here, in 'main_loop', where the loop cannot be running
}

// A thread waiting for a flag that only the constructor sets, before it starts the thread.
class Gate {
public:
  Gate() {
    open_ = false;
    t_ = std::thread([this] { wait_open(); });
  }

private:
  void wait_open() {
    while (!open_)
      // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop can never stop: it exits only through plain 'bool' flag 'open_', which nothing writes while the loop runs (only a constructor writes it); make it
      // CHECK-NOTES: :[[@LINE-2]]:13: note: 'open_' is read here
      // CHECK-NOTES: :[[@LINE-9]]:5: note: written here, in 'Gate::Gate', where the loop cannot be running
      sleep(1);
  }
  bool open_;
  std::thread t_;
};

// The member initializers run first: the constructor's body races with the thread they started.
class LateGate {
public:
  LateGate() : t_([this] { wait_open(); }) { open_ = true; }

private:
  void wait_open() {
    while (!open_)
      // CHECK-NOTES: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'open_', which another thread writes while this loop reads it
      // CHECK-NOTES: :[[@LINE-2]]:13: note: 'open_' is read here
      // CHECK-NOTES: :[[@LINE-7]]:46: note: written here, in 'LateGate::LateGate', while the loop runs on a spawned thread
      sleep(1);
  }
  bool open_ = false;
  std::thread t_;
};

// ---- not reported -------------------------------------------------------------------------------

// Atomic flags, volatile sig_atomic_t, C11 _Atomic.
class AtomicWorker {
public:
  AtomicWorker() : t_([this] { while (running_) handle_one(); }) {}
  void stop() { running_ = false; }

private:
  std::atomic<bool> running_{true};
  std::thread t_;
};
volatile std::sig_atomic_t g_signalled;
void on_signal(int) { g_signalled = 1; }
void signal_loop() {
  std::thread([] { while (!g_signalled) pause(); }).detach();
}

// Only written before the thread starts: nothing races (and the loop may stop some other way).
class StartOnly {
public:
  void Start() {
    ready_ = true;
    t_ = std::thread([this] { while (ready_) handle_one(); });
  }

private:
  bool ready_ = false;
  std::thread t_;
};

// Locals: the function owns them.
void local_flag() {
  bool done = false;
  std::thread t([&] { done = true; });
  while (!done)
    handle_one();
  t.join();
}
struct Options {
  bool quit = false;
};
void local_object() {
  Options o;
  std::thread([] {}).detach();
  while (!o.quit)
    handle_one();
}
void writes_other_options(Options *p) { p->quit = true; }

// Written in the loop itself (not only in the leaving branch), or by a function the loop calls.
class SelfStopping {
public:
  SelfStopping() : t_([this] { loop(); loop2(); }) {}
  void stop() { running_ = false; more_ = false; }

private:
  void loop() {
    while (running_) {
      if (handle_count_++ > 10)
        running_ = false;
      handle_one();
    }
  }
  void step() {
    if (++handle_count_ > 10)
      more_ = false;
  }
  void loop2() {
    while (more_)
      step();
  }
  bool running_ = true, more_ = true;
  int handle_count_ = 0;
  std::thread t_;
};

// Read while a lock is held: the condition-variable pattern.
class Queue {
public:
  Queue() : t_([this] { consume(); consume_until_stopped(); }) {}
  void stop() {
    std::lock_guard g(m_);
    stop_ = true;
    cv_.notify_all();
  }

private:
  void consume() {
    std::unique_lock lk(m_);
    while (!stop_)
      cv_.wait(lk);
  }
  void consume_until_stopped() {
    while (true) {
      std::unique_lock lk(m_);
      cv_.wait(lk, [this] { return stop_ || !q_.empty(); });
      if (stop_)
        return;
      q_.pop();
    }
  }
  std::mutex m_;
  std::condition_variable cv_;
  std::queue<int> q_;
  bool stop_ = false;
  std::thread t_;
};

// No thread in sight: stop() may be called from anywhere, but nothing here says another thread does.
class Plain {
public:
  void run() {
    while (running_)
      handle_one();
  }
  void stop() { running_ = false; }

private:
  bool running_ = true;
};

// The loop has another way out; a counter is not a flag; a flag is not the only thing tested.
class Mixed {
public:
  Mixed() : t_([this] { a(); b(); }) {}
  void set(int n) { count_ = n; }

private:
  void a() {
    for (;;) {
      if (closed_)
        break;
      if (handle_count_ > 100)
        break;
      ++handle_count_;
    }
  }
  void b() {
    for (int i = 0; i < count_; ++i)
      handle_one();
  }
  bool closed_ = false;
  int count_ = 0, handle_count_ = 0;
  std::thread t_;
};

// Dead look-alikes: a public flag (another file may write it), a class whose member functions are
// not all defined here, a flag also tested with something else.
class PublicFlag {
public:
  void run() {
    while (!closing)
      handle_one();
  }
  bool closing = false;
};
class Elsewhere {
public:
  void run() {
    while (!closed_)
      handle_one();
  }
  void close(); // defined in another file
private:
  bool closed_ = false;
};
class Impure {
public:
  void run() {
    while (!closed_ && pending_ > 0)
      handle_one();
  }

private:
  bool closed_ = false;
  int pending_ = 0;
};

// Unevaluated: nothing runs.
class Unevaluated {
public:
  Unevaluated() : t_([this] { (void)sizeof([this] { while (!stop_) {} return 0; }()); }) {}
  void stop() { stop_ = true; }

private:
  bool stop_ = false;
  std::thread t_;
};
