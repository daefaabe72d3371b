#!/usr/bin/env bash
# The layering DESIGN.md fixes, checked on the sources: every folder under src/ may include only the folders
# below it. The one-way graph, bottom to top:
#
#   common      types, faults, costs, EFLAGS and the architectural bits: includes nothing of ring1
#   mmu         physical memory, TLB, page walker, guest-memory copies: common
#   cpu         the interpreter: common, mmu
#   control     domain 0's daemons (the xenstore): common, mmu; used by devices and the hypervisor
#   jit         the translation tier: common, mmu, cpu (the CPU reaches it only through its TranslationHook;
#               the machine attaches it)
#   loaders     ELF, multiboot, Xen notes: common, mmu, cpu
#   devices     the PC's devices and the PV back ends: common, mmu, cpu, control, and the Xen ABI headers
#               (hypervisor/xen_abi*.h, which include only common/: the guest-facing ABI is vocabulary).
#               Of the CPU only its narrow views (cpu/cpu_clock.h, cpu/cpu_pins.h...), never cpu/cpu.h
#   hypervisor  the PV machine: common, mmu, cpu, loaders, control, devices
#   machine     the composition root (machine, boot, exit statuses, reports): all of the above
#   debugger    gdb stub, tracer, monitor: all of the above
#   vectors     the SingleStepTests runner: common, mmu, cpu, machine
#   experiment  `ring1 experiment` and `ring1 sweep` (runs, CSV, plots): common, mmu, machine
#   cli         the commands of the program (`ring1 run`, `ring1 vectors`): all of the above; nothing includes it
#   main.cpp    options only (CLI11), over cli and experiment/cli
#
# Prints each violation as FILE:LINE and exits 1 if there is one.
#   check_layers.sh SRC_DIR
set -uo pipefail
src=${1:?usage: check_layers.sh SRC_DIR}

# folder -> the folders it must not include
declare -A forbidden=(
  [common]="mmu cpu jit control loaders devices hypervisor machine debugger vectors experiment cli"
  [mmu]="cpu jit control loaders devices hypervisor machine debugger vectors experiment cli"
  [cpu]="jit control loaders devices hypervisor machine debugger vectors experiment cli"
  [control]="cpu jit loaders devices hypervisor machine debugger vectors experiment cli"
  [loaders]="jit control devices hypervisor machine debugger vectors experiment cli"
  [devices]="jit loaders hypervisor machine debugger vectors experiment cli"
  [hypervisor]="jit machine debugger vectors experiment cli"
  [machine]="debugger vectors experiment cli"
  [debugger]="jit vectors experiment cli"
  [vectors]="jit control loaders devices hypervisor debugger experiment cli"
  [jit]="control loaders devices hypervisor machine debugger vectors experiment cli"
  [experiment]="debugger vectors jit cli"
)
# folder -> the one kind of file of a forbidden folder it may include (an extended regex on the path)
declare -A allowed=(
  [devices]="^hypervisor/xen_abi[a-z_]*\.h$"
)
bad=0
for layer in "${!forbidden[@]}"; do
  [ -d "$src/$layer" ] || continue
  for other in ${forbidden[$layer]}; do
    while IFS= read -r hit; do
      included=$(sed -E 's/.*#[[:space:]]*include[[:space:]]+"([^"]+)".*/\1/' <<<"${hit#*:*:}")
      if [ -n "${allowed[$layer]:-}" ] && grep -qE "${allowed[$layer]}" <<<"$included"; then continue; fi
      echo "$hit: src/$layer must not include src/$other"
      bad=1
    done < <(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]+\"$other/" "$src/$layer" || true)
  done
done
# folder -> single headers of an allowed folder it must not include: the whole CPU is not a device's business
# (devices hold a CpuPins or a CpuClock, cpu/cpu_pins.h).
declare -A forbidden_files=(
  [devices]="cpu/cpu.h"
)
for layer in "${!forbidden_files[@]}"; do
  [ -d "$src/$layer" ] || continue
  for header in ${forbidden_files[$layer]}; do
    while IFS= read -r hit; do
      echo "$hit: src/$layer must not include $header (take the narrow interface it uses)"
      bad=1
    done < <(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]+\"${header//./\\.}\"" "$src/$layer" || true)
  done
done
# The Xen ABI headers are shared vocabulary (devices include them): they include nothing of ring1 but common/.
for abi in "$src"/hypervisor/xen_abi*.h; do
  [ -e "$abi" ] || continue
  while IFS= read -r hit; do
    echo "$abi:$hit: an ABI header may include only src/common"
    bad=1
  done < <(grep -nE "^[[:space:]]*#[[:space:]]*include[[:space:]]+\"" "$abi" | grep -vE "\"(common/|hypervisor/xen_abi|hypervisor/hypercalls/hypercalls\.def)" || true)
done
[ "$bad" -eq 0 ] && echo "layering: ok"
exit "$bad"
