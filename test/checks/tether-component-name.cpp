// RUN: %check_tidy %s tether-component-name %t
//
// ComponentPattern: constant names must match it (searched; anchor it to match whole names).
// RUN: %check_tidy -check-suffixes=,PATTERN %s tether-component-name %t -- \
// RUN:   -config="{CheckOptions: {tether-component-name.ComponentPattern: '^[a-z][a-z0-9-]*$'}}" -- -std=c++20
//
// Every option is written back; a bad pattern is a configuration error naming the option in full.
// RUN: %tether_tidy %s --checks='-*,tether-component-name' --dump-config -- -std=c++20 | FileCheck %s --check-prefix=DUMP
// DUMP: tether-component-name.ComponentPattern: ''
// RUN: %tether_tidy %s --checks='-*,tether-component-name' --dump-config \
// RUN:   --config="{CheckOptions: {tether-component-name.ComponentPattern: '^[a-z-]+$'}}" -- -std=c++20 \
// RUN:   | FileCheck %s --check-prefix=DUMP-SET
// DUMP-SET: tether-component-name.ComponentPattern: '^[a-z-]+$'
// RUN: not %tether_tidy %s --checks='-*,tether-component-name' \
// RUN:   --config="{CheckOptions: {tether-component-name.ComponentPattern: '[a-z'}}" -- -std=c++20 2>&1 \
// RUN:   | FileCheck %s --check-prefix=BAD
// BAD: error: invalid regular expression '[a-z' for option 'tether-component-name.ComponentPattern': brackets ([ ]) not balanced [clang-tidy-config]

#include <string>
#include <string_view>
#include "unguarded-loop/tether_mock.h"

using namespace std::string_view_literals;
using tether::policy;

// --- Flagged. -----------------------------------------------------------------------------------

// SafeGoWithContext's C++ form: no name at all.
void nameless(const tether::context &ctx) {
  tether::safe_go(ctx, "", policy::keep_running, [] {});
  // CHECK-MESSAGES: :[[@LINE-1]]:24: warning: empty component name: 'tether::safe_go' throws 'std::invalid_argument' for it; name the task with a constant component (the part of the system it belongs to) [tether-component-name]
  tether::task_group group(ctx);
  // CHECK-MESSAGES: :[[@LINE-1]]:22: warning: 'tether::task_group' constructed without a component: its tasks are registered under the default name 'task_group', shared by every such group; name the task with a constant component (the part of the system it belongs to) [tether-component-name]
  tether::task_group empty(ctx, "", 4);
  // CHECK-MESSAGES: :[[@LINE-1]]:33: warning: empty component name: 'tether::task_group' throws 'std::invalid_argument' for it
}

// A name built at run time: one metrics series per value.
void per_user(const tether::context &ctx, const std::string &user_id, int shard) {
  tether::safe_go(ctx, "session-" + user_id, policy::keep_running, [] {});
  // CHECK-MESSAGES: :[[@LINE-1]]:24: warning: component name of 'tether::safe_go' is computed at run time: every distinct value is a new metrics series and failures cannot be grouped by it; name the task with a constant component (the part of the system it belongs to), and put the varying part in the task's own logs [tether-component-name]
  std::string name = "shard-" + std::to_string(shard);
  tether::task_group group(ctx, name, 4);
  // CHECK-MESSAGES: :[[@LINE-1]]:33: warning: component name of 'tether::task_group' is computed at run time
}

// Macros: reported where the macro is used.
#define GO(ctx, name) tether::safe_go(ctx, name, policy::keep_running, [] {})
void macro_use(const tether::context &ctx, std::string_view dynamic) {
  GO(ctx, dynamic);
  // CHECK-MESSAGES: :[[@LINE-1]]:11: warning: component name of 'tether::safe_go' is computed at run time
  GO(ctx, "Macro Name");
  // CHECK-MESSAGES-PATTERN: :[[@LINE-1]]:11: warning: component name 'Macro Name' does not match the naming pattern '^[a-z][a-z0-9-]*$' (ComponentPattern) [tether-component-name]
}

// Templates: judged per instantiation, reported once.
struct ingest { static constexpr std::string_view name = "ingest"; };
struct Export { static constexpr std::string_view name = "Export"; };
template <class Stage> void run_stage(const tether::context &ctx) {
  tether::safe_go(ctx, Stage::name, policy::keep_running, [] {});
  // CHECK-MESSAGES-PATTERN: :[[@LINE-1]]:24: warning: component name 'Export' does not match the naming pattern
  tether::task_group workers(ctx);
  // CHECK-MESSAGES: :[[@LINE-1]]:22: warning: 'tether::task_group' constructed without a component
}
template <class F> void spawn_named(const tether::context &ctx, const std::string &prefix, F f) {
  tether::safe_go(ctx, prefix + "-worker", policy::keep_running, f);
  // CHECK-MESSAGES: :[[@LINE-1]]:24: warning: component name of 'tether::safe_go' is computed at run time
}
void instantiate(const tether::context &ctx) {
  run_stage<ingest>(ctx);
  run_stage<Export>(ctx);
  spawn_named(ctx, "a", [] {});
  spawn_named(ctx, "b", [](const tether::context &) {});
}

// ComponentPattern: only constants are checked against it.
void pattern(const tether::context &ctx, bool primary) {
  tether::safe_go(ctx, "Key_Refresher", policy::keep_running, [] {});
  // CHECK-MESSAGES-PATTERN: :[[@LINE-1]]:24: warning: component name 'Key_Refresher' does not match the naming pattern '^[a-z][a-z0-9-]*$' (ComponentPattern)
  tether::safe_go(ctx, primary ? "replica-primary" : "Replica", policy::keep_running, [] {});
  // CHECK-MESSAGES-PATTERN: :[[@LINE-1]]:24: warning: component name 'Replica' does not match
}

// --- Not reported. ------------------------------------------------------------------------------

constexpr std::string_view kIndexer = "indexer";
const char *const kCompactor = "compactor";
constexpr const char kFlusher[] = "flusher";
const std::string kReaper = "reaper";
constexpr std::string_view component_of(int kind) { return kind == 0 ? "zero" : "other"; }

void constant_names(const tether::context &ctx, bool primary) {
  tether::safe_go(ctx, "key-refresher", policy::keep_running, [] {});
  tether::safe_go(ctx, "key-refresher"sv, policy::keep_running, [] {});
  tether::safe_go(ctx, kIndexer, policy::keep_running, [] {});
  tether::safe_go(ctx, kCompactor, policy::keep_running, [] {});
  tether::safe_go(ctx, kFlusher, policy::keep_running, [] {});
  tether::safe_go(ctx, kReaper, policy::keep_running, [] {});
  tether::safe_go(ctx, component_of(1), policy::keep_running, [] {});
  tether::safe_go(ctx, primary ? "primary" : "replica", policy::keep_running, [] {});
  tether::task_group group(ctx, "batch-import", 8);
  tether::task_group named(ctx, kIndexer);
  (void)sizeof(tether::safe_go(ctx, "", policy::keep_running, [] {}));
}

// Look-alikes: not the tether runtime.
namespace mine {
struct context {};
template <class F> void safe_go(const context &, std::string_view, F) {}
struct task_group {
  explicit task_group(const context &, std::string_view component = "task_group");
};
} // namespace mine
void look_alikes(const std::string &dynamic) {
  mine::safe_go(mine::context{}, "", [] {});
  mine::safe_go(mine::context{}, dynamic, [] {});
  mine::task_group g(mine::context{});
}
