#!/usr/bin/env python3
"""trace_counts_match_report.py RING1 IMAGE [OPTION...]: runs IMAGE with `--trace tlb` and a JSON report
(which json.load must accept, as `python3 -m json.tool` would), and passes if the trace has exactly as many
TLB flushes of each cause, with as many entries dropped, as the report counts."""
import collections
import json
import os
import re
import subprocess
import sys
import tempfile


def main() -> int:
    ring1, image, *options = sys.argv[1:]
    with tempfile.TemporaryDirectory() as d:
        trace, report = os.path.join(d, "t.trace"), os.path.join(d, "r.json")
        subprocess.run([ring1, "run", image, *options, "--trace", "tlb", "--trace-file", trace, "--report", "json",
                        "--report-file", report], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(report) as f:
            r = json.load(f)
        flushes, dropped = collections.Counter(), collections.Counter()
        with open(trace) as f:
            for line in f:
                m = re.match(r"tlb +cycle=\d+ ring=[0-3] eip=0x[0-9a-f]{8} flush cause=(\S+) dropped=(\d+)", line)
                if not m:
                    print("unexpected trace line:", line, end="")
                    return 1
                flushes[m.group(1)] += 1
                dropped[m.group(1)] += int(m.group(2))
    bad = False
    for cause, counts in r["tlb"]["flushes"].items():
        print(f"{cause}: trace {flushes[cause]} flushes ({dropped[cause]} dropped), "
              f"report {counts['flushes']} ({counts['entries_dropped']} dropped)")
        if flushes[cause] != counts["flushes"] or dropped[cause] != counts["entries_dropped"]:
            bad = True
    if sum(flushes.values()) == 0:
        print("the run flushed nothing: this test would prove nothing")
        bad = True
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
