"""Reduces clang-tidy's output to its diagnostic lines, with paths relative to ROOT, sorted and
without duplicates, so that it can be compared with `tether check`'s text report.

usage: normalize_tidy.py ROOT < clang-tidy-output
"""
import re
import sys

root = sys.argv[1].rstrip("/") + "/"
lines = set()
for line in sys.stdin:
    m = re.match(r"^(/[^:]+):(\d+):(\d+): (warning|error|note): (.*)$", line.rstrip("\n"))
    if m:
        path = m.group(1)
        if path.startswith(root):
            path = path[len(root):]
        lines.add(f"{path}:{m.group(2)}:{m.group(3)}: {m.group(4)}: {m.group(5)}")
for line in sorted(lines):
    print(line)
