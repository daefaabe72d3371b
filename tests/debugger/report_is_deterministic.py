#!/usr/bin/env python3
"""report_is_deterministic.py RING1 IMAGE [OPTION...]: runs IMAGE three ways (plainly, with `--trace insn`,
and with the GDB stub listening, which runs the guest in slices) and passes if the three JSON reports are
equal but for their `host` section: everything else is the deterministic model (docs/reports.md)."""
import json
import os
import subprocess
import sys
import tempfile


def report(ring1, image, options, extra, d, name):
    path = os.path.join(d, name + ".json")
    subprocess.run([ring1, "run", image, *options, *extra, "--report", "json", "--report-file", path],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(path) as f:
        r = json.load(f)
    host = r.pop("host")
    return r, host


def main() -> int:
    ring1, image, *options = sys.argv[1:]
    with tempfile.TemporaryDirectory() as d:
        plain, h0 = report(ring1, image, options, [], d, "plain")
        traced, h1 = report(ring1, image, options, ["--trace", "insn", "--trace-file", os.devnull], d, "traced")
        sliced, h2 = report(ring1, image, options, ["--gdb", "0"], d, "sliced")
    print("decode cache (host side):", h0["decode_cache"], h1["decode_cache"], h2["decode_cache"])
    bad = False
    for name, r in (("--trace insn", traced), ("--gdb", sliced)):
        if r != plain:
            bad = True
            for k in plain:
                if plain[k] != r.get(k):
                    print(f"with {name}, '{k}' differs: {r.get(k)} instead of {plain[k]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
