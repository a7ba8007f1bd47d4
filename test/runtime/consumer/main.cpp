// A tiny program built against tether the way a user would (find_package or add_subdirectory).
#include <tether/tether.h>

#include <atomic>
#include <cstdio>

int main() {
  using namespace std::chrono_literals;
  auto [ctx, cancel] = tether::with_timeout(tether::background(), 10s);
  std::atomic<int> sum{0};
  {
    tether::task_group g(ctx, "consumer-batch", 2);
    for (int i = 1; i <= 10; ++i) g.spawn([&sum, i] { sum += i; });
    g.wait();
  }
  auto t = tether::safe_go(ctx, "consumer-ticker", tether::policy::keep_running,
                           [](const tether::context& c) { tether::every(c, 1ms, [] {}); });
  tether::bounded_map<int, int> m(2);
  m.put(1, 1);
  m.put(2, 2);
  m.put(3, 3);
  const auto json = tether::registry::snapshot_json();
  cancel();
  t.join();
  const bool ok = sum == 55 && m.size() == 2 && m.eviction_count() == 1 && json.is_array() &&
                  tether::registry::wait_idle(5s) && ctx.err() == tether::errc::cancelled;
  std::printf("tether consumer: %s\n", ok ? "ok" : "FAILED");
  return ok ? 0 : 1;
}
