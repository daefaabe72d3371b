#!/usr/bin/env bash
# Runs every example guest on ring1 and on QEMU's PC, and compares what each printed and how it exited.
# The examples are multiboot ELF kernels written for the devices both machines have (COM1, isa-debug-exit
# at 0xF4, port 0xE9), so their console output (COM1 and port 0xE9, each compared apart) and exit status must agree. What they measure differs by nature (ring1
# counts modelled cycles, QEMU's TSC runs at host speed; QEMU keeps the top 128 KiB of RAM for its firmware
# tables), so every decimal number is masked, its sign too, even when padding stands between the two (and runs of spaces, which pad them, squeezed) before comparing: the lines, their words and hexadecimal values
# (addresses, CR2, error codes) and the exit status must agree. --exact compares the numbers too.
# Exit status 0 when every example agrees, 1 when one differs, 2 when QEMU or the build is missing.
#   scripts/compare-qemu.sh [BUILD_DIR] [--exact]
set -uo pipefail

build=build/release
exact=0
for a in "$@"; do
  case "$a" in
    --exact) exact=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) build="$a" ;;
  esac
done

qemu=$(command -v qemu-system-i386 || true)
if [ -z "$qemu" ]; then
  echo "compare-qemu: qemu-system-i386 is not installed (Debian: apt-get install qemu-system-x86)" >&2
  exit 2
fi
ring1="$build/ring1"
if [ ! -x "$ring1" ]; then
  echo "compare-qemu: $ring1 not found; build first (make build)" >&2
  exit 2
fi

mapfile -t images < <(find "$build/examples" -maxdepth 2 -name '*.elf' | sort)
if [ ${#images[@]} -eq 0 ]; then
  echo "compare-qemu: no example kernels (*.elf) under $build/examples" >&2
  exit 2
fi

normalise() {
  if [ "$exact" -eq 1 ]; then cat; else sed -E 's/-?\b[0-9]+(\.[0-9]+)?\b/N/g; s/-( *)N/\1N/g; s/ +/ /g'; fi
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
for img in "${images[@]}"; do
  name=$(basename "$img" .elf)
  # Each console apart: COM1 on stdout, port 0xE9 (QEMU's -debugcon) in a file, on both machines.
  # ring1's measurement ports are its own lab instrument, which QEMU's PC does not have: off for the comparison.
  timeout 60 "$ring1" run "$img" --quiet --no-measure-ports --debugcon "$tmp/ring1.e9" >"$tmp/ring1.out" 2>"$tmp/ring1.err" </dev/null
  r_status=$?
  # -no-reboot: a triple fault ends QEMU as it ends ring1. The console is COM1 on stdio; nothing else.
  timeout 60 "$qemu" -kernel "$img" -m 128 -display none -monitor none -serial stdio -no-reboot \
    -debugcon "file:$tmp/qemu.e9" \
    -device isa-debug-exit,iobase=0xf4,iosize=4 >"$tmp/qemu.out" 2>"$tmp/qemu.err" </dev/null
  q_status=$?
  { tr -d '\r' <"$tmp/qemu.out"; echo "--- port 0xE9 ---"; cat "$tmp/qemu.e9" 2>/dev/null; } | normalise >"$tmp/q"
  { cat "$tmp/ring1.out"; echo "--- port 0xE9 ---"; cat "$tmp/ring1.e9" 2>/dev/null; } | normalise >"$tmp/r"
  if [ "$r_status" -eq "$q_status" ] && cmp -s "$tmp/r" "$tmp/q"; then
    echo "same   $name (exit $r_status)"
  else
    failed=1
    echo "DIFFER $name: ring1 exit $r_status, qemu exit $q_status"
    diff -u --label ring1 --label qemu "$tmp/r" "$tmp/q" | head -40
  fi
done
exit $failed
