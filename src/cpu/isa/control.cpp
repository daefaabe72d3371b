// Near control transfer (SDM vol. 2): JMP, Jcc, CALL, RET, LOOP/LOOPE/LOOPNE, JCXZ/JECXZ, and the software
// interrupts INT n, INT3, INTO with BOUND. Far transfers change CS: their builders route to far_transfer.cpp.
// T is the operand size: it sets how much is pushed or popped and whether EIP is truncated to 16 bits.
#include "cpu/exec/condition.h"
#include "cpu/exec/operands.h"
#include "cpu/isa/far_transfer.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {

template <class T>
void jmp_rel(Cpu& c, const Insn& i) {
  near_jump(c, (c.next_eip + i.imm) & kIpMask<T>);
}

template <class T, u8 CC>
void jcc(Cpu& c, const Insn& i) {
  if (condition<CC>(c)) near_jump(c, (c.next_eip + i.imm) & kIpMask<T>);
}

template <class T, Src S>
void jmp_abs(Cpu& c, const Insn& i) {
  near_jump(c, source<T, S>(c, i));
}

template <class T>
void call_rel(Cpu& c, const Insn& i) {
  u32 target = (c.next_eip + i.imm) & kIpMask<T>;
  if (target > c.seg[CS].limit) raise_fault(Vector::GP, 0);
  c.push<T>(T(c.next_eip));
  c.next_eip = target;
}

template <class T, Src S>
void call_abs(Cpu& c, const Insn& i) {
  u32 target = source<T, S>(c, i);  // read before the push: CALL [ESP] uses the old ESP
  if (target > c.seg[CS].limit) raise_fault(Vector::GP, 0);
  c.push<T>(T(c.next_eip));
  c.next_eip = target;
}

// RET and RET imm16: the return address is checked against CS's limit before ESP moves.
template <class T>
void ret(Cpu& c, const Insn& i) {
  u32 target = c.peek<T>(0);
  near_jump(c, target);
  c.set_esp_masked(c.gpr[ESP] + sizeof(T) + i.imm);
}

// LOOP family: the counter is CX or ECX by address size (A); EIP truncation by operand size (T).
// op: 0 LOOP, 1 LOOPE, 2 LOOPNE, 3 JCXZ/JECXZ (no decrement).
template <class T, class A, u8 Kind>
void loop(Cpu& c, const Insn& i) {
  A count = static_cast<A>(c.gpr[ECX]);
  bool taken;
  if constexpr (Kind == 3) {
    taken = count == 0;
  } else {
    count = static_cast<A>(count - 1);
    taken = count != 0;
    if constexpr (Kind == 1) taken = taken && condition<4>(c);   // LOOPE: ZF = 1
    if constexpr (Kind == 2) taken = taken && condition<5>(c);   // LOOPNE: ZF = 0
  }
  u32 target = (c.next_eip + i.imm) & kIpMask<T>;
  if (taken && target > c.seg[CS].limit) raise_fault(Vector::GP, 0);
  if constexpr (Kind != 3) c.set_reg<A>(gpr_offset(ECX), count);
  if (taken) c.next_eip = target;
}

// INT n, INT3 and INTO are software interrupts, delivered as traps: the saved EIP is the next instruction
// (SDM vol. 3, 6.5), and the gate's DPL is checked against CPL (6.12.1.1).
// INT n in virtual-8086 mode is IOPL-sensitive: with IOPL < 3 it is #GP(0) to the monitor before the IDT is
// looked at (vol. 2, INT n; vol. 3, 20.3.1; no CR4.VME). INT3 and INTO are not.
void int_n(Cpu& c, const Insn& i) {
  if ((c.eflags & eflags::VM) && (c.eflags & eflags::IOPL) != eflags::IOPL) [[unlikely]]
    raise_fault(Vector::GP, 0);
  raise_software_interrupt(static_cast<u8>(i.imm));
}
void int3(Cpu&, const Insn&) { raise_software_interrupt(static_cast<u8>(Vector::BP)); }
void into(Cpu& c, const Insn&) {
  if (condition<0>(c)) raise_software_interrupt(static_cast<u8>(Vector::OF));
}

// BOUND r, m: #BR (a fault) unless lower <= index <= upper, signed (SDM vol. 2, BOUND).
template <class T>
void bound(Cpu& c, const Insn& i) {
  using S = std::make_signed_t<T>;
  u32 ea = c.effective_address(i);
  S lower = static_cast<S>(c.read<T>(i.seg, ea));
  // Only the effective address wraps with 16-bit addressing; the operand's bytes run on past it.
  S upper = static_cast<S>(c.read<T>(i.seg, ea + sizeof(T)));
  S index = static_cast<S>(c.reg<T>(i.r1));
  if (index < lower || index > upper) raise_fault(Vector::BR);
}

// HLT is privileged (SDM vol. 2, HLT: #GP(0) if CPL != 0).
void hlt(Cpu& c, const Insn&) {
  if (c.cpl != 0) raise_fault(Vector::GP, 0);
  c.halt();
}

bool build_hlt(const DecodedInsn&, Insn& i, BuildInfo&) {
  i.fn = &hlt;
  return true;
}

bool build_jmp(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1) return false;
  const Operand& o = d.op[0];
  if (is_far_pointer(d, o)) return build_far_jmp(d, i, info);
  info.cost = CostClass::Branch;
  u8 size = d.operand_size;
  if (o.kind == OpKind::Imm && o.relative) {
    i.imm = o.imm;
    i.fn = RING1_BY_SIZE_16_32(size, jmp_rel);
  } else if (is_gpr(o)) {
    i.r2 = gpr_offset(o);
    i.fn = RING1_BY_SIZE_16_32(o.size, jmp_abs, Src::Reg);
  } else if (o.kind == OpKind::Mem && (o.size == 2 || o.size == 4)) {
    set_mem(i, o, d);
    i.fn = RING1_BY_SIZE_16_32(o.size, jmp_abs, Src::Mem);
  }
  return i.fn != nullptr;
}

template <u8 CC>
bool build_jcc(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1 || d.op[0].kind != OpKind::Imm) return false;
  i.imm = d.op[0].imm;
  info.cost = CostClass::Branch;
  i.fn = RING1_BY_SIZE_16_32(d.operand_size, jcc, CC);
  return i.fn != nullptr;
}

bool build_call(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1) return false;
  const Operand& o = d.op[0];
  if (is_far_pointer(d, o)) return build_far_call(d, i, info);
  info.cost = CostClass::Branch;
  if (o.kind == OpKind::Imm && o.relative) {
    i.imm = o.imm;
    i.fn = RING1_BY_SIZE_16_32(d.operand_size, call_rel);
  } else if (is_gpr(o)) {
    i.r2 = gpr_offset(o);
    i.fn = RING1_BY_SIZE_16_32(o.size, call_abs, Src::Reg);
  } else if (o.kind == OpKind::Mem && (o.size == 2 || o.size == 4)) {
    set_mem(i, o, d);
    i.fn = RING1_BY_SIZE_16_32(o.size, call_abs, Src::Mem);
  }
  return i.fn != nullptr;
}

bool build_ret(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.opcode == 0xCA || d.opcode == 0xCB) return build_far_ret(d, i, info);  // RETF (far_transfer.cpp)
  if (d.opcode != 0xC3 && d.opcode != 0xC2) return false;
  info.cost = CostClass::Branch;
  i.imm = d.operand_count == 1 ? (d.op[0].imm & 0xFFFF) : 0;
  i.fn = RING1_BY_SIZE_16_32(d.operand_size, ret);
  return i.fn != nullptr;
}

template <u8 Kind>
bool build_loop(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count < 1 || d.op[0].kind != OpKind::Imm) return false;
  i.imm = d.op[0].imm;
  info.cost = CostClass::Branch;
  bool a16 = d.address_size == 2, o16 = d.operand_size == 2;
  i.fn = o16 ? (a16 ? &loop<u16, u16, Kind> : &loop<u16, u32, Kind>)
             : (a16 ? &loop<u32, u16, Kind> : &loop<u32, u32, Kind>);
  return true;
}

bool build_int(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1 || d.op[0].kind != OpKind::Imm) return false;
  i.imm = d.op[0].imm & 0xFF;
  info.cost = CostClass::Complex;
  i.fn = &int_n;
  return true;
}

bool build_int3(const DecodedInsn&, Insn& i, BuildInfo& info) {
  info.cost = CostClass::Complex;
  i.fn = &int3;
  return true;
}

bool build_into(const DecodedInsn&, Insn& i, BuildInfo& info) {
  info.cost = CostClass::Simple;
  i.fn = &into;
  return true;
}

bool build_bound(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 2 || !is_gpr(d.op[0]) || d.op[1].kind != OpKind::Mem) return false;
  i.r1 = gpr_offset(d.op[0]);
  set_mem(i, d.op[1], d);
  info.cost = CostClass::Complex;
  i.fn = RING1_BY_SIZE_16_32(d.op[0].size, bound);
  return i.fn != nullptr;
}

template <u8... CC>
void add_jcc(IsaTable& t, const Mnemonic (&names)[16], std::integer_sequence<u8, CC...>) {
  (t.add(names[CC], &build_jcc<CC>, true), ...);
}

}  // namespace

void register_control(IsaTable& t) {
  using M = Mnemonic;
  t.add(M::JMP, &build_jmp, true);
  t.add(M::CALL, &build_call, true);
  t.add(M::RET, &build_ret, true);
  t.add(M::LOOP, &build_loop<0>, true);
  t.add(M::LOOPE, &build_loop<1>, true);
  t.add(M::LOOPNE, &build_loop<2>, true);
  t.add(M::JCXZ, &build_loop<3>, true);
  t.add(M::JECXZ, &build_loop<3>, true);
  t.add(M::INT, &build_int, true);
  t.add(M::INT3, &build_int3, true);
  t.add(M::INTO, &build_into, true);
  t.add(M::BOUND, &build_bound);
  t.add(M::HLT, &build_hlt, true);
  static constexpr M jccs[16] = {M::JO, M::JNO, M::JB,  M::JNB,  M::JZ, M::JNZ, M::JBE, M::JNBE,
                                 M::JS, M::JNS, M::JP, M::JNP, M::JL, M::JNL, M::JLE, M::JNLE};
  add_jcc(t, jccs, std::make_integer_sequence<u8, 16>{});
}

}  // namespace ring1
