// The hypercalls that virtualise the CPU (xen/include/public/xen.h; XEN-REFERENCE.md, "CPU, privilege,
// exceptions"): the virtual IDT (set_trap_table), the kernel stack for bounces (stack_switch), the event and
// failsafe callbacks, CR0.TS for lazy FPU switching, and IRET with the event mask restored.
#include "hypervisor/hypercalls/hypercalls.h"
#include "common/arch_bits.h"
#include "cpu/cpu.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/privileged_op.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

// A guest code or stack selector with RPL 0 is taken as RPL 1 (Xen: fixup_guest_code_selector,
// fixup_guest_stack_selector): ring 0 is never the guest's.
u16 guest_selector(u32 sel) {
  const u16 s = static_cast<u16>(sel);
  return (s & 3) == 0 ? static_cast<u16>(s | 1) : s;
}

// Xen reads a trap table until the entry whose address is 0. ring1 has no hypercall continuations, so it
// bounds the walk: four times the 256 vectors is more than any table a guest could mean.
constexpr u32 kMaxTrapEntries = 1024;

}  // namespace

// set_trap_table(trap_info *table): NULL clears the virtual IDT; otherwise entries up to the one with
// address 0 replace those of their vectors (Xen: do_set_trap_table).
i32 do_set_trap_table(Hypervisor& hv, const HypercallArgs& a) {
  VirtualCpu& v = hv.vcpu();
  if (a.a1 == 0) {
    v.traps = {};
    hv.update_direct_gate(0x80);
    return 0;
  }
  for (u32 i = 0; i < kMaxTrapEntries; ++i) {
    xen::TrapInfo t;
    if (!hv.guest().read(LinearAddr{a.a1 + i * u32(sizeof(t))}, t)) return -xen::err::kEFAULT;
    if (t.address == 0) return 0;
    v.traps[t.vector] = VirtualTrap{guest_selector(t.cs), t.address, t.flags};
    if (t.vector == 0x80) hv.update_direct_gate(0x80);
  }
  return -xen::err::kEINVAL;
}

// stack_switch(ss, esp): the guest kernel stack (Xen: do_stack_switch), which is also TSS.SS1:ESP1, the
// stack the CPU itself takes on the direct system-call gate from ring 3.
i32 do_stack_switch(Hypervisor& hv, const HypercallArgs& a) {
  VirtualCpu& v = hv.vcpu();
  v.kernel_ss = guest_selector(a.a1);
  v.kernel_sp = a.a2;
  hv.space().set_ring1_stack(v.kernel_ss, v.kernel_sp);
  return 0;
}

// set_callbacks(event_cs, event_eip, failsafe_cs, failsafe_eip), the x86_32 form.
i32 do_set_callbacks(Hypervisor& hv, const HypercallArgs& a) {
  VirtualCpu& v = hv.vcpu();
  v.event_cs = guest_selector(a.a1);
  v.event_eip = a.a2;
  v.failsafe_cs = guest_selector(a.a3);
  v.failsafe_eip = a.a4;
  return 0;
}

// fpu_taskswitch(set): CR0.TS, which the guest cannot write from ring 1 (CLTS is privileged).
i32 do_fpu_taskswitch(Hypervisor& hv, const HypercallArgs& a) {
  Cpu& c = hv.cpu();
  c.set_cr0(a.a1 ? (c.cr0 | cr0::TS) : (c.cr0 & ~cr0::TS));
  return 0;
}

// set_debugreg(reg, value) and get_debugreg(reg) (Xen 3.2 do_set_debugreg / do_get_debugreg): the same
// rules as MOV to and from DR in ring 1 (privileged_op.h). get_debugreg answers the value itself, so a
// register holding a value that looks like -errno reads as that error, as in Xen.
i32 do_set_debugreg(Hypervisor& hv, const HypercallArgs& a) { return set_debugreg(hv, a.a1, a.a2); }

i32 do_get_debugreg(Hypervisor& hv, const HypercallArgs& a) {
  u32 v = 0;
  if (const i32 rc = get_debugreg(hv, a.a1, v); rc != 0) return rc;
  return static_cast<i32>(v);
}

// iret: the guest's stub pushed EAX and entered with EAX = __HYPERVISOR_iret; on its stack are EAX, EIP, CS,
// EFLAGS and, returning to ring 3, ESP and SS (x86_32 do_iret). The guest continues there with EAX restored
// and the event mask set from the popped IF, which ring 1 cannot set itself.
i32 do_iret(Hypervisor& hv, const HypercallArgs&) {
  Hypervisor::Frame f = hv.frame();
  u32 base = 0;
  u32 w[6];
  if (!hv.stack_base(static_cast<u16>(f.ss), base) || !hv.guest().copy_from(LinearAddr{base + f.esp}, w, 16)) {
    hv.crash("iret hypercall: cannot read the return frame from the guest stack");
    return -xen::err::kEFAULT;
  }
  const u32 eax = w[0];
  Hypervisor::Frame to{w[1], guest_selector(w[2]), (w[3] & ~eflags::IOPL) | eflags::IF, f.esp + 16, f.ss};
  if ((to.cs & 3) == 3) {
    if (!hv.guest().copy_from(LinearAddr{base + f.esp + 16}, &w[4], 8)) {
      hv.crash("iret hypercall: cannot read the outer stack from the guest stack");
      return -xen::err::kEFAULT;
    }
    to.esp = w[4];
    to.ss = w[5] & 0xFFFF;
  }
  hv.set_frame(to);
  if (hv.vcpu().vcpu_info) {
    const u8 mask = (w[3] & eflags::IF) ? 0 : 1;
    hv.ram().write_bytes(hv.vcpu().vcpu_info + offsetof(xen::VcpuInfo, evtchn_upcall_mask), &mask, 1);
  }
  return static_cast<i32>(eax);
}

}  // namespace ring1::hv
