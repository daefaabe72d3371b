#!/usr/bin/env python3
"""check_disk.py: runs examples/disk on a fresh disk image and checks what it left in the file.

  check_disk.py MODE SECTORS STATUS GOLDEN [JSON_PATTERN...] -- RING1 run disk.elf [OPTIONS...]

Makes a temporary image of SECTORS sectors, each sector s filled with the byte (s * 37 + 11) & 0xff, and runs the
command with `--pv --disk IMAGE` (MODE rw or unchanged) or `--disk IMAGE,ro` (MODE ro) and a JSON report added;
MODE rw2 makes two images and adds `--disk IMAGE1 --disk IMAGE2,domain=2` (the command gives two --domain
kernels), each image checked as in rw. Passes if ring1
exits with STATUS, its console output equals GOLDEN byte for byte, the report matches every extended regular
expression JSON_PATTERN, and the image is what the guest was meant to leave:
  rw: sectors 8 .. SECTORS-9 hold the guest's pattern (the 32-bit little-endian word at byte offset o is
      (o / 4) * 2654435761 + 0x01234567 mod 2^32), and the first and last 8 sectors are as they were made;
  ro: every byte is as it was made (the image is attached read-only);
  unchanged: every byte is as it was made (the image is attached read-write).
"""
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

EDGE = 8


def initial(sectors):
    return b"".join(bytes([(s * 37 + 11) & 0xFF]) * 512 for s in range(sectors))


def pattern(first_byte, end_byte):
    words = range(first_byte // 4, end_byte // 4)
    return struct.pack("<%dI" % len(words), *(((w * 2654435761) + 0x01234567) & 0xFFFFFFFF for w in words))


def check_image(image, mode, sectors, before, fail):
    """Appends to `fail` what is wrong with the image the run left."""
    name = os.path.basename(image)
    after = open(image, "rb").read()
    if len(after) != len(before):
        fail.append("%s changed size: %d bytes, was %d" % (name, len(after), len(before)))
    elif mode in ("ro", "unchanged"):
        if after != before:
            fail.append("%s changed" % name)
    else:
        lo, hi = EDGE * 512, (sectors - EDGE) * 512
        if after[:lo] != before[:lo]:
            fail.append("%s: the first %d sectors changed" % (name, EDGE))
        if after[hi:] != before[hi:]:
            fail.append("%s: the last %d sectors changed" % (name, EDGE))
        if after[lo:hi] != pattern(lo, hi):
            bad = next(i for i in range(lo, hi) if after[i] != pattern(lo, hi)[i - lo])
            fail.append("%s: the written range does not hold the pattern (first difference at byte %d)" % (name, bad))


def main():
    args = sys.argv[1:]
    mode, sectors, status, golden = args[0], int(args[1]), int(args[2]), args[3]
    sep = args.index("--")
    patterns, cmd = args[4:sep], args[sep + 1:]
    fail = []
    with tempfile.TemporaryDirectory() as tmp:
        images = [os.path.join(tmp, "disk%d.img" % k) for k in range(2 if mode == "rw2" else 1)]
        before = initial(sectors)
        for image in images:
            with open(image, "wb") as f:
                f.write(before)
        report = os.path.join(tmp, "report.json")
        if mode == "rw2":
            disks = ["--disk", images[0], "--disk", images[1] + ",domain=2"]
        else:
            disks = ["--pv", "--disk", images[0] + (",ro" if mode == "ro" else "")]
        run = subprocess.run(cmd + disks + ["--report", "json", "--report-file", report],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
        if run.returncode != status:
            fail.append("expected exit status %d, got %d" % (status, run.returncode))
        want = open(golden, "rb").read()
        if run.stdout != want:
            fail.append("console output differs from %s:\n--- expected\n%s\n--- actual\n%s" %
                        (golden, want.decode(errors="replace"), run.stdout.decode(errors="replace")))
        text = open(report).read() if os.path.exists(report) else ""
        for p in patterns:
            if not re.search(p, text):
                fail.append("report does not match /%s/" % p)
        for image in images:
            check_image(image, mode, sectors, before, fail)
        if fail and text:
            try:
                fail.append("--- report ---\n" + json.dumps(json.loads(text))[:4000])
            except ValueError:
                fail.append("--- report ---\n" + text[:4000])
    for f in fail:
        print(f)
    return 1 if fail else 0


if __name__ == "__main__":
    sys.exit(main())
