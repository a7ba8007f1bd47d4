// Test code (the file name says so): tests start work on the background context as their root.
#include "unguarded-loop/tether_mock.h"
void start_audit() {
  tether::safe_go(tether::background(), "audit", tether::policy::keep_running, [] {});
}
