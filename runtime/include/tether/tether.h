// tether/tether.h - the whole runtime (tether/testing.h is separate: it needs GoogleTest).
#pragma once

#include <tether/bounded_map.h>
#include <tether/context.h>
#include <tether/error_hook.h>
#include <tether/every.h>
#include <tether/metrics.h>
#include <tether/registry.h>
#include <tether/safe_go.h>
#include <tether/shutdown_manager.h>
#include <tether/sleep.h>
#include <tether/task_group.h>
#include <tether/worker_pool.h>

#include <nlohmann/json.hpp>  // for registry::snapshot_json()
