#!/usr/bin/env python3
"""Runs every tether check over the C++ (and C) test files of a source tree and reports crashes.

A test suite such as GCC's g++.dg or libstdc++'s is hostile input by design: odd syntax, invalid
code on purpose, every corner of templates and the library. A check must never crash on it (a
crashing linter fails the user's CI job and kills their editor's language server). This script
runs clang-tidy with the tether module over each file and sorts the runs into:

  ok               clang-tidy finished (findings or not)
  compile errors   the file does not compile with clang (expected for many test files): ignored
  crash            clang-tidy died of a signal, printed a stack dump or failed an assertion
  timeout          clang-tidy used more than --timeout CPU seconds

Each crash and timeout is run again WITHOUT tether (same command, no --load, one stock check) to
tell a tether crash from one of clang's own (a timeout counts as tether's only if the run without
tether finishes within half the timeout). The summary counts them separately; only tether
crashes (and tether-only timeouts) make the exit status non-zero.

  scripts/corpus-crash-check.py -j2 --timeout 120 --sample 2000 --seed 1 \\
      -I /work/corpus/i9b-gcc/gcc-12.2.0/libstdc++-v3/testsuite/util \\
      /work/corpus/i9b-gcc/gcc-12.2.0/libstdc++-v3/testsuite

Files are taken in sorted order; --shard i/n keeps every n-th file starting at i (so n machines
or n runs cover the tree once), --sample N --seed S then draws N of them reproducibly, and
--time-budget stops starting new files after that many seconds (the summary says how many ran).
The language standard comes from the file's `dg-options` / `dg-additional-options` `-std=` when
it names one clang knows, else --cxx-std / --c-std.
"""
import argparse
import concurrent.futures
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import threading
import time

CXX_SUFFIXES = (".C", ".cc", ".cpp", ".cxx", ".c++")
C_SUFFIXES = (".c",)
CRASH_MARKERS = ("Stack dump:", "PLEASE submit a bug report", "Assertion `", "LLVM ERROR:",
                 "UNREACHABLE executed")
STOCK_CHECK = "-*,misc-unused-using-decls"
STD_RE = re.compile(r"\{\s*dg-(?:additional-)?options\s+\"([^\"]*)\"")
# -std values clang accepts for each language (GCC's test suites also use c++1z, gnu++2b, ...).
CXX_STDS = re.compile(r"^(c|gnu)\+\+(98|03|0x|11|1y|14|1z|17|2a|20|2b|23|2c|26)$")
C_STDS = re.compile(r"^(c|gnu|iso9899:)(89|90|99|9x|11|1x|17|18|2x|23|199409|1999|2011|2017|2018)$")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    p.add_argument("roots", nargs="+", help="directories (or files) to scan")
    p.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--timeout", type=float, default=120.0,
                   help="CPU seconds per file (default 120; wall-clock limit: four times that)")
    p.add_argument("--clang-tidy", default="clang-tidy-22")
    p.add_argument("--module", default=os.path.join(root, "build", "lib", "libTetherTidy.so"))
    p.add_argument("--checks", default="-*,tether-*")
    p.add_argument("--lang", default="c++,c", help="comma list of c++ and c (default both)")
    p.add_argument("--cxx-std", default="gnu++20")
    p.add_argument("--c-std", default="gnu17")
    p.add_argument("-I", dest="includes", action="append", default=[], help="include directory")
    p.add_argument("--extra-arg", action="append", default=[], help="extra compiler argument")
    p.add_argument("--shard", default=None, help="i/n: keep every n-th file starting at i")
    p.add_argument("--sample", type=int, default=0, help="draw N files (after sharding)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-budget", type=float, default=0, help="stop starting files after S seconds")
    p.add_argument("--compare-slowest", type=int, default=5, metavar="N",
                   help="re-run the N slowest files without tether to show the checks' share (default 5)")
    p.add_argument("--out", default=None, help="write results.json and crashes/ repro commands here")
    p.add_argument("--list-only", action="store_true", help="print the selected files and exit")
    a = p.parse_args()
    if a.shard:
        m = re.fullmatch(r"(\d+)/(\d+)", a.shard)
        if not m or int(m.group(2)) == 0 or int(m.group(1)) >= int(m.group(2)):
            p.error(f"--shard must be i/n with 0 <= i < n, got '{a.shard}'")
        a.shard = (int(m.group(1)), int(m.group(2)))
    langs = {x.strip() for x in a.lang.split(",") if x.strip()}
    if not langs or langs - {"c++", "c"}:
        p.error(f"--lang takes c++ and/or c, got '{a.lang}'")
    a.lang = langs
    if a.jobs < 1:
        p.error("-j must be at least 1")
    if not os.path.exists(a.module):
        p.error(f"tether module not found: {a.module} (build it with scripts/build.sh)")
    return a


def collect(args):
    suffixes = (CXX_SUFFIXES if "c++" in args.lang else ()) + (C_SUFFIXES if "c" in args.lang else ())
    files = []
    for r in args.roots:
        if os.path.isfile(r):
            files.append(os.path.abspath(r))
            continue
        if not os.path.isdir(r):
            sys.exit(f"corpus-crash-check: no such file or directory: {r}")
        for d, _, names in os.walk(r):
            files += [os.path.join(d, n) for n in names if n.endswith(suffixes)]
    files = sorted(set(files))
    if args.shard:
        i, n = args.shard
        files = files[i::n]
    if args.sample and args.sample < len(files):
        files = sorted(random.Random(args.seed).sample(files, args.sample))
    return files


def language(path):
    return "c" if path.endswith(C_SUFFIXES) else "c++"


def std_for(path, args):
    """The -std= the file asks for in its dg-options, if clang knows it; else the default."""
    lang = language(path)
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            head = f.read(4096)
    except OSError:
        head = ""
    for opts in STD_RE.findall(head):
        for o in opts.split():
            if o.startswith("-std="):
                v = o[5:]
                if (CXX_STDS if lang == "c++" else C_STDS).match(v):
                    return v
    return args.cxx_std if lang == "c++" else args.c_std


def command(path, args, with_tether):
    lang = language(path)
    cmd = [args.clang_tidy]
    if with_tether:
        cmd += [f"--load={args.module}", f"--checks={args.checks}"]
    else:
        cmd += [f"--checks={STOCK_CHECK}"]
    # No .clang-tidy lookup: the tree may contain one; the checks given here are the whole set.
    cmd += ["--config={}", "--quiet", path, "--", "-x", "c++" if lang == "c++" else "c",
            f"-std={std_for(path, args)}", "-w", "-ferror-limit=5"]
    cmd += [f"-I{i}" for i in args.includes] + [f"-I{os.path.dirname(path)}"] + args.extra_arg
    return cmd


def run(cmd, timeout):
    """(kind, returncode, cpu seconds, tail of output). kind: ok, error, crash, timeout.
    CPU time (user + system of the process, from wait4) rather than wall time: on a shared
    machine wall time mostly measures the other load."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    # The timeout is CPU time (RLIMIT_CPU: SIGXCPU at the limit), so that a loaded machine does
    # not turn slow neighbours into timeouts; a wall-clock timer at four times the limit catches
    # a process that hangs without using CPU.
    limit = max(1, int(timeout))
    try:
        resource.prlimit(proc.pid, resource.RLIMIT_CPU, (limit, limit + 5))
    except (ProcessLookupError, PermissionError):
        pass
    timeout = 4 * timeout
    timed_out = threading.Event()

    def kill():
        timed_out.set()
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    out = proc.stdout.read().decode("utf-8", errors="replace")
    proc.stdout.close()
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    rc = proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    if timed_out.is_set() or rc == -signal.SIGXCPU or (rc == -signal.SIGKILL and cpu >= limit):
        return "timeout", None, cpu, ""
    if rc < 0 or rc >= 128 or any(m in out for m in CRASH_MARKERS):
        # Keep the part that says where: from the stack dump on.
        i = min([out.find(m) for m in CRASH_MARKERS if m in out] or [max(0, len(out) - 4000)])
        return "crash", rc, cpu, out[i:i + 6000]
    return ("ok" if rc == 0 else "error"), rc, cpu, ""


def main():
    args = parse_args()
    files = collect(args)
    if args.list_only:
        print("\n".join(files))
        return 0
    print(f"corpus-crash-check: {len(files)} files, -j{args.jobs}, timeout {args.timeout:.0f}s, "
          f"checks '{args.checks}'", flush=True)
    start = time.monotonic()
    results = []
    lock = threading.Lock()
    stop = threading.Event()

    def one(path):
        if stop.is_set() or (args.time_budget and time.monotonic() - start > args.time_budget):
            stop.set()
            return None
        cmd = command(path, args, with_tether=True)
        kind, rc, secs, tail = run(cmd, args.timeout)
        r = {"file": path, "kind": kind, "rc": rc, "cpu_seconds": round(secs, 2), "command": cmd}
        if kind in ("crash", "timeout"):
            base = command(path, args, with_tether=False)
            # A timeout is tether's only if the run without tether is clearly faster: it gets
            # twice the time and must finish within half of it (a file near the limit is not
            # attributed to tether by a few percent of check time).
            bkind, brc, bsecs, btail = run(base, args.timeout * (2 if kind == "timeout" else 1))
            r.update(output=tail, baseline_kind=bkind, baseline_rc=brc,
                     baseline_cpu_seconds=round(bsecs, 2), baseline_command=base)
            if kind == "crash":  # tether's own if the run without tether does not crash
                r["tether"] = bkind != "crash"
            else:
                r["tether"] = bkind in ("ok", "error") and bsecs < args.timeout / 2
        with lock:
            results.append(r)
            n = len(results)
            if kind in ("crash", "timeout"):
                who = "TETHER" if r["tether"] else "clang (also without tether)"
                print(f"  {kind.upper()} [{who}] {path} (rc={rc})", flush=True)
            if n % 250 == 0:
                print(f"  ... {n}/{len(files)} files, {time.monotonic() - start:.0f}s", flush=True)
        return r

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        list(pool.map(one, files))

    elapsed = time.monotonic() - start
    count = lambda pred: sum(1 for r in results if pred(r))
    crashes_t = [r for r in results if r["kind"] == "crash" and r["tether"]]
    crashes_c = [r for r in results if r["kind"] == "crash" and not r["tether"]]
    timeouts_t = [r for r in results if r["kind"] == "timeout" and r["tether"]]
    timeouts_c = [r for r in results if r["kind"] == "timeout" and not r["tether"]]
    summary = {
        "files_selected": len(files),
        "files_run": len(results),
        "ok": count(lambda r: r["kind"] == "ok"),
        "compile_errors_ignored": count(lambda r: r["kind"] == "error"),
        "tether_crashes": len(crashes_t),
        "clang_crashes": len(crashes_c),
        "tether_timeouts": len(timeouts_t),
        "clang_timeouts": len(timeouts_c),
        "wall_seconds": round(elapsed, 1),
        "cpu_seconds_per_file": round(sum(r["cpu_seconds"] for r in results) / max(1, len(results)), 2),
    }
    print("\nsummary:")
    for k, v in summary.items():
        print(f"  {k:24} {v}")
    # The slowest files again without tether: is the time the checks' or clang's own?
    slowest = [r for r in sorted(results, key=lambda r: -r["cpu_seconds"]) if r["kind"] in ("ok", "error")]
    slowest = slowest[:args.compare_slowest]
    for r in slowest:
        _, _, bsecs, _ = run(command(r["file"], args, with_tether=False), args.timeout)
        r["baseline_cpu_seconds"] = round(bsecs, 2)
    if slowest:
        print("  slowest files (CPU seconds with tether / without tether):")
        for r in slowest:
            print(f"    {r['cpu_seconds']:8.2f}s / {r['baseline_cpu_seconds']:8.2f}s {r['kind']:7} {r['file']}")
    for title, rs in (("TETHER CRASHES", crashes_t), ("tether-only timeouts", timeouts_t),
                      ("clang crashes (also without tether)", crashes_c),
                      ("timeouts (also without tether)", timeouts_c)):
        if rs:
            print(f"\n{title}:")
            for r in sorted(rs, key=lambda r: r["file"]):
                print(f"  {r['file']}\n    {' '.join(r['command'])}")
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "results.json"), "w") as f:
            json.dump({"summary": summary, "args": sys.argv[1:], "results": results}, f, indent=1)
        print(f"\nresults: {os.path.join(args.out, 'results.json')}")
    return 1 if crashes_t or timeouts_t else 0


if __name__ == "__main__":
    sys.exit(main())
