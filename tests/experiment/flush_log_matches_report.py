#!/usr/bin/env python3
"""flush_log_matches_report.py RING1 IMAGE [OPTION...]: runs IMAGE with --flush-log, --trace tlb and a JSON
report, and passes if the flush log has exactly the report's flushes and dropped entries cause by cause, one
row per trace line with the same cause, ring, EIP and dropped count, and refill misses that add up to the
report's TLB misses (every miss follows some flush: the first flush comes before the first paged access)."""
import collections
import csv
import json
import os
import re
import subprocess
import sys
import tempfile

COLUMNS = ["seq", "cycle", "cause", "ring", "eip", "addr", "dropped", "refill_misses", "refill_itlb_misses",
           "refill_dtlb_misses"]


def main() -> int:
    ring1, image, *options = sys.argv[1:]
    with tempfile.TemporaryDirectory() as d:
        log, trace, report = (os.path.join(d, n) for n in ("flushes.csv", "t.trace", "r.json"))
        subprocess.run([ring1, "run", image, *options, "--flush-log", log, "--trace", "tlb", "--trace-file", trace,
                        "--report", "json", "--report-file", report], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        with open(report) as f:
            r = json.load(f)
        with open(log, newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames != COLUMNS:
                print("columns:", reader.fieldnames, "expected", COLUMNS)
                return 1
            rows = list(reader)
        with open(trace) as f:
            lines = f.read().splitlines()
    bad = False
    if len(rows) != len(lines):
        print(f"{len(rows)} flush-log rows, {len(lines)} trace lines")
        bad = True
    for i, (row, line) in enumerate(zip(rows, lines)):
        m = re.match(r"tlb +cycle=(\d+) ring=([0-3]) eip=(0x[0-9a-f]{8}) flush cause=(\S+) dropped=(\d+)", line)
        want = (m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)) if m else None
        got = (row["cycle"], row["ring"], row["eip"], row["cause"], row["dropped"])
        if int(row["seq"]) != i or want != got:
            print(f"row {i}: {got}, trace line: {line}")
            bad = True
            break
    flushes, dropped = collections.Counter(), collections.Counter()
    for row in rows:
        flushes[row["cause"]] += 1
        dropped[row["cause"]] += int(row["dropped"])
        if int(row["refill_misses"]) != int(row["refill_itlb_misses"]) + int(row["refill_dtlb_misses"]):
            print("row", row["seq"], "misses do not add up")
            bad = True
    for cause, counts in r["tlb"]["flushes"].items():
        print(f"{cause}: log {flushes[cause]} flushes ({dropped[cause]} dropped), "
              f"report {counts['flushes']} ({counts['entries_dropped']} dropped)")
        if flushes[cause] != counts["flushes"] or dropped[cause] != counts["entries_dropped"]:
            bad = True
    misses = r["tlb"]["itlb"]["misses"] + r["tlb"]["dtlb"]["misses"]
    refills = sum(int(row["refill_misses"]) for row in rows)
    print(f"refill misses {refills}, report misses {misses}")
    if refills != misses:
        bad = True
    if not rows:
        print("the run flushed nothing: this test would prove nothing")
        bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
