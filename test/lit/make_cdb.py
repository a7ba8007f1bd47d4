"""Writes compile_commands.json for a small test project: one entry per .cpp under DIR.

usage: make_cdb.py DIR [EXTRA_ARG...]
Each entry compiles with -std=c++20 -I DIR/include plus EXTRA_ARGs, from DIR.
"""
import json
import os
import sys

root = os.path.abspath(sys.argv[1])
extra = sys.argv[2:]
entries = []
for dirpath, dirnames, filenames in os.walk(root):
    dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
    for name in sorted(filenames):
        if name.endswith(".cpp"):
            path = os.path.join(dirpath, name)
            entries.append({
                "directory": root,
                "file": path,
                "arguments": ["clang++", "-std=c++20", "-I" + os.path.join(root, "include"), *extra,
                              "-c", path, "-o", path + ".o"],
            })
with open(os.path.join(root, "compile_commands.json"), "w") as out:
    json.dump(entries, out, indent=1)
