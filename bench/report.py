#!/usr/bin/env python3
"""Turns Google Benchmark JSON (from bench/run.sh) into ratio tables: tether vs the peers measured in the
same run, so machine speed and load cancel out as far as they can.

    report.py OUT.json [OUT.json ...] [--markdown] [--cpu]

Benchmark names are "<topic>/<impl>/<case>[/...]" (see bench/bench_util.h). Each JSON must hold the
aggregates of a run with --benchmark_repetitions (the median is used; a run without repetitions is
accepted and its single value used). A ratio is tether time / peer time: below 1.00x tether is faster.
--cpu uses CPU time instead of real time (process CPU time where the benchmark measures it).
"""
import argparse
import json
import re
import sys
from collections import OrderedDict

# For each topic: the tether impls (rows), the peers (columns) and the targets checked at the end:
# (subject, peer, case regex, max ratio, description).
TOPICS = OrderedDict([
    ("safe_go", {
        "subjects": ["tether", "tether_ctx", "tether_notrack"],
        "peers": ["std_thread", "std_jthread"],
        "targets": [("tether", "std_thread", r".", 1.10, "safe_go spawn+join within 1.1x of std::thread")],
    }),
    ("task_group", {
        "subjects": ["tether", "tether_limit", "tether_notrack"],
        "peers": ["tbb", "pool", "pool_limit", "std_async"],
        "targets": [("tether", "tbb", r"^empty/n:(100000|1000000)$", 1.50,
                     "task_group empty tasks within 1.5x of oneTBB at 10^5 and 10^6 tasks")],
    }),
    ("worker_pool", {
        "subjects": ["tether"],
        "peers": ["pool_limit", "tbb_arena"],
        "targets": [("tether", "pool_limit", r".", 1.00,
                     "worker_pool at least as fast as the bounded mutex + condition-variable pool")],
    }),
    ("bounded_map", {
        "subjects": ["tether", "tether_1shard"],
        "peers": ["umap_mutex"],
        "targets": [("tether", "umap_mutex", r".", 1.50, "bounded_map within 1.5x of unordered_map + mutex")],
    }),
])

# Name parts added by Google Benchmark rather than by us.
NOISE = re.compile(r"^(real_time|process_time|manual_time|min_time:.*|min_warmup_time:.*|repeats:.*|iterations:.*)$")
UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def load(paths):
    """Returns ({(topic, impl, case): {"real": ns, "cpu": ns, "cv": fraction, "reps": n}}, context)."""
    rows = {}
    ctx = {}
    for path in paths:
        with open(path) as fh:
            data = json.load(fh)
        c = data.get("context", {})
        if not ctx:
            ctx = dict(c, loads=[])
        ctx["loads"].append((c.get("executable", path).rsplit("/", 1)[-1], c.get("load_avg", [])))
        singles = {}
        for b in data["benchmarks"]:
            name = b.get("run_name", b["name"])
            parts = [p for p in name.split("/") if not NOISE.match(p)]
            if len(parts) < 3:
                continue
            key = (parts[0], parts[1], "/".join(parts[2:]))
            scale = UNIT_NS[b.get("time_unit", "ns")]
            if b.get("run_type") == "aggregate":
                agg = b.get("aggregate_name")
                entry = rows.setdefault(key, {})
                if agg == "median":
                    entry.update(real=b["real_time"] * scale, cpu=b["cpu_time"] * scale,
                                 reps=b.get("repetitions", 0))
                elif agg == "cv":
                    # Coefficient of variation over the repetitions, as a fraction (not scaled by the unit).
                    entry["cv_real"], entry["cv_cpu"] = b["real_time"], b["cpu_time"]
            elif b.get("error_occurred"):
                print(f"report: {name} failed: {b.get('error_message')}", file=sys.stderr)
            else:
                singles.setdefault(key, []).append((b["real_time"] * scale, b["cpu_time"] * scale))
        for key, vals in singles.items():
            if key in rows:
                continue
            vals.sort()
            mid = vals[len(vals) // 2]
            rows[key] = {"real": mid[0], "cpu": mid[1], "reps": len(vals)}
    return rows, ctx


def fmt_time(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_ratio(x):
    return f"{x:.2f}x" if x >= 0.1 else f"{x:.2g}x"


def case_key(case):
    # Natural order: n:10000 before n:100000, threads:2 before threads:4.
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", case)]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("json", nargs="+")
    p.add_argument("--cpu", action="store_true", help="compare CPU time instead of real time")
    a = p.parse_args()
    rows, ctx = load(a.json)
    metric = "cpu" if a.cpu else "real"
    what = "CPU time" if a.cpu else "real time"
    if ctx:
        loads = "; ".join(f"{name} {', '.join(f'{x:.2f}' for x in la)}" for name, la in ctx["loads"])
        print(f"machine: {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz; load average at the "
              f"start of each binary: {loads}")
        print()
    verdicts = []
    for topic, spec in TOPICS.items():
        cases = sorted({c for (t, _, c) in rows if t == topic}, key=case_key)
        if not cases:
            continue
        peers = [q for q in spec["peers"] if any((topic, q, c) in rows for c in cases)]
        print(f"### {topic} ({what}, median (cv); ratio = tether / peer, < 1.00x means tether is faster)")
        print()
        print("| case | impl | time (cv) | " + " | ".join(f"vs {q}" for q in peers) + " |")
        print("|---|---|---|" + "---|" * len(peers))
        for case in cases:
            for s in spec["subjects"]:
                r = rows.get((topic, s, case))
                if not r or metric not in r:
                    continue
                cv = f" ({100 * r['cv_' + metric]:.0f}%)" if "cv_" + metric in r else ""
                cells = []
                for q in peers:
                    pr = rows.get((topic, q, case))
                    cells.append(fmt_ratio(r[metric] / pr[metric]) if pr and pr.get(metric) else "")
                print(f"| {case} | {s} | {fmt_time(r[metric])}{cv} | " + " | ".join(cells) + " |")
            for q in peers:
                pr = rows.get((topic, q, case))
                if pr and metric in pr:
                    cv = f" ({100 * pr['cv_' + metric]:.0f}%)" if "cv_" + metric in pr else ""
                    print(f"| {case} | *{q}* | {fmt_time(pr[metric])}{cv} |" + " |" * len(peers))
        print()
        for subj, peer, pattern, limit, desc in spec["targets"]:
            ratios = []
            for case in cases:
                if not re.search(pattern, case):
                    continue
                r, pr = rows.get((topic, subj, case)), rows.get((topic, peer, case))
                if r and pr and r.get(metric) and pr.get(metric):
                    ratios.append((case, r[metric] / pr[metric]))
            if ratios:
                worst = max(ratios, key=lambda x: x[1])
                ok = all(x[1] <= limit for x in ratios)
                verdicts.append(f"- {'MET' if ok else 'NOT MET'}: {desc} (target <= {limit:.2f}x; "
                                f"{len(ratios)} cases, worst {worst[1]:.2f}x at {worst[0]}, best "
                                f"{min(x[1] for x in ratios):.2f}x)")
    print(f"### targets ({what})")
    print()
    print("\n".join(verdicts) if verdicts else "- no target could be evaluated (missing benchmarks)")


if __name__ == "__main__":
    main()
