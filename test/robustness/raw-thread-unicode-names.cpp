// RUN: %check_tidy %s tether-raw-thread %t -- \
// RUN:   -config="{CheckOptions: {tether-raw-thread.ThreadTypes: '::nämespace::thrëad;поток', tether-raw-thread.SpawnFunctions: '::スレッド開始'}}" -- -std=c++20

// Legal non-ASCII C++ names (UTF-8 identifiers) in name lists are accepted and matched (issue 9:
// they used to be rejected as invalid qualified names).

namespace nämespace {
struct thrëad { template <class F> explicit thrëad(F) {} };
} // namespace nämespace
struct поток { template <class F> explicit поток(F) {} };
void スレッド開始(void (*)());
void work();

void spawn() {
  nämespace::thrëad a(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:23: warning: raw thread creation with 'nämespace::thrëad'; spawn
  поток b(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:{{[0-9]+}}: warning: raw thread creation with 'поток'; spawn
  スレッド開始(work);
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: call to 'スレッド開始' starts an untracked thread
}
