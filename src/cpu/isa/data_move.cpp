// Data movement: MOV (all general forms and from a segment register), MOVZX/MOVSX, LEA, XCHG, PUSH/POP,
// CMOVcc, SETcc and NOP (SDM vol. 2). MOV Sreg and POP Sreg load segment registers through the descriptor
// core's load_data_segment, which holds every protected-mode rule.
#include "cpu/descriptors.h"
#include "cpu/exec/condition.h"
#include "cpu/exec/operands.h"
#include "cpu/isa/control_registers.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {

template <class T, bool DstMem, Src S>
void mov(Cpu& c, const Insn& i) {
  T v = source<T, S>(c, i);
  if constexpr (DstMem) c.write<T>(i.seg, c.effective_address(i), v);
  else c.set_reg<T>(i.r1, v);
}

template <class T>
void mov_rm_from_mem(Cpu& c, const Insn& i) {  // MOV r, m
  c.set_reg<T>(i.r1, c.read<T>(i.seg, c.effective_address(i)));
}

// MOV r/m, Sreg: a register destination is zero-extended (Pentium Pro and later; SDM vol. 2, MOV), a memory
// destination is always a 16-bit store.
template <class T, bool DstMem>
void mov_from_sreg(Cpu& c, const Insn& i) {
  u16 sel = c.seg[i.op].selector;
  if constexpr (DstMem) c.write<u16>(i.seg, c.effective_address(i), sel);
  else c.set_reg<T>(i.r1, T(sel));
}

// MOV Sreg, r/m16 (SDM vol. 2, MOV): the load checks come from load_data_segment. MOV SS holds off
// interrupts and debug traps until after the next instruction (vol. 3, 6.8.3). MOV CS does not decode (#UD).
template <bool SrcMem>
void mov_to_sreg(Cpu& c, const Insn& i) {
  const u16 sel = SrcMem ? c.read<u16>(i.seg, c.effective_address(i)) : c.reg<u16>(i.r2);
  load_data_segment(c, static_cast<SegReg>(i.op), sel);
  if (i.op == SS) c.set_interrupt_shadow();
}

template <class TD, class TS, bool Signed, bool SrcMem>
void movx(Cpu& c, const Insn& i) {
  TS v = SrcMem ? c.read<TS>(i.seg, c.effective_address(i)) : c.reg<TS>(i.r2);
  using S = std::conditional_t<sizeof(TS) == 1, i8, i16>;
  TD r = Signed ? TD(static_cast<i32>(static_cast<S>(v))) : TD(v);
  c.set_reg<TD>(i.r1, r);
}

template <class T>
void lea(Cpu& c, const Insn& i) {
  c.set_reg<T>(i.r1, T(c.effective_address(i)));
}

template <class T, bool Mem>
void xchg(Cpu& c, const Insn& i) {
  if constexpr (Mem) {  // LOCK is implied; the emulated CPU is the only bus master while it runs
    u32 ea = c.effective_address(i);
    T m = c.read<T>(i.seg, ea);
    c.write<T>(i.seg, ea, c.reg<T>(i.r2));
    c.set_reg<T>(i.r2, m);
  } else {
    T a = c.reg<T>(i.r1);
    c.set_reg<T>(i.r1, c.reg<T>(i.r2));
    c.set_reg<T>(i.r2, a);
  }
}

template <class T, Src S>
void push(Cpu& c, const Insn& i) {
  c.push<T>(source<T, S>(c, i));
}

// PUSH Sreg: with a 32-bit operand size the selector is zero-extended to a doubleword, as Pentium-class
// processors do (SDM vol. 2, PUSH, "either a zero-extended value is pushed...").
template <class T>
void push_sreg(Cpu& c, const Insn& i) {
  c.push<T>(T(c.seg[i.op].selector));
}

template <class T>
void pop_reg(Cpu& c, const Insn& i) {
  T v = c.pop<T>();
  c.set_reg<T>(i.r1, v);
}

// POP m: the address is computed after ESP is incremented (SDM vol. 2, POP), and a faulting store leaves
// ESP as it was so the instruction restarts.
template <class T>
void pop_mem(Cpu& c, const Insn& i) {
  u32 old_esp = c.gpr[ESP];
  T v = c.pop<T>();
  try {
    c.write<T>(i.seg, c.effective_address(i), v);
  } catch (...) {
    c.gpr[ESP] = old_esp;
    throw;
  }
}

// POP Sreg (SDM vol. 2, POP): the selector is read, the register loaded, and only then ESP moves, so a
// faulting load restarts. A 32-bit pop takes a doubleword and uses its low 16 bits. POP SS sets the
// interrupt shadow like MOV SS (vol. 3, 6.8.3); POP CS does not exist (0F is the two-byte escape).
template <class T>
void pop_sreg(Cpu& c, const Insn& i) {
  const u16 sel = static_cast<u16>(c.peek<T>(0));
  const u32 mask = c.stack_mask();
  const u32 esp = c.gpr[ESP];
  load_data_segment(c, static_cast<SegReg>(i.op), sel);
  c.gpr[ESP] = (esp & ~mask) | ((esp + sizeof(T)) & mask);
  if (i.op == SS) c.set_interrupt_shadow();
}

// CMOVcc reads its source whether or not it moves (a memory source can fault either way).
template <class T, u8 CC, bool SrcMem>
void cmov(Cpu& c, const Insn& i) {
  T v = SrcMem ? c.read<T>(i.seg, c.effective_address(i)) : c.reg<T>(i.r2);
  if (condition<CC>(c)) c.set_reg<T>(i.r1, v);
}

template <u8 CC, bool DstMem>
void setcc(Cpu& c, const Insn& i) {
  u8 v = condition<CC>(c) ? 1 : 0;
  if constexpr (DstMem) c.write<u8>(i.seg, c.effective_address(i), v);
  else c.set_reg<u8>(i.r1, v);
}

void nop(Cpu&, const Insn&) {}

bool build_mov(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 2) return false;
  const Operand& dst = d.op[0];
  const Operand& src = d.op[1];
  for (const Operand* o : {&dst, &src})
    if (o->kind == OpKind::Reg && (o->reg_class == RegClass::Cr || o->reg_class == RegClass::Dr))
      return build_mov_control(d, i, info);
  if (src.kind == OpKind::Reg && src.reg_class == RegClass::Seg) {
    i.op = src.reg;
    if (is_gpr(dst)) {
      i.r1 = gpr_offset(dst);
      i.fn = RING1_BY_SIZE_16_32(dst.size, mov_from_sreg, false);
    } else if (dst.kind == OpKind::Mem) {
      set_mem(i, dst, d);
      i.fn = &mov_from_sreg<u16, true>;
      info.cost = CostClass::Store;
    }
    return i.fn != nullptr;
  }
  if (dst.kind == OpKind::Reg && dst.reg_class == RegClass::Seg) {
    if (dst.reg == CS || dst.reg >= kSegCount) return false;  // MOV CS is #UD (SDM vol. 2, MOV)
    i.op = dst.reg;
    if (is_gpr(src)) {
      i.r2 = gpr_offset(src);
      i.fn = &mov_to_sreg<false>;
    } else if (src.kind == OpKind::Mem) {
      set_mem(i, src, d);
      i.fn = &mov_to_sreg<true>;
    }
    info.cost = CostClass::Complex;  // a descriptor load: table read, checks, accessed bit
    return i.fn != nullptr;
  }
  if (is_gpr(dst)) {
    i.r1 = gpr_offset(dst);
    if (is_gpr(src)) {
      i.r2 = gpr_offset(src);
      i.fn = RING1_BY_SIZE(dst.size, mov, false, Src::Reg);
    } else if (src.kind == OpKind::Imm) {
      i.imm = src.imm;
      i.fn = RING1_BY_SIZE(dst.size, mov, false, Src::Imm);
    } else if (src.kind == OpKind::Mem) {
      set_mem(i, src, d);
      i.fn = RING1_BY_SIZE(dst.size, mov_rm_from_mem);
      info.cost = CostClass::Load;
    }
  } else if (dst.kind == OpKind::Mem) {
    set_mem(i, dst, d);
    info.cost = CostClass::Store;
    if (is_gpr(src)) {
      i.r2 = gpr_offset(src);
      i.fn = RING1_BY_SIZE(dst.size, mov, true, Src::Reg);
    } else if (src.kind == OpKind::Imm) {
      i.imm = src.imm;
      i.fn = RING1_BY_SIZE(dst.size, mov, true, Src::Imm);
    }
  }
  return i.fn != nullptr;
}

template <bool Signed>
bool build_movx(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 2 || !is_gpr(d.op[0])) return false;
  const Operand& src = d.op[1];
  i.r1 = gpr_offset(d.op[0]);
  bool mem = src.kind == OpKind::Mem;
  if (mem) {
    set_mem(i, src, d);
    info.cost = CostClass::Load;
  } else if (is_gpr(src)) {
    i.r2 = gpr_offset(src);
  } else {
    return false;
  }
  u8 dsz = d.op[0].size, ssz = src.size;
  if (dsz == 2 && ssz == 1) i.fn = mem ? &movx<u16, u8, Signed, true> : &movx<u16, u8, Signed, false>;
  if (dsz == 4 && ssz == 1) i.fn = mem ? &movx<u32, u8, Signed, true> : &movx<u32, u8, Signed, false>;
  if (dsz == 4 && ssz == 2) i.fn = mem ? &movx<u32, u16, Signed, true> : &movx<u32, u16, Signed, false>;
  if (dsz == 2 && ssz == 2) i.fn = mem ? &movx<u16, u16, Signed, true> : &movx<u16, u16, Signed, false>;
  return i.fn != nullptr;
}

bool build_lea(const DecodedInsn& d, Insn& i, BuildInfo&) {
  if (d.operand_count != 2 || !is_gpr(d.op[0]) || d.op[1].kind != OpKind::Mem) return false;
  i.r1 = gpr_offset(d.op[0]);
  set_mem(i, d.op[1], d);
  i.fn = RING1_BY_SIZE_16_32(d.op[0].size, lea);
  return i.fn != nullptr;
}

bool build_xchg(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 2) return false;
  const Operand& a = d.op[0];
  const Operand& b = d.op[1];
  if (is_gpr(a) && is_gpr(b)) {
    i.r1 = gpr_offset(a);
    i.r2 = gpr_offset(b);
    i.fn = RING1_BY_SIZE(a.size, xchg, false);
  } else if (a.kind == OpKind::Mem && is_gpr(b)) {
    set_mem(i, a, d);
    i.r2 = gpr_offset(b);
    i.fn = RING1_BY_SIZE(a.size, xchg, true);
    info.cost = CostClass::Store;
  }
  return i.fn != nullptr;
}

bool build_push(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1) return false;
  const Operand& o = d.op[0];
  info.cost = CostClass::Stack;
  u8 size = d.operand_size;
  if (o.kind == OpKind::Reg && o.reg_class == RegClass::Seg) {
    i.op = o.reg;
    i.fn = RING1_BY_SIZE_16_32(size, push_sreg);
  } else if (is_gpr(o)) {
    i.r2 = gpr_offset(o);
    i.fn = RING1_BY_SIZE_16_32(size, push, Src::Reg);
  } else if (o.kind == OpKind::Imm) {
    i.imm = o.imm;
    i.fn = RING1_BY_SIZE_16_32(size, push, Src::Imm);
  } else if (o.kind == OpKind::Mem) {
    set_mem(i, o, d);
    i.fn = RING1_BY_SIZE_16_32(size, push, Src::Mem);
  }
  return i.fn != nullptr;
}

bool build_pop(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1) return false;
  const Operand& o = d.op[0];
  info.cost = CostClass::Stack;
  if (o.kind == OpKind::Reg && o.reg_class == RegClass::Seg) {
    if (o.reg == CS || o.reg >= kSegCount) return false;
    i.op = o.reg;
    info.cost = CostClass::Complex;
    i.fn = RING1_BY_SIZE_16_32(d.operand_size, pop_sreg);
  } else if (is_gpr(o)) {
    i.r1 = gpr_offset(o);
    i.fn = RING1_BY_SIZE_16_32(o.size, pop_reg);
  } else if (o.kind == OpKind::Mem) {
    set_mem(i, o, d);
    i.fn = RING1_BY_SIZE_16_32(d.operand_size, pop_mem);
  }
  return i.fn != nullptr;
}

template <u8 CC>
bool build_cmov(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 2 || !is_gpr(d.op[0])) return false;
  i.r1 = gpr_offset(d.op[0]);
  if (d.op[1].kind == OpKind::Mem) {
    set_mem(i, d.op[1], d);
    info.cost = CostClass::Load;
    i.fn = RING1_BY_SIZE_16_32(d.op[0].size, cmov, CC, true);
  } else if (is_gpr(d.op[1])) {
    i.r2 = gpr_offset(d.op[1]);
    i.fn = RING1_BY_SIZE_16_32(d.op[0].size, cmov, CC, false);
  }
  return i.fn != nullptr;
}

template <u8 CC>
bool build_setcc(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1) return false;
  if (d.op[0].kind == OpKind::Mem) {
    set_mem(i, d.op[0], d);
    info.cost = CostClass::Store;
    i.fn = &setcc<CC, true>;
  } else if (is_gpr(d.op[0])) {
    i.r1 = gpr_offset(d.op[0]);
    i.fn = &setcc<CC, false>;
  }
  return i.fn != nullptr;
}

bool build_nop(const DecodedInsn&, Insn& i, BuildInfo&) {
  i.fn = &nop;  // NOP r/m (0F 1F /0) names an operand but never accesses it
  return true;
}

template <u8... CC>
void add_cc(IsaTable& t, const Mnemonic (&cmovs)[16], const Mnemonic (&sets)[16], std::integer_sequence<u8, CC...>) {
  ((t.add(cmovs[CC], &build_cmov<CC>), t.add(sets[CC], &build_setcc<CC>)), ...);
}

}  // namespace

void register_data_move(IsaTable& t) {
  using M = Mnemonic;
  t.add(M::MOV, &build_mov);
  t.add(M::MOVZX, &build_movx<false>);
  t.add(M::MOVSX, &build_movx<true>);
  t.add(M::LEA, &build_lea);
  t.add(M::XCHG, &build_xchg);
  t.add(M::PUSH, &build_push);
  t.add(M::POP, &build_pop);
  t.add(M::NOP, &build_nop);
  // ENDBR32 (F3 0F 1E FB) sits in the hint-NOP space: without CET it executes as a NOP (SDM vol. 2,
  // ENDBR32). GCC's -fcf-protection code (Debian's libgcc among it) starts functions with it.
  t.add(M::ENDBR32, &build_nop);
  static constexpr M cmovs[16] = {M::CMOVO, M::CMOVNO, M::CMOVB,  M::CMOVNB,  M::CMOVZ, M::CMOVNZ,
                                  M::CMOVBE, M::CMOVNBE, M::CMOVS, M::CMOVNS, M::CMOVP, M::CMOVNP,
                                  M::CMOVL, M::CMOVNL, M::CMOVLE, M::CMOVNLE};
  static constexpr M sets[16] = {M::SETO, M::SETNO, M::SETB,  M::SETNB,  M::SETZ, M::SETNZ,
                                 M::SETBE, M::SETNBE, M::SETS, M::SETNS, M::SETP, M::SETNP,
                                 M::SETL, M::SETNL, M::SETLE, M::SETNLE};
  add_cc(t, cmovs, sets, std::make_integer_sequence<u8, 16>{});
}

}  // namespace ring1
