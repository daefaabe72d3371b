// Two-operand arithmetic and logic (ADD ADC SUB SBB CMP AND OR XOR TEST) and the one-operand INC DEC NEG NOT
// (SDM vol. 2). Each operation is a tiny struct; one template executes every operand form and size of all of
// them, and one builder binds the decoded forms (r/m,r; r,r/m; r/m,imm; accumulator,imm) to it.
#include "cpu/exec/operands.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {

// Each operation computes its result; the flags are recorded lazily (cpu/lazy_flags.h) and committed only
// after the destination is written, so a faulting store leaves EFLAGS as it was.
struct Add { static constexpr bool kWrites = true, kCarryIn = false; static constexpr LazyOp kLazy = LazyOp::Add;
  template <class T> static T compute(T a, T b, u32 cin) { return T(a + b + cin); } };
struct Adc { static constexpr bool kWrites = true, kCarryIn = true; static constexpr LazyOp kLazy = LazyOp::Add;
  template <class T> static T compute(T a, T b, u32 cin) { return T(a + b + cin); } };
struct Sub { static constexpr bool kWrites = true, kCarryIn = false; static constexpr LazyOp kLazy = LazyOp::Sub;
  template <class T> static T compute(T a, T b, u32 cin) { return T(a - b - cin); } };
struct Sbb { static constexpr bool kWrites = true, kCarryIn = true; static constexpr LazyOp kLazy = LazyOp::Sub;
  template <class T> static T compute(T a, T b, u32 cin) { return T(a - b - cin); } };
struct Cmp { static constexpr bool kWrites = false, kCarryIn = false; static constexpr LazyOp kLazy = LazyOp::Sub;
  template <class T> static T compute(T a, T b, u32) { return T(a - b); } };
struct And { static constexpr bool kWrites = true, kCarryIn = false; static constexpr LazyOp kLazy = LazyOp::Logic;
  template <class T> static T compute(T a, T b, u32) { return T(a & b); } };
struct Or { static constexpr bool kWrites = true, kCarryIn = false; static constexpr LazyOp kLazy = LazyOp::Logic;
  template <class T> static T compute(T a, T b, u32) { return T(a | b); } };
struct Xor { static constexpr bool kWrites = true, kCarryIn = false; static constexpr LazyOp kLazy = LazyOp::Logic;
  template <class T> static T compute(T a, T b, u32) { return T(a ^ b); } };
struct Test { static constexpr bool kWrites = false, kCarryIn = false; static constexpr LazyOp kLazy = LazyOp::Logic;
  template <class T> static T compute(T a, T b, u32) { return T(a & b); } };

// INC/DEC leave CF alone (SDM vol. 2, INC); NEG is 0 - x (CF set unless x was 0); NOT touches no flag.
struct Inc { template <class T> static T compute(T a) { return T(a + 1); }
  template <class T> static void record(Cpu& c, T r, T a, u32 cf) { c.set_lazy<T>(LazyOp::Inc, r, a, T(1), cf); } };
struct Dec { template <class T> static T compute(T a) { return T(a - 1); }
  template <class T> static void record(Cpu& c, T r, T a, u32 cf) { c.set_lazy<T>(LazyOp::Dec, r, a, T(1), cf); } };
struct Neg { template <class T> static T compute(T a) { return T(0 - a); }
  template <class T> static void record(Cpu& c, T r, T a, u32) { c.set_lazy<T>(LazyOp::Sub, r, T(0), a); } };
struct Not { template <class T> static T compute(T a) { return T(~a); }
  template <class T> static void record(Cpu&, T, T, u32) {} };

// dest op= src. A memory destination is read once and written once (Cpu::modify).
template <class T, class Op, bool DstMem, Src S>
void binary(Cpu& c, const Insn& i) {
  T b = source<T, S>(c, i);
  u32 cin = Op::kCarryIn ? c.carry() : 0;
  if constexpr (DstMem && Op::kWrites) {
    T r;
    T a = c.modify<T>(i.seg, c.effective_address(i), [&](T x) { return r = Op::template compute<T>(x, b, cin); });
    c.set_lazy<T>(Op::kLazy, r, a, b, cin);
  } else if constexpr (DstMem) {
    T a = c.read<T>(i.seg, c.effective_address(i));
    T r = Op::template compute<T>(a, b, cin);
    c.set_lazy<T>(Op::kLazy, r, a, b, cin);
  } else {
    T a = c.reg<T>(i.r1);
    T r = Op::template compute<T>(a, b, cin);
    if constexpr (Op::kWrites) c.set_reg<T>(i.r1, r);
    c.set_lazy<T>(Op::kLazy, r, a, b, cin);
  }
}

// One-operand forms: compute, store, then record the flags (CF read first for INC/DEC).
template <class T, class Op, bool DstMem>
void unary(Cpu& c, const Insn& i) {
  u32 cf = c.carry();
  if constexpr (DstMem) {
    T r;
    T a = c.modify<T>(i.seg, c.effective_address(i), [&](T x) { return r = Op::template compute<T>(x); });
    Op::template record<T>(c, r, a, cf);
  } else {
    T a = c.reg<T>(i.r1);
    T r = Op::template compute<T>(a);
    c.set_reg<T>(i.r1, r);
    Op::template record<T>(c, r, a, cf);
  }
}

template <class Op>
bool build_binary(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 2) return false;
  const Operand& dst = d.op[0];
  const Operand& src = d.op[1];
  const u8 size = dst.size;
  info.cost = mem_cost(d, Op::kWrites);
  if (is_gpr(dst)) {
    i.r1 = gpr_offset(dst);
    if (is_gpr(src)) {
      i.r2 = gpr_offset(src);
      i.fn = RING1_BY_SIZE(size, binary, Op, false, Src::Reg);
    } else if (src.kind == OpKind::Imm) {
      i.imm = src.imm;
      i.fn = RING1_BY_SIZE(size, binary, Op, false, Src::Imm);
    } else if (src.kind == OpKind::Mem) {
      set_mem(i, src, d);
      i.fn = RING1_BY_SIZE(size, binary, Op, false, Src::Mem);
    }
  } else if (dst.kind == OpKind::Mem) {
    set_mem(i, dst, d);
    if (is_gpr(src)) {
      i.r2 = gpr_offset(src);
      i.fn = RING1_BY_SIZE(size, binary, Op, true, Src::Reg);
    } else if (src.kind == OpKind::Imm) {
      i.imm = src.imm;
      i.fn = RING1_BY_SIZE(size, binary, Op, true, Src::Imm);
    }
  }
  return i.fn != nullptr;
}

template <class Op>
bool build_unary(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1) return false;
  const Operand& o = d.op[0];
  info.cost = mem_cost(d, true);
  if (is_gpr(o)) {
    i.r1 = gpr_offset(o);
    i.fn = RING1_BY_SIZE(o.size, unary, Op, false);
  } else if (o.kind == OpKind::Mem) {
    set_mem(i, o, d);
    i.fn = RING1_BY_SIZE(o.size, unary, Op, true);
  }
  return i.fn != nullptr;
}

}  // namespace

void register_alu(IsaTable& t) {
  t.add(Mnemonic::ADD, &build_binary<Add>);
  t.add(Mnemonic::ADC, &build_binary<Adc>);
  t.add(Mnemonic::SUB, &build_binary<Sub>);
  t.add(Mnemonic::SBB, &build_binary<Sbb>);
  t.add(Mnemonic::CMP, &build_binary<Cmp>);
  t.add(Mnemonic::AND, &build_binary<And>);
  t.add(Mnemonic::OR, &build_binary<Or>);
  t.add(Mnemonic::XOR, &build_binary<Xor>);
  t.add(Mnemonic::TEST, &build_binary<Test>);
  t.add(Mnemonic::INC, &build_unary<Inc>);
  t.add(Mnemonic::DEC, &build_unary<Dec>);
  t.add(Mnemonic::NEG, &build_unary<Neg>);
  t.add(Mnemonic::NOT, &build_unary<Not>);
}

}  // namespace ring1
