// RUN: %check_tidy %s tether-plain-stop-flag %t -- -- -std=c++20

// Templates are judged by their pattern and reported once, however many instantiations there are;
// loops and flag reads written in macros are reported where the macro is used.

#include <thread>
#include <vector>

void work();

template <class T>
class Pump {
public:
  Pump() : t_([this] { loop(); }) {}
  void stop() { running_ = false; }

private:
  void loop() {
    while (running_)
      // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'running_'
      items_.push_back(T());
  }
  bool running_ = true;
  std::vector<T> items_;
  std::thread t_;
};
Pump<int> pi;
Pump<double> pd;

// A flag whose type depends on the template argument: decided by nothing (not a flag as written).
template <class Flag>
class Generic {
public:
  Generic() : t_([this] { while (!stop_) work(); }) {}
  void stop() { stop_ = Flag(true); }

private:
  Flag stop_{};
  std::thread t_;
};
Generic<bool> gb;

// Threads started with emplace_back.
class Pool {
public:
  explicit Pool(int n) {
    for (int i = 0; i < n; ++i)
      threads_.emplace_back(&Pool::worker, this);
  }
  void shutdown() { shutdown_ = true; }

private:
  void worker() {
    while (!shutdown_)
      // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'shutdown_'
      work();
  }
  bool shutdown_ = false;
  std::vector<std::thread> threads_;
};

// Macros: the loop, and the read of the flag.
#define UNTIL(cond) while (!(cond))
#define STOPPING (stopping_)
class Macro {
public:
  Macro() : t_([this] { a(); b(); }) {}
  void stop() { stopping_ = true; }

private:
  void a() {
    UNTIL(stopping_) work();
    // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'stopping_'
  }
  void b() {
    while (!STOPPING)
      // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: loop waits for plain 'bool' flag 'stopping_'
      work();
  }
  bool stopping_ = false;
  std::thread t_;
};

// NOLINT silences a finding at the loop keyword.
class Silenced {
public:
  Silenced() : t_([this] { loop(); }) {}
  void stop() { stop_ = true; }

private:
  void loop() {
    while (!stop_) // NOLINT(tether-plain-stop-flag): single-core board, stop_ is written by an ISR-safe path
      work();
  }
  bool stop_ = false;
  std::thread t_;
};
