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
# a timer's wake-up, each in modelled cycles; they go to the table and to CSV-events.csv.
set -euo pipefail
ring1=$1 image=$2 csv=$3 events=${4:-}

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
    status=0; "$ring1" run "$image" $args --tlb "$tlb" --quiet >"$out" || status=$?
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

# The summary: 1024 pages; the page-table update at each batch size, the whole build at batch 64.
awk -F, '
  NR == 1 { next }
  { key = $1 " " $2; if (!(key in seen)) { seen[key] = 1; order[++k] = key; ctx[key] = $8; sys[key] = $9; pf[key] = $10 } }
  $3 == 1024 { pte[key, $4] = $5; if ($4 == 64) build[key] = $6 }
  END {
    printf "modelled cycles per operation (ring1 cost profile p3; 1024 pages; CSV has every size)\n"
    printf "%-12s %-8s | %8s %8s %8s %8s | %11s | %8s %8s %8s\n", "config", "tlb", "pte b=1", "b=8", "b=64", "b=512",
           "build b=64", "ctx sw", "syscall", "pg fault"
    for (i = 1; i <= k; i++) {
      key = order[i]; split(key, p, " ")
      printf "%-12s %-8s | %8s %8s %8s %8s | %11s | %8s %8s %8s\n", p[1], p[2], pte[key, 1], pte[key, 8], pte[key, 64],
             pte[key, 512], build[key], ctx[key], sys[key], pf[key]
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
