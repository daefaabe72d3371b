#!/usr/bin/env bash
# io_rows_match.sh RING1 IMAGE GOLDEN_CSV: runs `ring1 experiment` (the suite on IMAGE natively and untagged
# only, to be quick, then the I/O rows on the build's pingpong example) into a temporary directory; passes if
# io.csv equals GOLDEN_CSV byte for byte and the printed table carries the same figures.
set -u
ring1=$1 image=$2 golden=$3
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
out=$("$ring1" experiment "$image" --configs native/untagged --no-plots --out "$dir" 2>&1); status=$?
if [ "$status" -ne 0 ]; then printf 'exit status %s\n%s\n' "$status" "$out"; exit 1; fi
if ! diff -u "$golden" "$dir/io.csv"; then echo "io.csv differs from $golden (diff above: - expected, + actual)"; exit 1; fi
while IFS=, read -r row tlb samples ops median cycles rest; do
  [ "$row" = row ] && continue
  if ! printf '%s\n' "$out" | grep -q -- " $cycles"; then printf 'the table lacks %s (%s %s)\n%s\n' "$cycles" "$row" "$tlb" "$out"; exit 1; fi
done <"$golden"
exit 0
