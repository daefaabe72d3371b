// Two-operand arithmetic and logic (ADD ADC SUB SBB CMP AND OR XOR TEST) and the one-operand INC DEC NEG NOT
// (SDM vol. 2). Each operation is a tiny struct; one template executes every operand form and size of all of
// them, and one builder binds the decoded forms (r/m,r; r,r/m; r/m,imm; accumulator,imm) to it.
#include "cpu/exec/flags.h"
#include "cpu/exec/operands.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {

struct Add { static constexpr bool kWrites = true;
  template <class T> static T apply(T a, T b, u32& f) { return flags::add<T>(a, b, 0, f); } };
struct Adc { static constexpr bool kWrites = true;
  template <class T> static T apply(T a, T b, u32& f) { return flags::add<T>(a, b, f & eflags::CF, f); } };
struct Sub { static constexpr bool kWrites = true;
  template <class T> static T apply(T a, T b, u32& f) { return flags::sub<T>(a, b, 0, f); } };
struct Sbb { static constexpr bool kWrites = true;
  template <class T> static T apply(T a, T b, u32& f) { return flags::sub<T>(a, b, f & eflags::CF, f); } };
struct Cmp { static constexpr bool kWrites = false;
  template <class T> static T apply(T a, T b, u32& f) { return flags::sub<T>(a, b, 0, f); } };
struct And { static constexpr bool kWrites = true;
  template <class T> static T apply(T a, T b, u32& f) { return flags::logic<T>(T(a & b), f); } };
struct Or { static constexpr bool kWrites = true;
  template <class T> static T apply(T a, T b, u32& f) { return flags::logic<T>(T(a | b), f); } };
struct Xor { static constexpr bool kWrites = true;
  template <class T> static T apply(T a, T b, u32& f) { return flags::logic<T>(T(a ^ b), f); } };
struct Test { static constexpr bool kWrites = false;
  template <class T> static T apply(T a, T b, u32& f) { return flags::logic<T>(T(a & b), f); } };

// INC/DEC leave CF alone (SDM vol. 2, INC); NEG sets CF unless the operand was 0; NOT touches no flag.
struct Inc { template <class T> static T apply(T a, u32& f) {
  u32 cf = f & eflags::CF; T r = flags::add<T>(a, 1, 0, f); f = (f & ~eflags::CF) | cf; return r; } };
struct Dec { template <class T> static T apply(T a, u32& f) {
  u32 cf = f & eflags::CF; T r = flags::sub<T>(a, 1, 0, f); f = (f & ~eflags::CF) | cf; return r; } };
struct Neg { template <class T> static T apply(T a, u32& f) { return flags::sub<T>(0, a, 0, f); } };
struct Not { template <class T> static T apply(T a, u32&) { return T(~a); } };

// dest op= src. A memory destination is read once and written once; EFLAGS is committed after the write,
// so a fault on the write leaves the flags as they were.
template <class T, class Op, bool DstMem, Src S>
void binary(Cpu& c, const Insn& i) {
  if constexpr (DstMem) {
    u32 ea = c.effective_address(i);
    T a = c.read<T>(i.seg, ea);
    T b = source<T, S>(c, i);
    u32 f = c.eflags;
    T r = Op::template apply<T>(a, b, f);
    if constexpr (Op::kWrites) c.write<T>(i.seg, ea, r);
    c.eflags = f;
  } else {
    T b = source<T, S>(c, i);
    u32 f = c.eflags;
    T r = Op::template apply<T>(c.reg<T>(i.r1), b, f);
    if constexpr (Op::kWrites) c.set_reg<T>(i.r1, r);
    c.eflags = f;
  }
}

template <class T, class Op, bool DstMem>
void unary(Cpu& c, const Insn& i) {
  u32 f = c.eflags;
  if constexpr (DstMem) {
    u32 ea = c.effective_address(i);
    T r = Op::template apply<T>(c.read<T>(i.seg, ea), f);
    c.write<T>(i.seg, ea, r);
  } else {
    c.set_reg<T>(i.r1, Op::template apply<T>(c.reg<T>(i.r1), f));
  }
  c.eflags = f;
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
