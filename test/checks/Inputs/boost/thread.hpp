// Minimal mock of <boost/thread.hpp> for the tether-raw-thread / tether-thread-detach tests.
#ifndef TETHER_TEST_MOCK_BOOST_THREAD_HPP
#define TETHER_TEST_MOCK_BOOST_THREAD_HPP

namespace boost {

class thread {
public:
  class id {};
  thread() noexcept;
  template <class F, class... A> explicit thread(F &&f, A &&...args) {}
  thread(thread &&other) noexcept;
  thread &operator=(thread &&other) noexcept;
  thread(const thread &) = delete;
  thread &operator=(const thread &) = delete;
  ~thread();

  void join();
  bool try_join_for(long ms);
  void detach();
  void interrupt();
  bool joinable() const noexcept;
  id get_id() const noexcept;
  static unsigned hardware_concurrency() noexcept;
};

// Creates and owns threads; spawns inside the library.
class thread_group {
public:
  template <class F> thread *create_thread(F f) { return nullptr; }
  void add_thread(thread *t);
  void join_all();
};

namespace this_thread {
void yield() noexcept;
void sleep_for(long ms);
} // namespace this_thread

} // namespace boost

#endif
