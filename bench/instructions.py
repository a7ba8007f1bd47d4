#!/usr/bin/env python3
"""Instructions per operation, measured with callgrind: a load-independent complement to the timings
(the bench machine is shared, so its timings are noisy; instruction counts are not).

    instructions.py [--bin build-bench/bin] [--cache]

For each case of instr_driver, runs it under `valgrind --tool=callgrind` with COUNT and 2*COUNT
operations and reports (Ir(2*COUNT) - Ir(COUNT)) / COUNT: the instructions one more operation costs,
everything fixed (start-up, thread pool creation, map fill) cancelled out. task_group is counted at two
sizes, COUNT = 5*10^4 and 5*10^5 (so the runs span 10^5 and 10^6 tasks, the sizes of its target). --cache also simulates the
caches (slower) and reports L1 data-cache misses per operation (callgrind's model of this CPU's caches),
which is what separates an LRU map from a plain hash map. Callgrind runs one thread at a time, so for task_group the counts show the work
per task, not contention or wake-up latency (those only the timings show).

Threads are scheduled with --fair-sched=yes (valgrind hands its lock round-robin). Under the default
scheduling one thread keeps the lock for long stretches, so how long idle workers spin depends on when the
OS happens to switch threads: task_group/tether moved from ~450 (loaded machine) to 802 (quiet machine)
instructions per task with no code change, and the metrics on/off difference was lost in it. With fair
scheduling the same cases count 495-511, run to run and loaded or not.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# Operations per run (the second run does twice as many). Several values: one row per value.
COUNTS = {"safe_go": [200], "task_group": [50000, 500000], "worker_pool": [20000], "bounded_map": [200000],
          "metrics": [50000]}


def totals(driver, case, count, cache):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "cg.out")
        cmd = ["valgrind", "--tool=callgrind", "--fair-sched=yes", f"--callgrind-out-file={out}"]
        if cache:
            cmd.append("--cache-sim=yes")
        subprocess.run(cmd + [driver, case, str(count)], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        events, vals = None, None
        with open(out) as fh:
            for line in fh:
                if line.startswith("events:"):
                    events = line.split()[1:]
                elif line.startswith("totals:") or line.startswith("summary:"):
                    vals = [int(v) for v in line.split()[1:]]
        return dict(zip(events, vals))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bin", default=os.path.join(ROOT, "build-bench", "bin"))
    p.add_argument("--cache", action="store_true", help="also simulate caches: L1 data misses per op for bounded_map")
    p.add_argument("--filter", help="only the cases matching this regex")
    a = p.parse_args()
    driver = os.path.join(a.bin, "instr_driver")
    if not os.access(driver, os.X_OK):
        sys.exit(f"instructions: {driver} not found (bench/run.sh builds it)")
    cases = subprocess.run([driver, "--list"], check=True, capture_output=True, text=True).stdout.split()
    print("| case | instructions / op |" + (" L1 data misses / op |" if a.cache else ""))
    print("|---|---|" + ("---|" if a.cache else ""))
    for case in cases:
        if a.filter and not re.search(a.filter, case):
            continue
        counts = COUNTS[case.split("/")[0]]
        for n in counts:
            cache = a.cache and case.startswith("bounded_map/")
            t1, t2 = totals(driver, case, n, cache), totals(driver, case, 2 * n, cache)
            ir = (t2["Ir"] - t1["Ir"]) / n
            label = case if len(counts) == 1 else f"{case} (n: {n:,} -> {2 * n:,})"
            row = f"| {label} | {ir:,.0f} |"
            if a.cache:
                row += f" {(t2['D1mr'] + t2['D1mw'] - t1['D1mr'] - t1['D1mw']) / n:.2f} |" if cache else " |"
            print(row, flush=True)


if __name__ == "__main__":
    main()
