// Internal: job memory (job_memory.cpp) - job_alloc/job_dealloc (declared in tether/task_group.h) and the
// depot behind them.
//
// Owns: 128-byte blocks for jobs whose body fits, kept in per-thread caches (a list of fewer than a batch of
// kBatch blocks plus one spare full batch) that trade whole batches through a shared depot, so a job spawned
// on one thread and finished on another costs neither thread a malloc/free. Bigger or over-aligned bodies
// use operator new.
//
// Thread safety and ordering:
// - The per-thread caches are thread-local and touched only by their thread; at thread exit a flusher
//   hands the spare batch to the depot and frees the rest, and from then on that thread uses malloc/free.
// - The depot is a mutex-guarded stack of batches; a cache takes or gives one whole batch per lock. It is
//   immortal (replaced, never freed, in a forked child).
// - Under ASan a free block's body is poisoned, so a job used after its task finished is reported.
// - The depot's mutex guards only list splicing: nothing is allocated or freed under it (depot_trim frees
//   after unlocking).
#pragma once

#include "fork.h"

#include <chrono>
#include <cstddef>

namespace tether::detail {

// Batches (1 MiB) the depot keeps once the pool has been idle for a while (the monitor trims to this).
constexpr std::size_t kDepotKeep = 128;

// Frees the depot's batches beyond `keep` (the monitor, after kTrimAfter without work).
void depot_trim(std::size_t keep) noexcept;

// fork(): prepare builds the depot; the child gets a fresh one. Aborts if the child is out of memory.
void job_memory_atfork(fork_phase phase) noexcept;

}  // namespace tether::detail
