// What a PV guest is shown when it asks the hypervisor for CPUID (the forced-emulation prefix, see
// privileged_op.h): the processor's own answer with the features a ring-1 kernel must not use masked off,
// plus the hypervisor leaves at 0x40000000. This is Xen 3.2's policy (xen/arch/x86/traps.c,
// emulate_forced_invalid_op and cpuid_hypervisor_leaves), applied to ring1's processor (cpu/cpuid.h).
// A plain CPUID is not trapped (processors of the time could not fault it), so it shows the processor's
// answer unmasked, as on Xen.
#pragma once
#include "cpu/cpuid.h"

namespace ring1::hv {

// The hypervisor leaves: 0x40000000 "XenVMMXenVMM" and the highest leaf (0x40000002); 0x40000001 the version
// (major << 16 | minor); 0x40000002 the number of hypercall pages (1) and the MSR that installs one.
inline constexpr u32 kCpuidHypervisorBase = 0x40000000;
inline constexpr u32 kCpuidHypervisorLast = 0x40000002;

// Leaf 1 EDX loses VME, PSE and PGE (the guest's paging is Xen's to configure: no superpages and no global
// pages for PV), SEP (SYSENTER cannot enter ring 1 on x86_32 Xen without a supervisor-mode kernel) and MTRR
// (an unprivileged domain has no memory-type registers). Leaf 0x80000001 EDX loses SYSCALL and RDTSCP.
// Every other leaf outside the hypervisor range is the processor's.
CpuidResult pv_cpuid(const Cpu& cpu, u32 leaf, bool privileged_domain);

}  // namespace ring1::hv
