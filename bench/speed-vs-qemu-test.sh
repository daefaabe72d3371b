#!/bin/sh
# ctest's check of bench/speed-vs-qemu.py (bench/CMakeLists.txt): with a few thousand iterations per loop it
# must print a row for every loop and end with exact ring1 counts; timings are not looked at. Exit 77 (skipped)
# without qemu-system-i386.
#   bench/speed-vs-qemu-test.sh SCRIPT BUILD_DIR [--self-check]
command -v qemu-system-i386 >/dev/null || { echo "qemu-system-i386 is not installed: skipped"; exit 77; }
script=$1 build=$2
shift 2
out=$("$script" --build "$build" --scale 0.0001 --reps 1 "$@") || { echo "$out"; exit 1; }
echo "$out"
[ "${1:-}" = --self-check ] && exit 0
for loop in rot rot-paged alu alu-paged mem mem-paged flush-paged; do
  echo "$out" | grep -q "^$loop " || { echo "no row for $loop"; exit 1; }
done
echo "$out" | grep -q "^loop .*QEMU MIPS .*interp MIPS .*jit MIPS" || { echo "no table header"; exit 1; }
echo "$out" | grep -q "counts exact" || { echo "counts not reported exact"; exit 1; }
