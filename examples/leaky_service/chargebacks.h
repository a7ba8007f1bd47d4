// Tells merchants about chargebacks and keeps an audit trail of them.
#pragma once
#include <tether/context.h>

#include <vector>

struct chargeback {
  int id;
  long amount_cents;
};

void process_chargebacks(const tether::context &ctx, const std::vector<chargeback> &batch);
