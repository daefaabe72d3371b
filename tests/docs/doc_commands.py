#!/usr/bin/env python3
"""Runs the commands a Markdown page shows and compares their output with what the page prints.

Every fenced block whose info string is `console` is a transcript: lines starting with `$ ` are commands (a
trailing backslash continues one), the lines after a command, up to the next command or the end of the block,
are what it prints (stdout and stderr together). A command ending in `&` runs in the background until the
block ends. A `$ gdb ...` command followed by `(gdb) ...` lines runs gdb in batch mode with those commands;
the lines between them that do not start with `(gdb)` must appear in gdb's output in that order. In expected
output, `...` stands for any text within a line, and a line that is only `...` for any number of lines.
Two or more spaces followed by `#` start a comment on a command line. Commands run from the repository root
with bash; `build/release/` is replaced by the build directory under test. Blocks of any other kind (```sh,
```c) are not run: they show code or commands that cannot run inside the suite (`make test` itself).

With `--engine jit`, every `ring1 run` command that does not choose an engine itself runs with the
translation tier (`ring1 run --engine jit ...`), and its output must still be what the page prints: the tiers'
counts are identical, so is every report.

Usage: doc_commands.py --root REPO --build BUILD_DIR [--engine jit] PAGE.md [PAGE.md ...]
Prints one line per block and `N passed, N failed`; exits 1 on any difference.
"""
import argparse
import os
import re
import shlex
import signal
import subprocess
import sys
import time

COMMAND_TIMEOUT = 120  # seconds; the slowest documented command (make experiment) takes well under this


def strip_comment(line):
    m = re.search(r"\s{2,}#", line)
    return line[: m.start()] if m else line


def blocks(path):
    """Yields (first line number, [lines]) for each ```console block of a page."""
    lines = open(path, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```console":
            start, body = i + 2, []
            i += 1
            while i < len(lines) and lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            yield start, body
        i += 1


def steps(body):
    """Splits a block into (command, [expected lines], [(gdb) commands]) steps."""
    out, i = [], 0
    while i < len(body):
        line = body[i]
        if not line.startswith("$ "):
            raise ValueError(f"text before the first command: {line!r}")
        cmd = line[2:]
        while cmd.endswith("\\"):
            i += 1
            cmd = cmd[:-1] + " " + body[i].strip()
        cmd = strip_comment(cmd).strip()
        i += 1
        expected, gdb_cmds = [], []
        while i < len(body) and not body[i].startswith("$ "):
            if body[i].startswith("(gdb) "):
                gdb_cmds.append(strip_comment(body[i][6:]).strip())
                expected.append(None)  # marks where a gdb command was issued
            elif gdb_cmds:
                expected.append(strip_comment(body[i]).rstrip())  # a gdb transcript's notes
            else:
                expected.append(body[i].rstrip())
            i += 1
        out.append((cmd, expected, gdb_cmds))
    return out


def line_matches(pattern, text):
    parts = [re.escape(p) for p in pattern.split("...")]
    return re.fullmatch(".*".join(parts), text.rstrip()) is not None


def compare_exact(expected, actual):
    """Whole-output comparison with `...` wildcards; returns an error string or None."""
    exp = [e for e in expected if e is not None]
    while exp and exp[-1] == "":
        exp.pop()
    act = actual.rstrip("\n").split("\n") if actual.strip() else []

    def match(ei, ai):
        if ei == len(exp):
            return ai == len(act)
        if exp[ei] == "...":
            return any(match(ei + 1, k) for k in range(ai, len(act) + 1))
        return ai < len(act) and line_matches(exp[ei], act[ai]) and match(ei + 1, ai + 1)

    if match(0, 0):
        return None
    for k, e in enumerate(exp):
        if e == "...":
            break
        if k >= len(act) or not line_matches(e, act[k]):
            got = act[k] if k < len(act) else "<end of output>"
            return f"line {k + 1}: expected {e!r}, got {got!r}"
    return f"expected {len(exp)} lines, got {len(act)}:\n" + actual


def compare_in_order(expected, actual):
    """gdb transcripts: each expected line must appear, in order, as a line of the output."""
    act = actual.split("\n")
    pos = 0
    for e in expected:
        if e is None or e == "" or e == "...":
            continue
        while pos < len(act) and not line_matches("..." + e + "...", act[pos]):
            pos += 1
        if pos == len(act):
            return f"gdb output lacks {e!r} (in this order):\n" + actual
        pos += 1
    return None


def with_engine(cmd, engine):
    """`ring1 run` commands that choose no engine run with this one (None: as written)."""
    if not engine or "--engine" in cmd:
        return cmd
    return re.sub(r"(\bring1 run)(?=\s)", rf"\1 --engine {engine}", cmd)


def run_block(root, build, body, engine=None):
    background = []
    try:
        for cmd, expected, gdb_cmds in steps(body):
            cmd = cmd.replace("build/release/", build + "/").replace("build/release ", build + " ")
            cmd = with_engine(cmd, engine)
            if cmd.endswith("&"):
                background.append(subprocess.Popen(["bash", "-c", cmd[:-1]], cwd=root, stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL, start_new_session=True))
                time.sleep(0.5)  # let a --gdb-wait server start listening
                continue
            if gdb_cmds:
                argv = shlex.split(cmd)
                argv[1:1] = ["-batch"]
                for g in gdb_cmds:
                    argv += ["-ex", g]
                proc = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
                err = compare_in_order(expected, proc.stdout + proc.stderr)
            else:
                proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=root, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, timeout=COMMAND_TIMEOUT)
                err = compare_exact(expected, proc.stdout)
            if err:
                return f"`{cmd}`: {err}"
        for p in background:
            p.wait(timeout=COMMAND_TIMEOUT)
        return None
    except subprocess.TimeoutExpired as e:
        return f"`{e.cmd}` did not finish in {COMMAND_TIMEOUT} s"
    finally:
        for p in background:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--build", required=True, help="the build directory, relative to --root or absolute")
    ap.add_argument("--engine", choices=["interp", "jit"], help="run every `ring1 run` with this tier")
    ap.add_argument("pages", nargs="+")
    a = ap.parse_args()
    build = os.path.relpath(os.path.abspath(a.build), os.path.abspath(a.root))
    passed = failed = 0
    for page in a.pages:
        for line, body in blocks(page):
            where = f"{os.path.relpath(page, a.root)}:{line}"
            try:
                err = run_block(a.root, build, body, a.engine)
            except ValueError as e:
                err = str(e)
            if err:
                failed += 1
                print(f"FAIL {where}: {err}")
            else:
                passed += 1
                print(f"ok   {where}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
