// SYSENTER and SYSEXIT (SDM vol. 2, SYSENTER/SYSEXIT; vol. 3, 5.8.7), the Pentium II's fast system call:
// a ring-3 -> ring-0 transfer and back that reads no descriptor and pushes nothing. Both load CS and SS
// with fixed flat descriptors derived from IA32_SYSENTER_CS (the caches are set, the GDT is never read),
// which is why they cost a fraction of an interrupt gate. Xen 3.x PV guests may register a sysenter
// callback; a native guest's kernel uses them for system calls. The 386 and 486 have neither (#UD).
#include "cpu/exec/operands.h"
#include "common/arch_bits.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {


// The checks both instructions share, in the SDM's order: protected mode, and a non-null
// IA32_SYSENTER_CS[15:2].
inline void require_sysenter_cs(const Cpu& c) {
  if (!(c.cr0 & cr0::PE)) raise_fault(Vector::GP, 0);
  if ((c.sysenter.cs & 0xFFFCu) == 0) raise_fault(Vector::GP, 0);
}

// SYSENTER: VM, IF and RF cleared; CS = SYSENTER_CS & 0xFFFC (flat 4 GiB execute/read, DPL 0, 32-bit),
// SS = CS + 8 (flat read/write, DPL 0, 32-bit); CPL 0; ESP = SYSENTER_ESP; EIP = SYSENTER_EIP. Allowed at
// any CPL and in virtual-8086 mode (the SDM's only conditions are the two above).
void sysenter(Cpu& c, const Insn&) {
  require_sysenter_cs(c);
  const u8 from_cpl = c.cpl;
  const u16 from_cs = c.seg[CS].selector;
  const u32 from_eip = c.eip;
  c.sync_flags();
  c.set_flags(c.eflags & ~(eflags::VM | eflags::IF | eflags::RF));
  const u16 cs = u16(c.sysenter.cs & 0xFFFCu);
  c.load_segment_flat(CS, cs, 0, true, true);
  c.load_segment_flat(SS, u16(cs + 8), 0, false, true);
  c.cpl = 0;
  c.gpr[ESP] = c.sysenter.esp;
  c.next_eip = c.sysenter.eip;
  c.note_transition(TransitionCause::Sysenter, 0, from_cpl, from_cs, from_eip, c.next_eip);
}

// SYSEXIT (32-bit operand size): CPL 0 only; CS = SYSENTER_CS + 16 with RPL 3 (flat execute/read, DPL 3,
// 32-bit), SS = SYSENTER_CS + 24 with RPL 3 (flat read/write, DPL 3); CPL 3; ESP = ECX; EIP = EDX. EFLAGS is
// not changed.
void sysexit(Cpu& c, const Insn&) {
  require_sysenter_cs(c);
  if (c.cpl != 0) raise_fault(Vector::GP, 0);
  const u16 from_cs = c.seg[CS].selector;
  const u32 from_eip = c.eip;
  const u16 base = u16(c.sysenter.cs);
  c.load_segment_flat(CS, u16((base + 16) | 3), 3, true, true);
  c.load_segment_flat(SS, u16((base + 24) | 3), 3, false, true);
  c.cpl = 3;
  c.gpr[ESP] = c.gpr[ECX];
  c.next_eip = c.gpr[EDX];
  c.note_transition(TransitionCause::Sysexit, 0, 0, from_cs, from_eip, c.next_eip);
}

template <Handler H>
bool build(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.lock || d.model != CpuModel::P6) return false;  // LOCK: #UD; a 386/486 has no such instruction
  info.cost = CostClass::Complex;
  i.fn = H;
  return true;
}

}  // namespace

void register_fast_system_call(IsaTable& t) {
  // Both change CPL, CS and the mode: they end their block.
  t.add(Mnemonic::SYSENTER, &build<&sysenter>, true);
  t.add(Mnemonic::SYSEXIT, &build<&sysexit>, true);
}

}  // namespace ring1
