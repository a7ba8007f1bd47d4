#!/usr/bin/env python3
"""Wall time of `tether check -j N` against `run-clang-tidy-22 -j N` with the same checks.

usage: bench/runner_bench.py [--build BUILD] [--jobs N] [--reps R] [--checks GLOBS] NAME=SRC:CDB_DIR[:GLOBS]...

For each project, SRC (its source tree) is copied to a scratch folder together with CDB_DIR's
compile_commands.json (paths rewritten), so the warm-cache measurement can edit a file without
touching the original. Then, alternating the two runners R times (so machine load hits both alike):
  run-clang-tidy   run-clang-tidy-22 -clang-tidy-binary BUILD/bin/tether-tidy -j N -quiet
  tether cold      tether check -j N --quiet, empty cache (it writes the cache)
  tether no-cache  tether check -j N --quiet --no-cache
and once at the end:
  tether warm      tether check -j N --quiet after one .cpp got a new line (one TU to re-analyse)
Both runners see every .clang-tidy of the project; the project's GLOBS (else --checks, if given)
go to both as their --checks.
Prints a Markdown table (best of R for each runner, wall and CPU time) and the raw times. Not a test: timings
depend on the machine; docs/performance.md records a run.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def copy_project(name, src, cdb_dir, scratch):
    dst = os.path.join(scratch, name)
    src = os.path.realpath(src)
    cdb_dir = os.path.realpath(cdb_dir)
    if os.path.isdir(os.path.join(src, ".git")) or os.path.isfile(os.path.join(src, ".git")):
        files = subprocess.check_output(["git", "-C", src, "ls-files"], text=True).splitlines()
        for f in files:
            os.makedirs(os.path.dirname(os.path.join(dst, f)), exist_ok=True)
            if os.path.isfile(os.path.join(src, f)):
                shutil.copy2(os.path.join(src, f), os.path.join(dst, f))
    else:
        shutil.copytree(src, dst, symlinks=True)
    with open(os.path.join(cdb_dir, "compile_commands.json")) as f:
        text = f.read()
    cdb_rel = os.path.relpath(cdb_dir, src) if cdb_dir.startswith(src + "/") else None
    new_cdb = os.path.join(dst, cdb_rel) if cdb_rel else os.path.join(dst, "_tether_bench_cdb")
    text = text.replace(src + "/", dst + "/")
    if not cdb_rel:
        text = text.replace(cdb_dir, new_cdb)
    entries = json.loads(text)
    for e in entries:
        os.makedirs(e["directory"], exist_ok=True)
    os.makedirs(new_cdb, exist_ok=True)
    with open(os.path.join(new_cdb, "compile_commands.json"), "w") as f:
        json.dump(entries, f, indent=1)
    # A .cpp of the project, to touch for the warm run.
    touch = next(e["file"] if os.path.isabs(e["file"]) else os.path.join(e["directory"], e["file"])
                 for e in entries if e["file"].endswith((".cpp", ".cc")))
    return dst, new_cdb, len({e["file"] for e in entries}), touch


def cpu_children():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


CPU = {}


def timed(cmd, cwd):
    """Wall time of `cmd`; its CPU time (user + sys of it and every process it waited for) is left
    in CPU["last"]: on a shared machine the CPU time is the steadier of the two."""
    cpu0 = cpu_children()
    start = time.monotonic()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    elapsed = time.monotonic() - start
    CPU["last"] = cpu_children() - cpu0
    if proc.returncode not in (0, 1):
        sys.stderr.write(f"warning: {' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}\n")
    return elapsed, proc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(os.path.dirname(__file__), "..", "build"))
    ap.add_argument("--jobs", type=int, default=os.cpu_count())
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--checks", default=None)
    ap.add_argument("projects", nargs="+")
    args = ap.parse_args()
    build = os.path.realpath(args.build)
    tether = os.path.join(build, "bin", "tether")
    tidy = os.path.join(build, "bin", "tether-tidy")
    scratch = tempfile.mkdtemp(prefix="tether-runner-bench-")
    rows = []
    print("| project | TUs | -j | | run-clang-tidy-22 | tether check (cold, writes cache) | ratio | tether --no-cache | ratio | warm, 1 .cpp touched | warm / cold |")
    print("|---|---|---|---|---|---|---|---|---|---|---|", flush=True)
    try:
        for spec in args.projects:
            name, rest = spec.split("=", 1)
            src, cdb_dir, *globs = rest.split(":", 2)
            globs = globs[0] if globs else args.checks
            root, cdb, tus, touch = copy_project(name, src, cdb_dir, scratch)
            checks = ["-checks=" + globs] if globs else []
            tchecks = ["--checks=" + globs] if globs else []
            rct = ["run-clang-tidy-22", "-clang-tidy-binary", tidy, "-p", cdb, "-j", str(args.jobs), "-quiet", *checks]
            cold = [tether, "check", "-p", cdb, "-j", str(args.jobs), "--quiet", *tchecks]
            nocache = cold + ["--no-cache"]
            times = {"rct": [], "cold": [], "nocache": []}
            cpu = {"rct": [], "cold": [], "nocache": []}
            findings = {}
            for rep in range(args.reps):
                t, p = timed(rct, root)
                times["rct"].append(t)
                cpu["rct"].append(CPU["last"])
                findings["rct"] = sum(1 for l in p.stdout.splitlines() if ": warning: " in l or ": error: " in l)
                shutil.rmtree(os.path.join(cdb, ".tether-cache"), ignore_errors=True)
                t, p = timed(cold, root)
                times["cold"].append(t)
                cpu["cold"].append(CPU["last"])
                findings["tether"] = sum(1 for l in p.stdout.splitlines() if ": warning: " in l or ": error: " in l)
                t, _ = timed(nocache, root)
                times["nocache"].append(t)
                cpu["nocache"].append(CPU["last"])
                print(f"{name} rep {rep + 1}: wall (cpu) run-clang-tidy {times['rct'][-1]:.1f}s ({cpu['rct'][-1]:.1f}s), "
                      f"tether cold {times['cold'][-1]:.1f}s ({cpu['cold'][-1]:.1f}s), "
                      f"--no-cache {times['nocache'][-1]:.1f}s ({cpu['nocache'][-1]:.1f}s)", file=sys.stderr, flush=True)
            # Warm: the cache is from the last cold run; edit one .cpp.
            timed(cold, root)  # make sure the cache is complete and current
            with open(touch, "a") as f:
                f.write("\n// touched by runner_bench\n")
            warm, p = timed(cold + ["--format=json", "-o", os.path.join(scratch, "warm.json")], root)
            warm_cpu = CPU["last"]
            with open(os.path.join(scratch, "warm.json")) as f:
                stats = json.load(f)["stats"]
            rows.append({
                "project": name, "tus": tus, "jobs": args.jobs,
                "rct": min(times["rct"]), "cold": min(times["cold"]), "nocache": min(times["nocache"]),
                "warm": warm, "warm_analysed": stats["analysed"], "raw": times, "cpu": cpu,
                "cpu_rct": min(cpu["rct"]), "cpu_cold": min(cpu["cold"]), "cpu_nocache": min(cpu["nocache"]),
                "cpu_warm": warm_cpu,
                "findings_rct_lines": findings.get("rct"), "findings_tether": findings.get("tether"),
            })
            r = rows[-1]
            print(f"| {r['project']} | {r['tus']} | {r['jobs']} | wall | {r['rct']:.1f} s | {r['cold']:.1f} s | "
                  f"{r['cold'] / r['rct']:.2f}x | {r['nocache']:.1f} s | {r['nocache'] / r['rct']:.2f}x | "
                  f"{r['warm']:.2f} s ({r['warm_analysed']} TU analysed) | {100 * r['warm'] / r['cold']:.1f}% |")
            print(f"| | | | CPU | {r['cpu_rct']:.1f} s | {r['cpu_cold']:.1f} s | "
                  f"{r['cpu_cold'] / r['cpu_rct']:.2f}x | {r['cpu_nocache']:.1f} s | {r['cpu_nocache'] / r['cpu_rct']:.2f}x | "
                  f"{r['cpu_warm']:.2f} s | {100 * r['cpu_warm'] / r['cpu_cold']:.1f}% |", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print()
    print("raw:", json.dumps(rows))


if __name__ == "__main__":
    main()
