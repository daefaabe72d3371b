#!/usr/bin/env bash
# experiment.sh RING1 PV_PAGETABLES_ELF CSV: the paper's memory-management experiment on ring1's model. Runs
# examples/pv-pagetables in every configuration - native; paravirtual with the hypervisor in the top 64 MB of
# the guest's address space (shared, the paper's layout) or in its own (separate: a CR3 load on every entry
# and exit); each with an untagged (x86) and a tagged TLB - and prints one table of modelled cycles per
# operation, writing every figure (each address-space size and mmu_update batch size) to CSV. The numbers are
# ring1's deterministic cycle model, not measurements of any real machine. `make experiment` runs it.
#
# With a fourth argument, the events example (examples/events) under the hypervisor adds its rows: a null
# hypercall against a notification, an event delivery, a masked section with and without an event held, and
# a timer's wake-up, each in modelled cycles; they go to the table and to CSV-events.csv ('' skips them).
# Arguments after those four go to every `ring1 run` of pv-pagetables, e.g. --cmdline "pages=300 batch=7"
# (one size and batch; the guest refuses what it cannot run, and so does this script) or --tlb-profile p4.
set -euo pipefail
ring1=$1 image=$2 csv=$3 events=${4:-}
shift $(( $# < 4 ? $# : 4 ))
extra=("$@")

configs=("native|" "pv-shared|--pv" "pv-separate|--pv --hv-layout separate")
echo "config,tlb,pages,batch,pte_update,build_total,unmap_per_page,context_switch,null_syscall,page_fault" >"$csv"
for c in "${configs[@]}"; do
  name=${c%%|*} args=${c#*|}
  for tlb in untagged tagged; do
    # A kit kernel's clean exit is status 1 natively (isa-debug-exit (0 << 1) | 1) and 0 under the hypervisor
    # (SHUTDOWN_poweroff); anything else is a failed run.
    want=0; [ "$name" = native ] && want=1
    out=$(mktemp)
    # shellcheck disable=SC2086
    status=0; "$ring1" run "$image" $args --tlb "$tlb" --quiet "${extra[@]}" >"$out" || status=$?
    if [ "$status" -ne "$want" ]; then cat "$out" >&2; echo "experiment: $name --tlb $tlb exited $status" >&2; exit 1; fi
    awk -v cfg="$name" -v tlb="$tlb" '
      /^ +[0-9]+ +[0-9]+ +[0-9.]+ +[0-9]+ +[0-9.]+$/ { n++; pages[n] = $1; batch[n] = $2; pte[n] = $3; build[n] = $4; unmap[n] = $5 }
      /context switch/ { ctx = $NF }
      /null system call/ { sys = $NF }
      /page fault/ { pf = $NF }
      END { for (i = 1; i <= n; i++) printf "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", cfg, tlb, pages[i], batch[i], pte[i], build[i], unmap[i], ctx, sys, pf }' "$out" >>"$csv"
    rm -f "$out"
  done
done

if [ "$(wc -l <"$csv")" -le 1 ]; then echo "experiment: pv-pagetables printed no table row" >&2; exit 1; fi
# The summary: the largest address space run (1024 pages by default); the page-table update at each batch
# size run, the whole build at batch 64 (or the largest batch run, when 64 was not).
awk -F, '
  NR == 1 { next }
  { key = $1 " " $2; if (!(key in seen)) { seen[key] = 1; order[++k] = key; ctx[key] = $8; sys[key] = $9; pf[key] = $10 } }
  { if ($3 + 0 > maxp) maxp = $3 + 0; pte[key, $3, $4] = $5; build[key, $3, $4] = $6
    if (!(($3, $4) in hasb)) { hasb[$3, $4] = 1; nb[$3]++; batch[$3, nb[$3]] = $4 } }
  END {
    bb = ""
    for (j = 1; j <= nb[maxp]; j++) { if (batch[maxp, j] == 64) bb = 64; if (batch[maxp, j] + 0 > big) big = batch[maxp, j] + 0 }
    if (bb == "") bb = big
    printf "modelled cycles per operation (ring1 cost profile p3; %s pages; CSV has every size)\n", maxp
    head = sprintf("%-12s %-8s |", "config", "tlb")
    for (j = 1; j <= nb[maxp]; j++) head = head sprintf(" %8s", (j == 1 ? "pte " : "") "b=" batch[maxp, j])
    printf "%s | %11s | %8s %8s %8s\n", head, "build b=" bb, "ctx sw", "syscall", "pg fault"
    for (i = 1; i <= k; i++) {
      key = order[i]; split(key, p, " ")
      line = sprintf("%-12s %-8s |", p[1], p[2])
      for (j = 1; j <= nb[maxp]; j++) line = line sprintf(" %8s", pte[key, maxp, batch[maxp, j]])
      printf "%s | %11s | %8s %8s %8s\n", line, build[key, maxp, bb], ctx[key], sys[key], pf[key]
    }
  }' "$csv"
if [ -n "$events" ]; then
  ecsv=${csv%.csv}-events.csv
  out=$(mktemp)
  status=0; "$ring1" run "$events" --pv --quiet >"$out" || status=$?
  if [ "$status" -ne 0 ]; then cat "$out" >&2; echo "experiment: events exited $status" >&2; exit 1; fi
  echo
  echo "events under the hypervisor (pv-shared, untagged; modelled cycles per operation)"
  grep -E '^  .*[0-9]+\.[0-9]+$' "$out"
  echo "operation,cycles" >"$ecsv"
  grep -E '^  .*[0-9]+\.[0-9]+$' "$out" | sed -E 's/^  (.*[^ ]) +([0-9.]+)$/"\1",\2/' >>"$ecsv"
  rm -f "$out"
  echo "CSV: $ecsv"
fi
echo "CSV: $csv"
