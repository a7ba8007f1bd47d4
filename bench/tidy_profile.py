#!/usr/bin/env python3
"""What do the tether checks cost in a clang-tidy run? Profiles them against real translation units.

    tidy_profile.py [--build build] [--tidy build/bin/tether-tidy] [--json out.json] [--reps N]
                    [--real DBDIR:FILE ...] [--real-only]

Sets of translation units:
  own       tether's own sources (checks, runtime, examples) from build/compile_commands.json
  corpus-Nx a generated thread-heavy corpus (bench/corpus/generate.py) at 1x, 2x and 4x code per file
  slow-constexpr  one file whose loop conditions are an expensive constexpr call (--slow-constexpr
            LOOPS, default 20): CPU seconds with and without the tether checks
  real:NAME  with --real DBDIR:FILE (repeatable): one translation unit of a real code base, compiled
            as DBDIR/compile_commands.json says (e.g. the shared corpus); --real-only skips the sets
            above
Each file is run once through tether-tidy with all tether checks plus two upstream checks for scale
(bugprone-infinite-loop, concurrency-mt-unsafe) and --enable-check-profile. A check's share is its
profiled wall time over the wall time of the whole clang-tidy process (parsing included), which is
what a user's CI pays. Prints a markdown table; exits non-zero if clang-tidy fails on any file.

Whole-run comparison (--reps N, off by default): each file is also run N times without profiling,
alternating "with tether" (all tether checks + the two peers) and "without tether" (the two peers only);
the fastest run of each kind per file is kept (the least disturbed by other load) and summed per set. The
difference is what enabling tether adds to a clang-tidy run, parsing and all, as a user measures it. It
costs 2N more clang-tidy runs per file, and on a loaded machine its noise floor is a few percent (stub
checks measured -8%..+4% with N = 2 on the 2-core bench machine), so the profiled share stays the
precise figure; use --reps 3 or more.
"""
import argparse
import glob
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TETHER = ["tether-raw-thread", "tether-thread-detach", "tether-unguarded-loop", "tether-unbounded-container",
          "tether-spawn-in-loop", "tether-background-context", "tether-component-name",
          "tether-manual-lock", "tether-blocking-under-lock", "tether-plain-stop-flag"]
PEERS = ["bugprone-infinite-loop", "concurrency-mt-unsafe"]


def timed_run(tidy, db_dir, checks, f):
    cmd = [tidy, "-p", db_dir, f"--checks=-*,{','.join(checks)}", "--quiet", f]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t = time.perf_counter() - t0
    if r.returncode != 0:
        sys.exit(f"tidy_profile: clang-tidy failed ({r.returncode}) on {f}:\n{r.stderr[-2000:]}")
    return t


def run_set(tidy, db_dir, files, reps=0):
    """Runs every file; returns (process wall seconds, {check: profiled wall seconds}, lines,
    (best wall with tether, best wall without tether) summed over files, or None if reps == 0)."""
    totals = {c: 0.0 for c in TETHER + PEERS}
    wall = 0.0
    lines = 0
    with_t = without_t = 0.0
    with tempfile.TemporaryDirectory() as prof:
        for f in files:
            if reps > 0:
                best_with = best_without = float("inf")
                for _ in range(reps):
                    best_with = min(best_with, timed_run(tidy, db_dir, TETHER + PEERS, f))
                    best_without = min(best_without, timed_run(tidy, db_dir, PEERS, f))
                with_t += best_with
                without_t += best_without
            cmd = [tidy, "-p", db_dir, f"--checks=-*,{','.join(TETHER + PEERS)}", "--quiet",
                   "--enable-check-profile", f"--store-check-profile={prof}", f]
            t0 = time.perf_counter()
            r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            wall += time.perf_counter() - t0
            if r.returncode != 0:
                sys.exit(f"tidy_profile: clang-tidy failed ({r.returncode}) on {f}:\n{r.stderr[-2000:]}")
            with open(f, errors="replace") as fh:
                lines += sum(1 for _ in fh)
        for pf in glob.glob(os.path.join(prof, "*.json")):
            with open(pf) as fh:
                data = json.load(fh)["profile"]
            for key, val in data.items():
                parts = key.split(".")
                if key.endswith(".wall") and len(parts) >= 4:
                    check = ".".join(parts[2:-1])
                    if check in totals:
                        totals[check] += val
    return wall, totals, lines, ((with_t, without_t) if reps > 0 else None)


def cpu_run(tidy, db_dir, checks, f):
    """CPU seconds (user + system) of one clang-tidy run: steadier than wall time on a shared
    machine, and what an expensive evaluation costs."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    timed_run(tidy, db_dir, checks, f)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def slow_constexpr(tidy, build, loops, reps):
    """A file whose loop conditions are an expensive constexpr call (generate.py --slow-constexpr):
    fastest CPU seconds of `reps` runs with all tether checks, and without them (the peers only)."""
    out = os.path.join(build, "bench-corpus", "slow-constexpr")
    subprocess.run([sys.executable, os.path.join(HERE, "corpus", "generate.py"), out, "--files", "1",
                    "--slow-constexpr", str(loops)], check=True)
    f = os.path.join(out, "slow_constexpr.cpp")
    with_t = min(cpu_run(tidy, out, TETHER + PEERS, f) for _ in range(reps))
    without_t = min(cpu_run(tidy, out, PEERS, f) for _ in range(reps))
    return with_t, without_t


def own_files(build):
    with open(os.path.join(build, "compile_commands.json")) as fh:
        db = json.load(fh)
    keep = ("/checks/", "/runtime/src/", "/examples/")
    return sorted({e["file"] for e in db if any(k in e["file"] for k in keep) and e["file"].endswith(".cpp")})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.path.join(ROOT, "build"))
    p.add_argument("--tidy")
    p.add_argument("--files", type=int, default=12, help="generated files per corpus size")
    p.add_argument("--json", help="also write the numbers here")
    p.add_argument("--reps", type=int, default=0,
                   help="unprofiled runs with and without the tether checks per file (default 0: no comparison)")
    p.add_argument("--slow-constexpr", type=int, default=20, metavar="LOOPS",
                   help="loops in the expensive-constexpr-condition file (default 20; 0: skip)")
    p.add_argument("--real", action="append", default=[], metavar="DBDIR:FILE",
                   help="also profile this real translation unit (repeatable)")
    p.add_argument("--real-only", action="store_true", help="profile only the --real files")
    a = p.parse_args()
    tidy = a.tidy or os.path.join(a.build, "bin", "tether-tidy")
    if not os.access(tidy, os.X_OK):
        sys.exit(f"tidy_profile: {tidy} not found; build first (scripts/build.sh)")

    results = {}
    for spec in a.real:
        db_dir, sep, f = spec.partition(":")
        if not sep or not os.path.isfile(os.path.join(db_dir, "compile_commands.json")) or not os.path.isfile(f):
            sys.exit(f"tidy_profile: --real {spec!r}: expected DBDIR:FILE with DBDIR/compile_commands.json")
        results[f"real:{os.path.basename(f)}"] = run_set(tidy, db_dir, [f], a.reps)
    if not a.real_only:
        results["own"] = run_set(tidy, a.build, own_files(a.build), a.reps)
    for scale in (() if a.real_only else (1, 2, 4)):
        out = os.path.join(a.build, "bench-corpus", f"x{scale}")
        subprocess.run([sys.executable, os.path.join(HERE, "corpus", "generate.py"), out,
                        "--files", str(a.files), "--scale", str(scale)], check=True)
        files = sorted(glob.glob(os.path.join(out, "*.cpp")))
        results[f"corpus-{scale}x"] = run_set(tidy, out, files, a.reps)

    print("| set | lines | clang-tidy wall s | " + " | ".join(TETHER) + " | **all tether** | " + " | ".join(PEERS) + " |")
    print("|---" * (4 + len(TETHER) + len(PEERS)) + "|")
    report = {}
    for name, (wall, totals, lines, _) in results.items():
        tether_total = sum(totals[c] for c in TETHER)
        cell = lambda s: f"{s:.3f}s ({100 * s / wall:.2f}%)"
        print(f"| {name} | {lines} | {wall:.2f} | " + " | ".join(cell(totals[c]) for c in TETHER)
              + f" | **{cell(tether_total)}** | " + " | ".join(cell(totals[c]) for c in PEERS) + " |")
        report[name] = {"lines": lines, "wall": wall, "checks": totals, "tether_total": tether_total,
                        "tether_share": tether_total / wall}
    t1, t2, t4 = (report.get(f"corpus-{s}x", {}).get("tether_total", 0.0) for s in (1, 2, 4))
    print()
    if a.real_only:
        pass
    elif t1 > 0:
        print(f"scaling (all tether checks, generated corpus): 2x code -> {t2 / t1:.2f}x time, "
              f"4x code -> {t4 / t1:.2f}x time (linear: 2.00x, 4.00x)")
    else:
        print("scaling: the tether checks recorded no time on the 1x corpus")
    worst = max(r["tether_share"] for r in report.values())
    print(f"largest share of a run taken by all tether checks together: {100 * worst:.2f}% (target < 3%)")
    if a.reps > 0:
        print()
        print(f"whole-run wall time, fastest of {a.reps} unprofiled runs per file, summed (checks: with = tether + "
              f"{', '.join(PEERS)}; without = {', '.join(PEERS)} only):")
        print()
        print("| set | files | with tether s | without tether s | tether adds |")
        print("|---|---|---|---|---|")
        for name, (_, _, _, cmp) in results.items():
            w, wo = cmp
            nfiles = len(own_files(a.build)) if name == "own" else 1 if name.startswith("real:") else a.files
            print(f"| {name} | {nfiles} | {w:.2f} | {wo:.2f} | {w - wo:+.2f}s ({100 * (w - wo) / wo:+.1f}%) |")
            report[name]["wall_with_tether"] = w
            report[name]["wall_without_tether"] = wo
            report[name]["tether_added_share"] = (w - wo) / wo
    if a.slow_constexpr > 0 and not a.real_only:
        # clang itself evaluates such conditions while parsing; the checks must not add a
        # comparable cost per loop and per template instantiation (issue 9).
        w, wo = slow_constexpr(tidy, a.build, a.slow_constexpr, max(1, a.reps))
        print()
        print(f"expensive constexpr loop conditions ({a.slow_constexpr} loops + 5 template instantiations, "
              f"generate.py --slow-constexpr): CPU {w:.2f}s with tether, {wo:.2f}s without, "
              f"tether adds {w - wo:+.2f}s")
        report["slow-constexpr"] = {"loops": a.slow_constexpr, "cpu_with_tether": w,
                                    "cpu_without_tether": wo}
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(report, fh, indent=1)


if __name__ == "__main__":
    main()
