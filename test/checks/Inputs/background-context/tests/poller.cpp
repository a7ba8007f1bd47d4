// Test code (the directory says so).
#include "unguarded-loop/tether_mock.h"
void poll_once(const tether::context &ctx);
void start_poller() { poll_once(tether::context{}); }
