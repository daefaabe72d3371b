#!/usr/bin/env bash
# The layering DESIGN.md fixes, checked on the sources: every folder under src/ may include only the folders
# below it. common/ (types, faults, costs, architectural bits) is below everything; the MMU sits below the
# CPU and never includes it; the CPU never knows that devices, the hypervisor, the machine or the debugger
# exist. control/ (domain 0's daemons: the xenstore) sits above the MMU and below the devices and the
# hypervisor, which both use it: it knows of no CPU, device, hypervisor, machine or debugger. Prints each violation as FILE:LINE and exits 1 if there is one.
#   check_layers.sh SRC_DIR
set -uo pipefail
src=${1:?usage: check_layers.sh SRC_DIR}

# folder -> the folders it must not include
declare -A forbidden=(
  [common]="cpu mmu machine devices hypervisor debugger loaders control"
  [mmu]="cpu machine devices hypervisor debugger loaders control"
  [cpu]="machine devices hypervisor debugger loaders control"
  [control]="cpu machine devices hypervisor debugger loaders"
)
bad=0
for layer in "${!forbidden[@]}"; do
  [ -d "$src/$layer" ] || continue
  for other in ${forbidden[$layer]}; do
    while IFS= read -r hit; do
      echo "$hit: src/$layer must not include src/$other"
      bad=1
    done < <(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]+\"$other/" "$src/$layer" || true)
  done
done
[ "$bad" -eq 0 ] && echo "layering: ok"
exit "$bad"
