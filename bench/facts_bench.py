#!/usr/bin/env python3
"""Cost of tether-unbounded-container's whole-program facts (checks/facts/Facts.h).

usage: bench/facts_bench.py [--build BUILD] [--tus N] [--reps R] [--synthetic M] [CDB_DIR]

1. Facts overhead per TU. For the first N TUs of CDB_DIR/compile_commands.json, the compiler plugin
   analyses each TU (-fsyntax-only, every tether check) without and with
   -fplugin-arg-tether-facts-dir, alternating R times (best of R per TU, so machine load hits both
   alike). The difference is what collecting and writing the facts costs; it is reported against
   the analysis time (parse + checks), with the facts files' sizes.
2. Merge and judge. M synthetic facts files (default 10,000; each like a mid-sized TU: 6 containers
   of which 3 come from shared headers, 60 functions with call edges, 3 classes) are written to a
   scratch folder and judged with `tether check --facts` (best of R wall time).
Prints a Markdown table. Not a test: timings depend on the machine; docs/performance.md records a run.
"""
import argparse
import json
import os
import random
import resource
import shlex
import shutil
import subprocess
import sys
import tempfile
import time


def tu_commands(cdb_dir, n):
    with open(os.path.join(cdb_dir, "compile_commands.json")) as f:
        db = json.load(f)
    out = []
    for e in db[:n]:
        args = e.get("arguments") or shlex.split(e["command"])
        if "-o" in args:
            i = args.index("-o")
            args = args[:i] + args[i + 2:]
        args = [a for a in args if a != "-c"]
        args[0] = "clang++-22"
        out.append((e["directory"], e["file"], args + ["-fsyntax-only", "-w"]))
    return out


def timed(cmd, cwd, cpu=None):
    """Wall time and exit code; appends the child's CPU time (user + sys) to `cpu` if given."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if cpu is not None:
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall, r.returncode


def overhead(build, cdb_dir, n, reps):
    plugin = os.path.join(build, "lib", "libTetherClangPlugin.so")
    scratch = tempfile.mkdtemp(prefix="tether-facts-bench-")
    rows = []
    try:
        for directory, file, args in tu_commands(cdb_dir, n):
            base = args + ["-fplugin=" + plugin]
            facts_dir = os.path.join(scratch, "facts")
            without, with_facts = [], []
            for _ in range(reps):
                timed(base, directory, without)  # CPU time: less noisy than wall on a shared machine
                _, rc = timed(base + ["-fplugin-arg-tether-facts-dir=" + facts_dir], directory, with_facts)
            size = sum(os.path.getsize(os.path.join(facts_dir, p)) for p in os.listdir(facts_dir)) \
                if os.path.isdir(facts_dir) else 0
            shutil.rmtree(facts_dir, ignore_errors=True)
            rows.append((os.path.basename(file), min(without), min(with_facts), size, rc))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return rows


def synthetic_facts(i, rng):
    """One TU's facts: a few containers from shared headers (merged across TUs) and its own."""
    fn = lambda k: "%016x" % (k * 2654435761 % (1 << 64))
    containers = []
    for j in range(6):
        shared = j < 3
        usr = "c:@N@app@S@Shared%d@FI@m" % (rng.randrange(200)) if shared else "c:@N@app@S@T%d_%d@FI@m" % (i, j)
        containers.append({
            "usr": usr, "name": usr.split("@")[-3] + "::m", "ignore_name": "", "type": "std::map<int, int>",
            "kind": "associative", "storage": "member", "linkage": "none", "access": "private",
            "owner": usr.rsplit("@FI@", 1)[0], "owner_name": "", "file": "/src/f%d.h" % j, "line": 10,
            "column": 5, "offset": 200, "definition": True, "scope": "", "key_enum_or_bool": False,
            "callable": False, "reportable": True, "error": False, "ignored": False,
            "sites": [{"kind": "grow" if rng.random() < 0.8 else "bound", "function": fn(i * 100 + k),
                       "file": "/src/t%d.cpp" % i, "line": 20 + k, "column": 3} for k in range(3)],
        })
    functions = []
    for k in range(60):
        callers = [fn(rng.randrange(10000 * 100)) for _ in range(rng.randrange(4))]
        f = {"id": fn(i * 100 + k), "name": "app::T%d::f%d" % (i, k)}
        if callers:
            f["callers"] = callers
        if rng.random() < 0.05:
            f["loop_callers"] = [fn(rng.randrange(10000 * 100))]
        functions.append(f)
    classes = [{"usr": "c:@N@app@S@T%d_%d" % (i, j), "name": "app::T%d_%d" % (i, j),
                "needs_body": [fn(i * 100 + j)], "defined": [fn(i * 100 + j)], "friends": [],
                "instances": [{"how": "heap"}]} for j in range(3)]
    return {"format": "tether-facts", "version": 1, "tu": "/src/t%d.cpp" % i,
            "containers": containers, "functions": functions, "classes": classes}


def merge_time(build, m, reps):
    rng = random.Random(12)
    scratch = tempfile.mkdtemp(prefix="tether-facts-merge-")
    try:
        total = 0
        for i in range(m):
            text = json.dumps(synthetic_facts(i, rng), separators=(",", ":"))
            total += len(text)
            with open(os.path.join(scratch, "t%05d.json" % i), "w") as f:
                f.write(text)
        tether = os.path.join(build, "bin", "tether")
        times, cpu = [], []
        for _ in range(reps):
            t, rc = timed([tether, "check", "--facts", scratch, "--quiet", "--format", "json", "-o",
                           os.path.join(scratch, "report.out")], scratch, cpu)
            if rc not in (0, 1):
                sys.exit("tether check --facts failed with exit code %d" % rc)
            times.append(t)
        return total, min(times), min(cpu)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.path.join(here, "..", "build"))
    ap.add_argument("--tus", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--synthetic", type=int, default=10000)
    ap.add_argument("cdb_dir", nargs="?")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    if a.cdb_dir:
        rows = overhead(build, a.cdb_dir, a.tus, a.reps)
        print("| TU | analysis, CPU (s) | with facts, CPU (s) | overhead | facts size |")
        print("|---|---:|---:|---:|---:|")
        for name, t0, t1, size, rc in rows:
            print("| %s | %.2f | %.2f | %+.1f%% | %.1f KB |" % (name, t0, t1, 100 * (t1 - t0) / t0, size / 1024))
        t0 = sum(r[1] for r in rows)
        t1 = sum(r[2] for r in rows)
        sizes = sorted(r[3] for r in rows)
        print("| **all %d** | %.2f | %.2f | %+.1f%% | median %.1f KB |" % (
            len(rows), t0, t1, 100 * (t1 - t0) / t0, sizes[len(sizes) // 2] / 1024))
    if a.synthetic:
        total, t, cpu = merge_time(build, a.synthetic, a.reps)
        print()
        print("merge + judge of %d synthetic facts files (%.1f MB, %.1f KB each): %.2f s wall, %.2f s CPU "
              "(best of %d)" % (a.synthetic, total / 1e6, total / a.synthetic / 1024, t, cpu, a.reps))


if __name__ == "__main__":
    main()
