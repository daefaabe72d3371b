#!/usr/bin/env python3
"""io_batching_row.py RING1 MEASURED_IMAGE GOLDEN_CSV: runs `ring1 experiment` with one PV configuration per layout
(the hypervisor in the top 64 MB on an untagged TLB, in its own address space on a tagged one) and one native
one, and passes if the I/O row "requests per notification" is there: io-batching.csv equals GOLDEN_CSV (every
count exact: the disk example's regions "blk batch 1/8/32"), the native configuration has no row (it has no block
device), and the printed table names every configuration and batch size. Then runs it again with --no-batching,
which must write no io-batching.csv."""
import os
import subprocess
import sys
import tempfile


def main() -> int:
    ring1, image, golden = sys.argv[1:]
    configs = "native/untagged,pv-shared/untagged,pv-separate/tagged"
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.run([ring1, "experiment", image, "--out", d, "--configs", configs, "--no-plots"],
                           capture_output=True, text=True, timeout=120)
        print(p.stdout, p.stderr)
        if p.returncode != 0:
            print("exit status", p.returncode)
            return 1
        got = open(os.path.join(d, "io-batching.csv")).read()
        want = open(golden).read()
        if got != want:
            print("io-batching.csv differs from", golden, "\n--- expected\n" + want + "--- actual\n" + got)
            return 1
        table = p.stdout[p.stdout.index("requests per notification"):]
        for line in ("pv-shared/untagged          1            32", "pv-separate/tagged         32             1"):
            if line not in table:
                print("the table lacks", repr(line))
                return 1
        if "native/" in table:
            print("a native configuration has a row")
            return 1
    with tempfile.TemporaryDirectory() as d:
        p = subprocess.run([ring1, "experiment", image, "--out", d, "--configs", "pv-shared/untagged", "--no-plots",
                            "--no-batching"], capture_output=True, text=True, timeout=120)
        if p.returncode != 0 or os.path.exists(os.path.join(d, "io-batching.csv")) or "requests per notification" in p.stdout:
            print("--no-batching still ran the row (exit status %d)" % p.returncode, p.stdout, p.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
