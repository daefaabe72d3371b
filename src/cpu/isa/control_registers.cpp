// Control and debug registers and INVLPG: privileged (CPL 0 only, #GP(0) otherwise), and the only way a
// ring-0 kernel tells the MMU that paging, write protection, page sizes, global pages or the page directory
// changed. The TLB flushes these cause are the MMU's (mmu.cpp); the instruction costs come from the cost
// profile's events.
#include "cpu/isa/control_registers.h"
#include "common/arch_bits.h"

#include <fmt/format.h>

#include "cpu/exec/operands.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {

// CR4 bits ring1 implements (its CPUID reports TSC, PSE and PGE; PCE gates RDPMC, harmless to accept).
// Every other bit is reserved here and writing it is #GP(0) (SDM vol. 3, 2.5), PAE included.
constexpr u32 kCr4Writable = cr4::TSD | cr4::PSE | cr4::PGE | cr4::PCE;

void require_ring0(const Cpu& c) {
  if (c.cpl != 0) raise_fault(Vector::GP, 0);
}

void mov_from_cr(Cpu& c, const Insn& i) {
  require_ring0(c);
  u32 v = i.op == 0 ? c.cr0 : i.op == 2 ? c.cr2 : i.op == 3 ? c.cr3 : c.cr4;
  c.set_reg<u32>(i.r1, v);
}

void mov_to_cr(Cpu& c, const Insn& i) {
  require_ring0(c);
  u32 v = c.reg<u32>(i.r2);
  switch (i.op) {
    case 0:
      // SDM vol. 3, 2.5: PG without PE, or NW without CD, is #GP(0). ET is fixed at 1 on P6-class parts.
      if (((v & cr0::PG) && !(v & cr0::PE)) || ((v & cr0::NW) && !(v & cr0::CD))) raise_fault(Vector::GP, 0);
      c.set_cr0(v | cr0::ET);
      c.charge(c.costs().events.cr_write);
      break;
    case 2:
      c.cr2 = v;
      break;
    case 3:
      c.set_cr3(v);
      c.charge(c.costs().events.cr3_write);
      break;
    case 4:
      if (v & ~kCr4Writable) raise_fault(Vector::GP, 0);
      c.set_cr4(v);
      c.charge(c.costs().events.cr_write);
      break;
  }
}

// DR4/DR5 alias DR6/DR7: ring1 does not implement CR4.DE (SDM vol. 3, 17.2.2). The registers hold what
// software writes, but no breakpoint is matched: a DR7 that enables one (L0-G3) or general detection (GD,
// bit 13) asks for what ring1 does not model, so the run stops there rather than let the guest wait for a
// #DB that never comes (SDM vol. 3, 17.2.4).
u8 dr_index(u8 n) { return n == 4 ? 6 : n == 5 ? 7 : n; }

void mov_from_dr(Cpu& c, const Insn& i) {
  require_ring0(c);
  c.set_reg<u32>(i.r1, c.dr[dr_index(i.op)]);
}

void mov_to_dr(Cpu& c, const Insn& i) {
  require_ring0(c);
  const u8 n = dr_index(i.op);
  const u32 v = c.reg<u32>(i.r2);
  if (n == 7 && (v & 0x20FFu)) {
    c.yield_unretired(i);
    c.not_modelled(fmt::format("debug-register breakpoints (MOV DR7, {:#010x})", v));
    return;
  }
  c.dr[n] = v;
}

// INVLPG m: drops the translation of the operand's linear address; no access is made (SDM vol. 2, INVLPG).
void invlpg(Cpu& c, const Insn& i) {
  require_ring0(c);
  c.mmu().invlpg(c.seg[i.seg].base + c.effective_address(i));
  c.charge(c.costs().events.invlpg);
}

bool build_invlpg(const DecodedInsn& d, Insn& i, BuildInfo&) {
  if (d.operand_count != 1 || d.op[0].kind != OpKind::Mem) return false;
  set_mem(i, d.op[0], d);
  i.fn = &invlpg;
  return true;
}

}  // namespace

bool build_mov_control(const DecodedInsn& d, Insn& i, BuildInfo&) {
  const Operand& dst = d.op[0];
  const Operand& src = d.op[1];
  auto is_cr = [](const Operand& o) { return o.kind == OpKind::Reg && o.reg_class == RegClass::Cr; };
  auto is_dr = [](const Operand& o) { return o.kind == OpKind::Reg && o.reg_class == RegClass::Dr; };
  auto valid_cr = [](u8 n) { return n == 0 || n == 2 || n == 3 || n == 4; };  // others are #UD
  if (is_cr(src) && is_gpr(dst) && valid_cr(src.reg)) {
    i.op = src.reg;
    i.r1 = gpr_offset(dst);
    i.fn = &mov_from_cr;
  } else if (is_cr(dst) && is_gpr(src) && valid_cr(dst.reg)) {
    i.op = dst.reg;
    i.r2 = gpr_offset(src);
    i.fn = &mov_to_cr;
  } else if (is_dr(src) && is_gpr(dst) && src.reg < 8) {
    i.op = src.reg;
    i.r1 = gpr_offset(dst);
    i.fn = &mov_from_dr;
  } else if (is_dr(dst) && is_gpr(src) && dst.reg < 8) {
    i.op = dst.reg;
    i.r2 = gpr_offset(src);
    i.fn = &mov_to_dr;
  } else {
    return false;
  }
  // Writing CR0/CR3/CR4 can change every translation and the mode: end the block either way.
  i.flags |= insn_flag::EndsBlock;
  return true;
}

void register_control_registers(IsaTable& t) { t.add(Mnemonic::INVLPG, &build_invlpg, true); }

}  // namespace ring1
