// Expects a diagnostic on the wrong column: check_tidy must fail.
void f() {
  try { f(); } catch (...) {}
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: empty catch statements
}
