#!/usr/bin/env bash
# The layering DESIGN.md fixes, checked on the sources: every folder under src/ may include only the folders
# below it. common/ (types, faults, costs, architectural bits) is below everything; the MMU sits below the
# CPU and never includes it; the CPU never knows that devices, the hypervisor, the machine or the debugger
# exist. The translation tier (jit/) sits on the CPU and MMU, and only the machine attaches it: the CPU
# reaches it through its TranslationHook alone. Prints each violation as FILE:LINE and exits 1 if there is one.
#   check_layers.sh SRC_DIR
set -uo pipefail
src=${1:?usage: check_layers.sh SRC_DIR}

# folder -> the folders it must not include
declare -A forbidden=(
  [common]="cpu mmu jit machine devices hypervisor debugger loaders"
  [mmu]="cpu jit machine devices hypervisor debugger loaders"
  [cpu]="jit machine devices hypervisor debugger loaders"
  [jit]="machine devices hypervisor debugger loaders"
  [devices]="jit"
  [hypervisor]="jit"
  [debugger]="jit"
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
