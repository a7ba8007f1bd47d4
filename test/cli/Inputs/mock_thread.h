// A stand-in for <thread> that parses in no time: tether-raw-thread and tether-thread-detach match
// std::thread by name, so the runner's tests need no real standard library.
#pragma once
namespace std {
class thread {
public:
  template <class F> explicit thread(F &&) {}
  void join() {}
  void detach() {}
};
} // namespace std
