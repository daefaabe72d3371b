// The few privileged instructions a PV guest may execute after all: Xen does not bounce every #GP to the
// guest, it first decodes the faulting instruction and completes it itself when the guest is allowed to
// (Xen 3.2 xen/arch/x86/traps.c, emulate_privileged_op, and the forced-emulation prefix in
// emulate_forced_invalid_op). Here: port I/O under the virtual IOPL or I/O bitmap set by physdev_op (IN,
// OUT, INS and OUTS, with no physical ports behind them), CLI/STI under that IOPL, RDMSR/WRMSR from the
// guest kernel (the hypervisor MSR that installs a hypercall page), and CPUID behind `ud2a; .ascii "xen"`
// with the PV CPUID policy (cpuid_policy.h); from the guest kernel also CLTS, WBINVD (ignored) and MOV to
// and from CR0/2/3/4 and DR0-7, as Xen 3.2 emulates them.
#pragma once
#include "common/types.h"

namespace ring1::hv {

class Hypervisor;

// A #GP(0) from the guest: true if the instruction was one Xen emulates and it was completed (registers set,
// the guest resumes after it); false if the #GP goes to the guest as it is.
bool emulate_privileged_op(Hypervisor& hv);

// A #UD from the guest: true if it was `ud2a; .ascii "xen"; cpuid` and the CPUID was emulated (the guest
// resumes after the 7 bytes) or a #PF was bounced because those bytes could not be read; false if the #UD
// goes to the guest as it is (the prefix followed by anything else, or no prefix).
bool emulate_forced_invalid_op(Hypervisor& hv);

// The hypervisor MSRs of Xen 3.x (traps.c, rdmsr/wrmsr_hypervisor_regs): MSR 0x40000000 + 0, written with
// the guest address of a page (frame number in bits 12 and up of EDX:EAX, page index 0 in the low 12 bits),
// fills that page with hypercall stubs. CPUID leaf 0x40000002 names the base and the page count.
inline constexpr u32 kHypercallPageMsr = 0x40000000;

// The guest's debug registers (Xen 3.2 set_debugreg / do_get_debugreg, also the set_debugreg and
// get_debugreg hypercalls and MOV to/from DR in ring 1): 0 or -errno.
i32 set_debugreg(Hypervisor& hv, u32 reg, u32 value);
i32 get_debugreg(Hypervisor& hv, u32 reg, u32& value);

}  // namespace ring1::hv
