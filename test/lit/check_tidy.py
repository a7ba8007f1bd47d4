#!/usr/bin/env python3
"""Runs one tether check over a lit test file and verifies its diagnostics with FileCheck.

    %check_tidy [-check-suffix=S[,T]] FILE CHECK-NAME [-- TIDY-ARGS... [-- COMPILER-ARGS...]]

The spirit of upstream's check_clang_tidy.py, which Debian does not package:
  * `// CHECK-MESSAGES[-S]: :[[@LINE+1]]:3: warning: ... [check]` lines: every warning and error
    the run prints must be expected by one of them (FileCheck -implicit-check-not), so a test fails
    when a diagnostic is missing OR unexpected. Notes are ignored.
  * `// CHECK-NOTES[-S]: ...` lines: the same, but notes must be expected too.
  * A file (or suffix) with neither kind of line expects no diagnostics at all.
  * `// CHECK-FIXES[-S]: ...` lines: the run applies the fix-its (--fix) to a copy of the file (at
    TEMP, upstream's %t, plus ".cpp"; the CHECK lines' text blanked so they cannot match themselves)
    and the fixed copy is checked with FileCheck -strict-whitespace.
Compiler arguments default to `-std=c++20`; `-I<test/checks/Inputs>` is always added so tests can
include the mock headers there (e.g. boost).
"""
import argparse
import os
import re
import subprocess
import sys


def fail(msg, output=None):
    sys.stderr.write(f"check_tidy: {msg}\n")
    if output is not None:
        sys.stderr.write("------ output ------\n" + output + "--------------------\n")
    sys.exit(1)


def split_args(argv):
    """Splits at the first two `--`: our args, tidy args, compiler args."""
    groups, cur = [], []
    for a in argv:
        if a == "--" and len(groups) < 2:
            groups.append(cur)
            cur = []
        else:
            cur.append(a)
    groups.append(cur)
    while len(groups) < 3:
        groups.append(None)
    return groups


def main():
    ours, tidy_args, compiler_args = split_args(sys.argv[1:])
    p = argparse.ArgumentParser()
    p.add_argument("--tidy", required=True)
    p.add_argument("-check-suffix", "-check-suffixes", dest="suffixes", default="")
    p.add_argument("input")
    p.add_argument("check")
    p.add_argument("temp", nargs="?", help="where the fixed copy goes (CHECK-FIXES)")
    args = p.parse_args(ours)

    suffixes = [s.strip() for s in args.suffixes.split(",")] if args.suffixes else [""]
    for s in suffixes:
        if s and not re.fullmatch(r"[A-Za-z0-9_-]+", s):
            fail(f"invalid check suffix '{s}'")

    source = open(args.input, encoding="utf-8").read()
    msg_prefixes = [f"CHECK-MESSAGES{'-' + s if s else ''}" for s in suffixes]
    note_prefixes = [f"CHECK-NOTES{'-' + s if s else ''}" for s in suffixes]
    has = lambda prefixes: [x for x in prefixes if re.search(rf"\b{re.escape(x)}(-NOT|-NEXT|-SAME|-DAG)?:", source)]
    used_msgs, used_notes = has(msg_prefixes), has(note_prefixes)
    used_fixes = has([f"CHECK-FIXES{'-' + s if s else ''}" for s in suffixes])

    target = args.input
    if used_fixes:
        if not args.temp:
            fail("CHECK-FIXES needs the TEMP argument (%t)")
        target = args.temp + ".cpp"
        # Blank the CHECK lines (keeping line numbers) so that the fixed file cannot match itself.
        cleaned = re.sub(r"//\s*CHECK-[A-Z0-9-]*:[^\r\n]*", "", source)
        os.makedirs(os.path.dirname(os.path.abspath(target)), exist_ok=True)
        with open(target, "w", encoding="utf-8") as f:
            f.write(cleaned)

    inputs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "checks", "Inputs")
    cmd = [args.tidy, target, f"--checks=-*,{args.check}", "--quiet"] + (["--fix"] if used_fixes else [])
    cmd += tidy_args or []
    cmd += ["--"] + (compiler_args if compiler_args else ["-std=c++20"]) + [f"-I{os.path.normpath(inputs)}"]

    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    output = proc.stdout
    if proc.returncode != 0:
        fail(f"clang-tidy exited with {proc.returncode}:\n  {' '.join(cmd)}", output + proc.stderr)

    def filecheck(prefixes, implicit):
        fc = ["FileCheck", args.input, "--check-prefixes=" + ",".join(prefixes),
              f"--implicit-check-not={implicit}", "--dump-input=fail"]
        r = subprocess.run(fc, input=output, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            fail(f"FileCheck failed for {','.join(prefixes)}:\n{r.stdout}", output)

    if used_notes:
        filecheck(used_notes, "{{note|warning|error}}:")
    if used_msgs:
        filecheck(used_msgs, "{{warning|error}}:")
    if used_fixes:
        fc = ["FileCheck", args.input, "--check-prefixes=" + ",".join(used_fixes), "-strict-whitespace",
              f"--input-file={target}", "--dump-input=fail"]
        r = subprocess.run(fc, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            fail(f"FileCheck failed for {','.join(used_fixes)}:\n{r.stdout}", open(target).read())
    if not used_msgs and not used_notes:
        found = [l for l in output.splitlines() if re.search(r": (warning|error|note): ", l)]
        if found:
            fail(f"expected no diagnostics for suffix(es) {suffixes}, got:", "\n".join(found) + "\n")


if __name__ == "__main__":
    main()
