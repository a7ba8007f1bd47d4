// shutdown_manager: reverse-order stop steps under one budget; signals taken with sigwait() on a safe_go task.
//
// Each step runs on its own safe_go task so that a step that never returns cannot hold up the steps after it
// or run() itself: the caller waits for the step only until the shared deadline.
#include <tether/registry.h>
#include <tether/safe_go.h>
#include <tether/shutdown_manager.h>

#include "error_report.h"
#include "shutdown.h"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <unordered_set>
#include <utility>

namespace tether {

const char* to_string(shutdown_manager::step_status s) noexcept {
  switch (s) {
    case shutdown_manager::step_status::ok:
      return "ok";
    case shutdown_manager::step_status::failed:
      return "failed";
    case shutdown_manager::step_status::timed_out:
      return "timed_out";
  }
  return "unknown";
}

namespace {

using clock = std::chrono::steady_clock;

long long to_ms(clock::duration d) {
  return static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    case SIGQUIT:
      return "SIGQUIT";
    case SIGUSR1:
      return "SIGUSR1";
    case SIGUSR2:
      return "SIGUSR2";
    default:
      return "signal " + std::to_string(sig);
  }
}

sigset_t make_sigset(std::initializer_list<int> signals, const char* api) {
  if (signals.size() == 0) throw std::invalid_argument(std::string(api) + ": the signal list is empty");
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) {
    if (s <= 0 || s >= NSIG) {
      throw std::invalid_argument(std::string(api) + ": " + std::to_string(s) + " is not a signal number");
    }
    if (s == SIGKILL || s == SIGSTOP) {
      throw std::invalid_argument(std::string(api) + ": " + signal_name(s) +
                                  " cannot be waited for (it cannot be blocked or caught)");
    }
    sigaddset(&set, s);
  }
  return set;
}

// Passes `line` to `hook` (or prints it to stderr); a throwing hook must not stop the shutdown.
void emit(const shutdown_manager::log_hook& hook, const std::string& line) noexcept {
  try {
    if (hook) {
      hook(line);
    } else {
      std::fprintf(stderr, "tether: shutdown: %s\n", line.c_str());
      std::fflush(stderr);
    }
  } catch (...) {
  }
}

// What a step's task and run() share.
struct step_sync {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  std::exception_ptr error;
};

}  // namespace

struct shutdown_manager::state {
  struct step {
    std::string name;
    step_fn fn;
  };
  mutable std::mutex m;
  std::vector<step> steps;  // guarded by m
  log_hook log;             // guarded by m
  bool started = false;     // guarded by m
};

bool shutdown_manager::report::ok() const noexcept {
  return stragglers.empty() &&
         std::all_of(steps.begin(), steps.end(), [](const step_result& s) { return s.status == step_status::ok; });
}

std::string shutdown_manager::report::summary() const {
  std::string out = std::to_string(steps.size()) + (steps.size() == 1 ? " step" : " steps") + " in " +
                    std::to_string(to_ms(elapsed)) + " ms";
  std::string failed, timed_out;
  std::size_t nfailed = 0, ntimed = 0;
  for (const auto& s : steps) {
    if (s.status == step_status::failed) {
      failed += (nfailed++ ? ", " : "") + s.name + ": " + s.error;
    } else if (s.status == step_status::timed_out) {
      timed_out += (ntimed++ ? ", " : "") + s.name;
    }
  }
  if (ok()) return out + ": ok";
  out += ":";
  const char* sep = " ";
  if (nfailed) {
    out += sep + std::to_string(nfailed) + " failed (" + failed + ")";
    sep = ", ";
  }
  if (ntimed) out += sep + std::to_string(ntimed) + " timed out (" + timed_out + ")";
  if (!stragglers.empty()) {
    out += (nfailed || ntimed ? "; " : " ") + std::to_string(stragglers.size()) +
           (stragglers.size() == 1 ? " straggler" : " stragglers");
  }
  return out;
}

shutdown_manager::shutdown_manager() : st_(std::make_unique<state>()) {}
shutdown_manager::~shutdown_manager() = default;

void shutdown_manager::add(std::string_view name, step_fn step) {
  if (name.empty()) throw std::invalid_argument("tether::shutdown_manager::add: the step name is empty");
  if (!step) {
    throw std::invalid_argument("tether::shutdown_manager::add: step '" + std::string(name) + "' has an empty function");
  }
  std::lock_guard lk(st_->m);
  if (st_->started) {
    throw std::logic_error("tether::shutdown_manager::add: step '" + std::string(name) +
                           "' added after the shutdown started");
  }
  for (const auto& s : st_->steps) {
    if (s.name == name) {
      throw std::invalid_argument("tether::shutdown_manager::add: a step named '" + std::string(name) +
                                  "' is already registered");
    }
  }
  st_->steps.push_back(state::step{std::string(name), std::move(step)});
}

std::vector<std::string> shutdown_manager::steps() const {
  std::lock_guard lk(st_->m);
  std::vector<std::string> out;
  for (const auto& s : st_->steps) out.push_back(s.name);
  return out;
}

shutdown_manager::log_hook shutdown_manager::set_log_hook(log_hook hook) {
  std::lock_guard lk(st_->m);
  return std::exchange(st_->log, std::move(hook));
}

shutdown_manager::report shutdown_manager::run(std::chrono::milliseconds budget) {
  if (budget <= budget.zero()) {
    throw std::invalid_argument("tether::shutdown_manager::run: the budget must be positive (got " +
                                std::to_string(budget.count()) + " ms)");
  }
  std::vector<state::step> steps;
  log_hook hook;
  {
    std::lock_guard lk(st_->m);
    if (st_->started) throw std::logic_error("tether::shutdown_manager::run: the steps already ran");
    st_->started = true;
    steps = std::move(st_->steps);
    st_->steps.clear();
    hook = st_->log;
  }
  auto log = [&hook](const std::string& line) { emit(hook, line); };

  report r;
  const auto start = clock::now();
  const auto deadline = start + std::chrono::ceil<clock::duration>(budget);
  log("running " + std::to_string(steps.size()) + " step(s), budget " + std::to_string(budget.count()) + " ms");
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    step_result res;
    res.name = it->name;
    const auto t0 = clock::now();
    log("stopping '" + res.name + "' (" + std::to_string(std::max(0LL, to_ms(deadline - t0))) + " ms left)");
    auto sync = std::make_shared<step_sync>();
    auto [ctx, cancel] = with_deadline(background(), deadline);
    task t;
    try {
      t = safe_go(ctx, "shutdown:" + res.name, policy::keep_running,  // NOLINT(tether-spawn-in-loop,tether-component-name): one step at a time, joined before the next; names come from add()
                  [sync, fn = std::move(it->fn)](const context& c) {
                    std::exception_ptr error;
                    try {
                      fn(c);
                    } catch (...) {
                      error = std::current_exception();
                    }
                    std::lock_guard lk(sync->m);
                    sync->error = error;
                    sync->done = true;
                    sync->cv.notify_all();
                  });
    } catch (const std::exception& e) {
      res.status = step_status::failed;
      res.error = std::string("could not start the step: ") + e.what();
    }
    if (t.joinable()) {
      std::unique_lock lk(sync->m);
      if (sync->cv.wait_until(lk, deadline, [&] { return sync->done; })) {
        res.elapsed = clock::now() - t0;
        if (sync->error) {
          res.status = step_status::failed;
          res.error = detail::exception_message(sync->error);
        }
        lk.unlock();
        t.join();
      } else {
        res.elapsed = std::max(deadline, t0) - t0;
        res.status = step_status::timed_out;
        res.error = "still running at the deadline (" + std::to_string(budget.count()) + " ms budget)";
        // Dropping the handle leaves the step to the runtime: it stays registered (a straggler) and is
        // joined when it returns.
      }
    }
    std::string line = "'" + res.name + "' " + to_string(res.status) + " in " + std::to_string(to_ms(res.elapsed)) + " ms";
    if (!res.error.empty()) line += ": " + res.error;
    log(line);
    r.steps.push_back(std::move(res));
  }

  // Whatever is still live now did not stop. A task calling run() would wait for itself: just look then.
  std::vector<std::uint64_t> own;
  detail::own_group_tasks(own);
  if (const auto id = detail::own_thread_task(); id != 0) own.push_back(id);
  if (own.empty()) registry::wait_idle(std::max(deadline - clock::now(), clock::duration::zero()));
  const std::unordered_set<std::uint64_t> self(own.begin(), own.end());
  for (auto& t : registry::snapshot()) {
    if (!self.contains(t.id)) r.stragglers.push_back(std::move(t));
  }
  for (const auto& s : r.stragglers) log("straggler: " + describe(s));
  r.elapsed = clock::now() - start;
  log(r.summary());
  return r;
}

void shutdown_manager::block_signals(std::initializer_list<int> signals) {
  const sigset_t set = make_sigset(signals, "tether::shutdown_manager::block_signals");
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

shutdown_manager::report shutdown_manager::run_on_signal(std::chrono::milliseconds budget,
                                                         std::initializer_list<int> signals, const context& stop) {
  const sigset_t set = make_sigset(signals, "tether::shutdown_manager::run_on_signal");
  if (budget <= budget.zero()) {
    throw std::invalid_argument("tether::shutdown_manager::run_on_signal: the budget must be positive (got " +
                                std::to_string(budget.count()) + " ms)");
  }
  {
    std::lock_guard lk(st_->m);
    if (st_->started) throw std::logic_error("tether::shutdown_manager::run_on_signal: the steps already ran");
  }
  pthread_sigmask(SIG_BLOCK, &set, nullptr);  // the waiting task inherits the mask

  // The waiter is woken by a signal, or by `stop` (or process exit) through a signal sent to itself.
  struct waiter {
    std::mutex m;
    pthread_t thread{};
    bool woken = false;  // by the context, not by a signal
    int sig = 0;
  };
  auto w = std::make_shared<waiter>();
  const int wake_sig = *signals.begin();
  auto t = safe_go(stop, "shutdown_manager:signals", policy::keep_running, [w, set, wake_sig](const context& c) {
    {
      std::lock_guard lk(w->m);
      w->thread = pthread_self();
    }
    std::stop_callback on_stop(c.stop_token(), [w, wake_sig] {
      std::lock_guard lk(w->m);
      w->woken = true;
      pthread_kill(w->thread, wake_sig);  // blocked here, so it stays pending until sigwait takes it
    });
    int sig = 0;
    while (sigwait(&set, &sig) != 0) {
    }
    std::lock_guard lk(w->m);
    if (!w->woken) w->sig = sig;
  });
  t.join();
  int sig = 0;
  {
    std::lock_guard lk(w->m);
    sig = w->sig;
  }
  {
    log_hook hook;
    {
      std::lock_guard lk(st_->m);
      hook = st_->log;
    }
    emit(hook, sig != 0 ? "received " + signal_name(sig) : std::string("stop context cancelled"));
  }
  report r = run(budget);
  r.signal = sig;
  return r;
}

}  // namespace tether
