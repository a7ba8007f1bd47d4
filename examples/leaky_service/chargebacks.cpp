#include "chargebacks.h"

#include <tether/safe_go.h>
#include <tether/sleep.h>
#include <tether/task_group.h>

#include <chrono>

namespace {
void notify_merchant(const tether::context &ctx, const chargeback &c) {
  // Stands in for an HTTP POST to the merchant's webhook.
  tether::sleep_for(ctx, std::chrono::milliseconds(c.amount_cents % 7));
}
void write_audit_record(std::size_t count) { (void)count; }
} // namespace

// Already on the tether runtime, and still the Go reviews' worst incidents: using the approved spawn
// API is not enough.
void process_chargebacks(const tether::context &ctx, const std::vector<chargeback> &batch) {
  // One task per chargeback: a batch of 10,000 is 10,000 concurrent calls (CRITICAL-3).
  for (const chargeback &c : batch)
    tether::safe_go(ctx, "chargeback-notify", tether::policy::keep_running,
                    [c](const tether::context &task_ctx) { notify_merchant(task_ctx, c); });
  // The audit trail is written on a context nothing cancels instead of the caller's (CRITICAL-4), by a
  // group without a name: its failures show up as 'task_group', like every other nameless group's.
  tether::task_group audit(tether::background());
  audit.spawn([n = batch.size()] { write_audit_record(n); });
  audit.wait();
}
