#!/usr/bin/env python3
"""Guest MIPS of QEMU's TCG, ring1's interpreter and ring1's translation tier on the same loops, side by side.

Each loop is a multiboot ELF of bench/guests (built by CMake into BUILD/bench/guests) that runs `iters=N`
iterations of a fixed body and exits through isa-debug-exit. Every engine runs it twice per repetition, with N
iterations and with none, and its MIPS are N x (instructions per iteration) / (time of the N run - time of the
empty run), so that process start, QEMU's firmware and boot, and ring1's loading are subtracted alike (the best
time of the repetitions each; the engines take turns within a repetition, so a busy neighbour slows them
alike). Two tables: by wall-clock time, and by CPU time (the process's user + system time, all its threads),
which a machine shared with other work moves much less. QEMU's instruction count is the one known by construction; ring1's is checked, not assumed: its
reported count of the N run minus that of the empty run must be N x the body's length exactly, and the
interpreter's and the translation tier's reports must be identical but for the host section (wall time).

  bench/speed-vs-qemu.py [--build DIR] [--scale F] [--reps R] [--loops rot,flush-paged,...] [--self-check]

--self-check proves the count check can fail: it claims one instruction more per iteration than each body has,
and succeeds only if every loop is then reported as miscounted.

Exit status: 0 table printed and every count exact; 1 a count differed or a run failed; 2 bad usage or a
missing build. Without qemu-system-i386 the QEMU columns say n/a (the ctest that runs this skips instead).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

# name, instructions per iteration (the bodies in bench/guests/*.S), default iterations (a few hundred million
# instructions: about a second of QEMU, a few of ring1's interpreter).
LOOPS = [
    ("rot", 7, 100_000_000),
    ("rot-paged", 7, 100_000_000),
    ("alu", 9, 80_000_000),
    ("alu-paged", 9, 80_000_000),
    ("mem", 9, 80_000_000),
    ("mem-paged", 9, 80_000_000),
    ("flush-paged", 68, 2_000_000),
]
EXIT_STATUS = 1  # isa-debug-exit with 0: (0 << 1) | 1, on both machines


def fail(msg, status=1):
    print(f"speed-vs-qemu: {msg}", file=sys.stderr)
    sys.exit(status)


def cmdline(iters):
    # Fixed width: the guest's parser then runs the same instructions for every count (start.S).
    return f"iters={iters:010d}"


def timed(argv):
    """Runs argv; returns (wall seconds, CPU seconds: the process's user + system time, all its threads)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        t = time.perf_counter() - t0
        p.returncode = code = os.waitstatus_to_exitcode(status)
        if code != EXIT_STATUS:
            err.seek(0)
            fail(f"{' '.join(argv)} exited {code}, not {EXIT_STATUS}: {err.read().decode(errors='replace').strip()}")
    return t, usage.ru_utime + usage.ru_stime


def run_ring1(ring1, image, iters, engine, report):
    t = timed([ring1, "run", image, "--cmdline", cmdline(iters), "--engine", engine, "--report", "json", "--quiet",
               "--report-file", report])
    with open(report) as f:
        r = json.load(f)
    r.pop("host", None)  # wall time and host MIPS: the only part that may differ between runs and tiers
    return t, r


def run_qemu(qemu, image, iters):
    return timed([qemu, "-kernel", image, "-append", cmdline(iters), "-m", "128", "-accel", "tcg", "-nodefaults",
                  "-display", "none", "-monitor", "none", "-serial", "none", "-no-reboot",
                  "-device", "isa-debug-exit,iobase=0xf4,iosize=4"])


def mips(insns, t_full, t_empty):
    dt = t_full - t_empty
    return insns / dt / 1e6 if dt > 0 else None


def fmt_mips(v):
    return f"{v:.0f}" if v is not None else "-"


def fmt_ratio(a, b):
    return f"{a / b:.2f}x" if a is not None and b is not None else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build/release", help="the CMake build directory (default build/release)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every loop's iteration count (default 1)")
    ap.add_argument("--reps", type=int, default=3, help="repetitions per engine; the best time counts (default 3)")
    ap.add_argument("--loops", default=",".join(n for n, _, _ in LOOPS), help="comma list of loops to run")
    ap.add_argument("--self-check", action="store_true", help="claim a wrong body length; succeed if it is caught")
    a = ap.parse_args()
    if a.scale <= 0 or a.reps < 1:
        fail("--scale must be > 0 and --reps >= 1", 2)
    known = {n: (n, l, i) for n, l, i in LOOPS}
    chosen = [s for s in a.loops.split(",") if s]
    for s in chosen:
        if s not in known:
            fail(f"unknown loop '{s}' (known: {', '.join(known)})", 2)
    ring1 = os.path.join(a.build, "ring1")
    guests = os.path.join(a.build, "bench", "guests")
    if not os.access(ring1, os.X_OK):
        fail(f"{ring1} not found; build first (make build)", 2)
    qemu = shutil.which("qemu-system-i386")
    if not qemu:
        print("speed-vs-qemu: qemu-system-i386 is not installed (Debian: qemu-system-x86): QEMU columns n/a",
              file=sys.stderr)

    rows, exact, miscounted = [], True, 0
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        for name in chosen:
            _, length, default_iters = known[name]
            if a.self_check:
                length += 1
            image = os.path.join(guests, name + ".elf")
            if not os.path.isfile(image):
                fail(f"{image} not found; build first (make build)", 2)
            iters = max(1, int(default_iters * a.scale))
            insns = iters * length
            best = {}
            reports = {}

            def keep(key, t):  # t: (wall, cpu); the best of the repetitions, each clock apart
                w, c = best.get(key, t)
                best[key] = (min(w, t[0]), min(c, t[1]))

            for _ in range(a.reps):
                for engine in ("interp", "jit"):
                    for n in (0, iters):
                        t, r = run_ring1(ring1, image, n, engine, report)
                        keep((engine, n), t)
                        reports[(engine, n)] = r
                if qemu:
                    for n in (0, iters):
                        keep(("qemu", n), run_qemu(qemu, image, n))
            for n in (0, iters):
                if reports[("interp", n)] != reports[("jit", n)]:
                    exact = False
                    print(f"speed-vs-qemu: {name}, {n} iterations: the interpreter's and the translation tier's "
                          "reports differ", file=sys.stderr)
            counted = reports[("interp", iters)]["instructions"] - reports[("interp", 0)]["instructions"]
            if counted != insns:
                exact = False
                miscounted += 1
                print(f"speed-vs-qemu: {name}: ring1 counted {counted} instructions for {iters} iterations, "
                      f"not {iters} x {length} = {insns}", file=sys.stderr)
            m = [{e: mips(insns, best[(e, iters)][k], best[(e, 0)][k]) if (e, 0) in best else None
                  for e in ("qemu", "interp", "jit")} for k in (0, 1)]
            rows.append((name, length, iters, counted, m))

    head = ("loop", "insns/iter", "iterations", "ring1 counted", "QEMU MIPS", "interp MIPS", "jit MIPS",
            "interp/QEMU", "jit/QEMU", "jit/interp")
    for k, clock in enumerate(("wall-clock time", "CPU time (user + system of each process: little moved by "
                               "other load on the machine)")):
        print(f"{'' if k == 0 else chr(10)}MIPS by {clock}:")
        table = [head] + [(n, str(l), str(i), str(c), fmt_mips(m[k]["qemu"]), fmt_mips(m[k]["interp"]),
                           fmt_mips(m[k]["jit"]), fmt_ratio(m[k]["interp"], m[k]["qemu"]),
                           fmt_ratio(m[k]["jit"], m[k]["qemu"]), fmt_ratio(m[k]["jit"], m[k]["interp"]))
                          for n, l, i, c, m in rows]
        widths = [max(len(r[j]) for r in table) for j in range(len(head))]
        for r in table:
            print("  ".join(c.rjust(w) if j else c.ljust(w) for j, (c, w) in enumerate(zip(r, widths))).rstrip())
    print(f"best of {a.reps}; ring1's counts {'exact' if exact else 'NOT EXACT'}: N-run minus empty run = "
          "iterations x insns/iter, interpreter and translation tier reports identical")
    if a.self_check:
        caught = miscounted == len(chosen)
        print(f"self-check: {miscounted} of {len(chosen)} wrong lengths caught: {'PASS' if caught else 'FAIL'}")
        return 0 if caught else 1
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
