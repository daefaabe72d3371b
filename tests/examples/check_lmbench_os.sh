#!/usr/bin/env bash
# check_lmbench_os.sh STATUS [ROW=MIN/MEDIAN...] [--json PATTERN...] -- RING1 run lmbench-os.elf [OPTIONS...]: runs
# lmbench-os's suite and passes if ring1 exits with STATUS, the console shows the suite's header and every
# row of docs/lmbench-os.md once, in order, each with its sample count, minimum and median in modelled cycles,
# the pinned rows have exactly the given minimum and median, and the JSON report matches every PATTERN.
set -u
want_status=$1; shift
pins=() patterns=()
while [ "$1" != "--" ] && [ "$1" != "--json" ]; do pins+=("$1"); shift; done
if [ "$1" = "--json" ]; then
  shift
  while [ "$1" != "--" ]; do patterns+=("$1"); shift; done
fi
shift
report=$(mktemp) out=$(mktemp)
trap 'rm -f "$report" "$out"' EXIT
"$@" --report json --report-file "$report" >"$out" 2>&1
status=$?
fail=0
if [ "$status" -ne "$want_status" ]; then echo "expected exit status $want_status, got $status"; fail=1; fi
rows=("null call" "null I/O" "stat" "open/close" "sig inst" "sig hndl" "fork" "exec" "sh" "ctxsw 2p/0K"
      "ctxsw 2p/16K" "ctxsw 2p/64K" "ctxsw 8p/16K" "ctxsw 8p/64K" "ctxsw 16p/16K" "ctxsw 16p/64K" "mmap lat"
      "prot fault" "page fault")
expected="row              samples         min      median"
if ! grep -Eq '^lmbench-os suite: modelled cycles per operation \(RDTSC\); measurement ports (on|absent)$' "$out" ||
   ! grep -qxF "$expected" "$out"; then
  echo "the suite's header is missing"; fail=1
fi
# The table's rows, in order: the name padded to 16 columns, then three right-aligned numbers.
table=$(grep -A 100 -xF "$expected" "$out" | tail -n +2)
i=0
while IFS= read -r line; do
  if [ $i -ge ${#rows[@]} ]; then echo "extra output after the table: $line"; fail=1; break; fi
  name=${rows[$i]}
  if [[ "$line" != "$(printf '%-16s' "$name")"* ]] || ! [[ "${line:16}" =~ ^\ *[0-9]+\ +[0-9]+\ +[0-9]+$ ]]; then
    echo "row $((i + 1)) should be \"$name\" with three numbers: got \"$line\""; fail=1
  fi
  i=$((i + 1))
done <<<"$table"
if [ $i -ne ${#rows[@]} ]; then echo "expected ${#rows[@]} rows, got $i"; fail=1; fi
for pin in "${pins[@]}"; do
  name=${pin%=*} values=${pin##*=}
  line=$(grep -F "$(printf '%-16s' "$name")" <<<"$table" | head -1)
  read -r _ min median <<<"${line:16}"
  if [ "$min/$median" != "$values" ]; then echo "row \"$name\": expected min/median $values, got $min/$median"; fail=1; fi
done
for p in "${patterns[@]}"; do
  if ! grep -Eq -- "$p" "$report"; then echo "report does not match /$p/"; fail=1; fi
done
if [ "$fail" -ne 0 ]; then echo "--- console ---"; cat "$out"; fi
exit $fail
