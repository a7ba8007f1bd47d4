"""Runs a command with stderr on a pseudo-terminal (stdout to a file) and prints what the terminal
received, with carriage returns and escape sequences made visible as <CR> and <ESC>.

usage: pty_stderr.py STDOUT_FILE COMMAND [ARG...]
"""
import os
import pty
import subprocess
import sys

master, slave = pty.openpty()
with open(sys.argv[1], "wb") as out:
    proc = subprocess.Popen(sys.argv[2:], stdout=out, stderr=slave, stdin=subprocess.DEVNULL)
os.close(slave)
data = b""
while True:
    try:
        chunk = os.read(master, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
proc.wait()
text = data.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "<CR>").replace("\x1b", "<ESC>")
sys.stdout.write(text)
print("exit=%d" % proc.returncode)
