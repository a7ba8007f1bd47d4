// RUN: %check_tidy %s tether-manual-lock %t
// RUN: %check_tidy -check-suffix=CXX14 %s tether-manual-lock %t -- -- -std=c++14

// The fix-it covers only the trivial shape: `m.lock();` first and `m.unlock();` last in one block,
// nothing between that leaves the block, relocks the mutex or declares a local with a destructor.

#include <mutex>
#include <string>

std::mutex m;
int counter;
bool ready();

void trivial() {
  m.lock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'lock()' on 'std::mutex'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:5: warning: manual 'lock()' on 'std::mutex'
  ++counter;
  for (int i = 0; i < 3; ++i)
    if (ready())
      break; // leaves the loop, not the block
  m.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'unlock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:5: warning: manual 'unlock()'
}
// CHECK-FIXES: {{^}}void trivial() {
// CHECK-FIXES-NEXT: {{^}}  std::lock_guard lk(m);{{$}}
// CHECK-FIXES: {{^}}      break; // leaves the loop, not the block{{$}}
// CHECK-FIXES-NOT: unlock
// CHECK-FIXES: {{^}}struct account {
// CHECK-FIXES-CXX14: {{^}}  std::lock_guard<std::mutex> lk(m);{{$}}

struct account {
  std::mutex mu_;
  int balance_ = 0;
  void deposit(int n) {
    mu_.lock();
    // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: manual 'lock()'
    // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:9: warning: manual 'lock()'
    balance_ += n;
    mu_.unlock();
    // CHECK-MESSAGES: :[[@LINE-1]]:9: warning: manual 'unlock()'
    // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:9: warning: manual 'unlock()'
  }
  // CHECK-FIXES: {{^}}    std::lock_guard lk(mu_);{{$}}
  // CHECK-FIXES: {{^}}    balance_ += n;{{$}}
  // CHECK-FIXES-NOT: unlock
  // CHECK-FIXES: {{^}}void through_pointer(
};

void through_pointer(std::mutex *p) {
  p->lock();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: manual 'lock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:6: warning: manual 'lock()'
  ++counter;
  p->unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:6: warning: manual 'unlock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:6: warning: manual 'unlock()'
}
// CHECK-FIXES: {{^}}  std::lock_guard lk(*p);{{$}}
// CHECK-FIXES-NOT: p->unlock
// CHECK-FIXES: {{^}}void early_exit() {

// --- No fix-it: each of these would change what the code does. ---------------------------------

void early_exit() {
  m.lock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'lock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:5: warning: manual 'lock()'
  if (ready())
    return;
  m.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'unlock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:5: warning: manual 'unlock()'
}
// CHECK-FIXES-NEXT: {{^}}  m.lock();{{$}}

void relocked() {
  m.lock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'lock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:5: warning: manual 'lock()'
  m.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'unlock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:5: warning: manual 'unlock()'
  ready();
  m.lock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'lock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:5: warning: manual 'lock()'
  m.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'unlock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:5: warning: manual 'unlock()'
}
// CHECK-FIXES: {{^}}void relocked() {
// CHECK-FIXES-NEXT: {{^}}  m.lock();{{$}}

void destructor_would_move(std::string &out) {
  m.lock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'lock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:5: warning: manual 'lock()'
  std::string copy = out;
  m.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'unlock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:5: warning: manual 'unlock()'
}
// CHECK-FIXES: {{^}}void destructor_would_move(std::string &out) {
// CHECK-FIXES-NEXT: {{^}}  m.lock();{{$}}

void name_taken(std::mutex &other) {
  m.lock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'lock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:5: warning: manual 'lock()'
  int lk = counter;
  counter = lk + 1;
  m.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'unlock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:5: warning: manual 'unlock()'
}
// CHECK-FIXES: {{^}}void name_taken(std::mutex &other) {
// CHECK-FIXES-NEXT: {{^}}  m.lock();{{$}}

#define LOCK_M m.lock()
void in_macro() {
  LOCK_M;
  // CHECK-MESSAGES: :[[@LINE-1]]:3: warning: manual 'lock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:3: warning: manual 'lock()'
  ++counter;
  m.unlock();
  // CHECK-MESSAGES: :[[@LINE-1]]:5: warning: manual 'unlock()'
  // CHECK-MESSAGES-CXX14: :[[@LINE-2]]:5: warning: manual 'unlock()'
}
// CHECK-FIXES: {{^}}  LOCK_M;{{$}}
