#!/usr/bin/env python3
"""experiment_outputs.py RING1 IMAGE MODE: runs `ring1 experiment` (MODE experiment, native and PV in the shared
layout) or `ring1 sweep` (MODE sweep, two TLB sizes) on IMAGE into a temporary directory, and passes if the
CSV files have exactly the documented columns and a row per configuration and region, the printed table sets
each region beside the paper's ratio, and the plots are PNG files when Debian's matplotlib is installed
(without it, the command must say it skipped them)."""
import csv
import os
import subprocess
import sys
import tempfile

FIELDS = ["instructions", "cycles", "cycles_ring0", "cycles_ring1", "cycles_ring2", "cycles_ring3", "itlb_lookups",
          "itlb_misses", "dtlb_lookups", "dtlb_misses", "tlb_fills", "tlb_evictions"]
CAUSES = ["cr3_write", "invlpg", "cr0_cr4", "explicit", "coherence"]
FIELDS += [f"flushes_{c}" for c in CAUSES] + [f"dropped_{c}" for c in CAUSES]
FIELDS += ["walks", "walk_cycles", "page_faults", "hypercalls", "hv_entries", "bounces", "upcalls"]
EXPERIMENT = ["platform", "tlb", "tlb_geometry", "region", "samples", "min_cycles", "median_cycles",
              "mean_cycles"] + FIELDS
RATIOS = ["region", "platform", "tlb", "tlb_geometry", "median_cycles", "native_median_cycles", "ratio",
          "paper_ratio"]
SWEEP = ["entries", "ways", "platform", "tlb", "tlb_geometry", "region", "samples", "median_cycles", "mean_cycles",
         "misses_per_op", "itlb_misses_per_op", "dtlb_misses_per_op", "walks_per_op", "flushes_per_op"]


def read(path, columns):
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames != columns:
            raise SystemExit(f"{path}: columns {reader.fieldnames}\n expected {columns}")
        return list(reader)


def png(path):
    with open(path, "rb") as f:
        return f.read(8) == b"\x89PNG\r\n\x1a\n"


def main() -> int:
    ring1, image, mode = sys.argv[1:]
    have_mpl = subprocess.run(["/usr/bin/python3", "-c", "import importlib.util, sys; "
                                   "sys.exit(importlib.util.find_spec('matplotlib') is None)"]).returncode == 0 \
        if os.path.exists("/usr/bin/python3") else False
    with tempfile.TemporaryDirectory() as d:
        if mode == "experiment":
            cmd = [ring1, "experiment", image, "--out", d, "--configs", "native,pv-shared"]
        else:
            cmd = [ring1, "sweep", image, "--out", d, "--entries", "4,64", "--ways", "4"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        print(p.stdout, p.stderr)
        if p.returncode != 0:
            print("exit status", p.returncode)
            return 1
        if mode == "experiment":
            rows = read(os.path.join(d, "experiment.csv"), EXPERIMENT)
            ratios = read(os.path.join(d, "ratios.csv"), RATIOS)
            configs = {(r["platform"], r["tlb"]) for r in rows}
            regions = {r["region"] for r in rows}
            assert configs == {("native", "untagged"), ("native", "tagged"), ("pv-shared", "untagged"),
                               ("pv-shared", "tagged")}, configs
            assert len(rows) == len(configs) * len(regions), (len(rows), configs, regions)
            assert len(ratios) == len(rows)
            for r in ratios:
                assert r["ratio"], r
                if r["platform"] == "native":
                    assert float(r["ratio"]) == 1.0, r
            nc = [r for r in ratios if r["region"] == "null call"]
            assert nc and all(r["paper_ratio"] == "1.022" for r in nc), nc
            assert "null call" in p.stdout and "1.02" in p.stdout
            pv_pf = [r for r in rows if r["region"] == "page fault" and r["platform"] == "pv-shared"]
            assert pv_pf and all(int(r["bounces"]) >= int(r["samples"]) for r in pv_pf), pv_pf
            plots = ["ratios.png", "cycles.png"]
        else:
            rows = read(os.path.join(d, "sweep.csv"), SWEEP)
            assert {(r["entries"], r["tlb"]) for r in rows} == {("4", "untagged"), ("4", "tagged"), ("64", "untagged"),
                                                                 ("64", "tagged")}
            small = {r["region"]: float(r["misses_per_op"]) for r in rows if r["entries"] == "4" and r["tlb"] == "tagged"}
            large = {r["region"]: float(r["misses_per_op"]) for r in rows if r["entries"] == "64" and r["tlb"] == "tagged"}
            assert small["space switch"] > large["space switch"], (small, large)
            plots = ["sweep.png"]
        for name in plots:
            path = os.path.join(d, name)
            if have_mpl:
                if not (os.path.exists(path) and png(path)):
                    print(name, "is missing or not a PNG")
                    return 1
            elif "plots: skipped" not in p.stdout:
                print("no matplotlib, and the command did not say it skipped the plots")
                return 1
    print("ok" + ("" if have_mpl else " (plots skipped: no matplotlib)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
