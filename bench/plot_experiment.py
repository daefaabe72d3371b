#!/usr/bin/env python3
"""plot_experiment.py: the plots of `ring1 experiment` and `ring1 sweep` (docs/experiment.md), with matplotlib.

  plot_experiment.py experiment EXPERIMENT_CSV RATIOS_CSV OUTDIR  -> OUTDIR/ratios.png, OUTDIR/cycles.png
  plot_experiment.py sweep SWEEP_CSV OUTDIR                       -> OUTDIR/sweep.png

ratios.png: per region, each paravirtual configuration's median cycles per operation over native's (same TLB
kind), beside the paper's XenoLinux / Linux ratio where the region is one of the paper's lmbench rows.
cycles.png: median modelled cycles per operation per region and configuration (log scale). sweep.png: TLB
misses and cycles per operation against TLB entries, untagged and tagged, one line per region. The numbers are
ring1's modelled cycles; the plots say so.
"""
import csv
import sys

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402


def read(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def ordered(values):
    seen = []
    for v in values:
        if v not in seen:
            seen.append(v)
    return seen


def experiment(results_csv, ratios_csv, out):
    rows = read(results_csv)
    ratios = read(ratios_csv)
    regions = ordered(r["region"] for r in rows)
    configs = ordered((r["platform"], r["tlb"]) for r in rows)

    # Ratios to native, with the paper's beside them.
    pv = [c for c in configs if c[0] != "native"]
    fig, ax = plt.subplots(figsize=(min(16, max(6, 0.8 * len(regions))), 5))
    width = 0.8 / (len(pv) + 1)
    for k, (platform, tlb) in enumerate(pv):
        ys = []
        for reg in regions:
            hit = [r for r in ratios if r["region"] == reg and r["platform"] == platform and r["tlb"] == tlb]
            ys.append(float(hit[0]["ratio"]) if hit and hit[0]["ratio"] else 0.0)
        ax.bar([i + k * width for i in range(len(regions))], ys, width, label=f"{platform} / {tlb}")
    paper = []
    for reg in regions:
        hit = [r for r in ratios if r["region"] == reg and r["paper_ratio"]]
        paper.append(float(hit[0]["paper_ratio"]) if hit else 0.0)
    ax.bar([i + len(pv) * width for i in range(len(regions))], paper, width, label="paper: XenoLinux / Linux",
           color="black")
    ax.axhline(1.0, color="grey", linewidth=0.8)
    ax.set_xticks([i + len(pv) * width / 2 for i in range(len(regions))])
    ax.set_xticklabels(regions, rotation=30, ha="right")
    ax.set_ylabel("ratio to native (same TLB kind)")
    ax.set_title("ring1: paravirtualised over native, modelled cycles per operation (median)")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(f"{out}/ratios.png", dpi=100)
    plt.close(fig)

    # Cycles per operation, every configuration.
    fig, ax = plt.subplots(figsize=(min(16, max(6, 0.8 * len(regions))), 5))
    width = 0.8 / len(configs)
    for k, (platform, tlb) in enumerate(configs):
        ys = []
        for reg in regions:
            hit = [r for r in rows if r["region"] == reg and r["platform"] == platform and r["tlb"] == tlb]
            ys.append(float(hit[0]["median_cycles"]) if hit else 0.0)
        ax.bar([i + k * width for i in range(len(regions))], ys, width, label=f"{platform} / {tlb}")
    ax.set_yscale("log")
    ax.set_xticks([i + (len(configs) - 1) * width / 2 for i in range(len(regions))])
    ax.set_xticklabels(regions, rotation=30, ha="right")
    ax.set_ylabel("modelled cycles per operation (median)")
    ax.set_title("ring1: cycles per operation by configuration")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(f"{out}/cycles.png", dpi=100)
    plt.close(fig)


def sweep(sweep_csv, out):
    rows = read(sweep_csv)
    regions = ordered(r["region"] for r in rows)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 7), sharex=True)
    for reg in regions:
        for tlb, style in (("untagged", "-o"), ("tagged", "--s")):
            pts = sorted((int(r["entries"]), float(r["misses_per_op"]), float(r["median_cycles"]))
                         for r in rows if r["region"] == reg and r["tlb"] == tlb)
            if not pts:
                continue
            xs = [p[0] for p in pts]
            top.plot(xs, [p[1] for p in pts], style, label=f"{reg} ({tlb})")
            bottom.plot(xs, [p[2] for p in pts], style, label=f"{reg} ({tlb})")
    top.set_xscale("log", base=2)
    top.set_yscale("symlog", linthresh=1)  # a handful of misses and a thousand on one plot
    top.set_ylabel("TLB misses per operation")
    top.set_title(f"ring1 TLB sweep ({rows[0]['platform'] if rows else ''}, {rows[0]['ways'] if rows else ''}-way)")
    bottom.set_yscale("log")
    bottom.set_ylabel("modelled cycles per operation (median)")
    bottom.set_xlabel("entries per 4 KiB TLB array (ITLB and DTLB)")
    top.legend(fontsize="x-small", ncol=2)
    fig.tight_layout()
    fig.savefig(f"{out}/sweep.png", dpi=100)
    plt.close(fig)


def main(argv):
    if len(argv) == 5 and argv[1] == "experiment":
        experiment(argv[2], argv[3], argv[4])
    elif len(argv) == 4 and argv[1] == "sweep":
        sweep(argv[2], argv[3])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
