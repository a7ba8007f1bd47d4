// No CHECK lines means no diagnostics are expected: check_tidy must fail on this one.
void f() {
  try { f(); } catch (...) {}
}
