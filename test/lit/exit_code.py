"""Runs a command, passes its output through, then prints 'exit=N' on stdout and exits 0.

usage: exit_code.py COMMAND [ARG...]
lit's internal shell has no `$?`; this lets a test pin an exact exit code.
"""
import subprocess
import sys

sys.stdout.flush()
code = subprocess.call(sys.argv[1:])
print("exit=%d" % code, flush=True)
