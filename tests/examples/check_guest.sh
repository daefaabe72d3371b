#!/usr/bin/env bash
# check_guest.sh STATUS GOLDEN [JSON_PATTERN...] -- RING1 run IMAGE [OPTIONS...]: runs a guest with its report
# written as JSON to a temporary file, and passes if ring1 exits with STATUS, the guest's console output
# (ring1's stdout) equals the file GOLDEN byte for byte, and the report matches every extended regular
# expression JSON_PATTERN. Used by the example and guest-kit tests in CTest.
set -u
want_status=$1 golden=$2; shift 2
patterns=()
while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
shift
report=$(mktemp) out=$(mktemp)
trap 'rm -f "$report" "$out"' EXIT
"$@" --report json --report-file "$report" >"$out" 2>&1
status=$?
fail=0
if [ "$status" -ne "$want_status" ]; then echo "expected exit status $want_status, got $status"; fail=1; fi
if ! diff -u "$golden" "$out"; then echo "console output differs from $golden (diff above: - expected, + actual)"; fail=1; fi
for p in "${patterns[@]}"; do
  if ! grep -Eq -- "$p" "$report"; then echo "report does not match /$p/"; fail=1; fi
done
if [ "$fail" -ne 0 ]; then echo "--- report ---"; cat "$report"; echo; fi
exit $fail
