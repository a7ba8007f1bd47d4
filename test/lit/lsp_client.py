#!/usr/bin/env python3
"""A minimal LSP client: opens one file in a clangd and prints the diagnostics it publishes.

    lsp_client.py CLANGD FILE [--timeout SECONDS] [-- CLANGD-ARGS...]

Prints `published N diagnostics for FILE`, then one line per diagnostic, `FILE:LINE:COL: SEVERITY: MESSAGE [CODE]` (1-based, like the
compiler), so a lit test can FileCheck what an editor would show. The timeout only bounds a hung
server (the test then fails); it is not a performance assertion.
"""
import argparse
import json
import os
import subprocess
import sys
import threading

SEVERITY = {1: "error", 2: "warning", 3: "note", 4: "note"}


def send(proc, msg):
    body = json.dumps(msg).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.flush()


def read_message(stream):
    length = None
    while True:
        line = stream.readline()
        if not line:
            return None
        line = line.strip()
        if not line:
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.read(length))


def main():
    argv = sys.argv[1:]
    extra = []
    if "--" in argv:
        i = argv.index("--")
        argv, extra = argv[:i], argv[i + 1:]
    p = argparse.ArgumentParser()
    p.add_argument("clangd")
    p.add_argument("file")
    p.add_argument("--timeout", type=float, default=120)
    args = p.parse_args(argv)

    path = os.path.abspath(args.file)
    uri = "file://" + path
    proc = subprocess.Popen([args.clangd, "--log=error", "--pch-storage=memory"] + extra,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    result = {}
    done = threading.Event()

    def reader():
        while True:
            msg = read_message(proc.stdout)
            if msg is None:
                break
            if msg.get("method") == "textDocument/publishDiagnostics" and msg["params"]["uri"] == uri:
                # clangd publishes once the file is built; tidy findings come in the same batch.
                result["diags"] = msg["params"]["diagnostics"]
                done.set()
            elif "id" in msg and "method" in msg:
                # Server-to-client requests (e.g. workDoneProgress/create) need an answer.
                send(proc, {"jsonrpc": "2.0", "id": msg["id"], "result": None})
        done.set()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    send(proc, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": os.getpid(), "rootUri": "file://" + os.path.dirname(path),
        "capabilities": {"textDocument": {"publishDiagnostics": {"relatedInformation": True}}}}})
    send(proc, {"jsonrpc": "2.0", "method": "initialized", "params": {}})
    with open(path, encoding="utf-8") as f:
        text = f.read()
    send(proc, {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": uri, "languageId": "c" if args.file.endswith(".c") else "cpp", "version": 1, "text": text}}})

    ok = done.wait(args.timeout)
    try:
        send(proc, {"jsonrpc": "2.0", "id": 2, "method": "shutdown", "params": None})
        send(proc, {"jsonrpc": "2.0", "method": "exit", "params": None})
        proc.wait(timeout=30)
    except Exception:
        proc.kill()
    if not ok or "diags" not in result:
        sys.stderr.write("lsp_client: no publishDiagnostics for %s\n%s" % (path, proc.stderr.read().decode()))
        return 1
    print(f"published {len(result['diags'])} diagnostics for {path}")
    for d in sorted(result["diags"], key=lambda d: (d["range"]["start"]["line"], d["range"]["start"]["character"])):
        s = d["range"]["start"]
        code = f" [{d['code']}]" if d.get("code") else ""
        print(f"{path}:{s['line'] + 1}:{s['character'] + 1}: {SEVERITY.get(d.get('severity'), 'note')}: {d['message']}{code}")
        for rel in d.get("relatedInformation", []):
            r = rel["location"]["range"]["start"]
            print(f"  related {r['line'] + 1}:{r['character'] + 1}: {rel['message']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
