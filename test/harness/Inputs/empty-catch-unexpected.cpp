// One diagnostic is expected, two are produced: check_tidy must fail.
void f() {
  try { f(); } catch (...) {}
  // CHECK-MESSAGES: :[[@LINE-1]]:16: warning: empty catch statements
  try { f(); } catch (...) {}
}
