#!/usr/bin/env python3
"""Extracts the C++ block under a README heading and writes a translation unit around it, so that
the README's example is compiled by the test suite and cannot rot.

    readme_snippet.py README.md "HEADING" PRELUDE.h OUT.cpp
Top-level lines (#include, using) stay at file scope; the rest becomes the body of a function.
"""
import re
import sys

readme, heading, prelude, out = sys.argv[1:5]
text = open(readme, encoding="utf-8").read()
m = re.search(r"^## " + re.escape(heading) + r"\s*\n.*?```cpp\n(.*?)```", text, re.S | re.M)
if not m:
    sys.exit(f"readme_snippet: no ```cpp block under '## {heading}' in {readme}")
top, body = [], []
for line in m.group(1).splitlines():
    (top if re.match(r"\s*(#include|using namespace)", line) else body).append(line)
with open(out, "w") as f:
    f.write("\n".join(top) + f'\n#include "{prelude}"\nvoid readme_example() {{\n' + "\n".join(body) + "\n}\n")
