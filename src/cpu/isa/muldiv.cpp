// Multiply and divide: MUL, IMUL (one-, two- and three-operand forms), DIV, IDIV (SDM vol. 2). Each
// operation is a tiny struct over a double-width product or dividend; one template per form executes it for
// every operand size, with the accumulator pair AL:AH, AX:DX or EAX:EDX as the implicit operands.
//
// Undefined flags, one documented choice each, following QEMU (TCG's CC_OP_MUL* and the div helpers), which
// is what Unicorn, our oracle, does:
//   MUL/IMUL: SF, ZF and PF from the low half of the result (the truncated destination for the two- and
//             three-operand IMUL forms), AF cleared.
//   DIV/IDIV: all six status flags are left unchanged.
#include <limits>
#include <type_traits>

#include "cpu/exec/flags.h"
#include "cpu/exec/operands.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {

template <class T> struct WideOf;
template <> struct WideOf<u8> { using type = u16; };
template <> struct WideOf<u16> { using type = u32; };
template <> struct WideOf<u32> { using type = u64; };
template <class T> using Wide = typename WideOf<T>::type;

// The high half of the accumulator pair: AH for byte operands (SDM vol. 2, MUL: AX <- AL * r/m8),
// DX or EDX otherwise. The low half is always AL/AX/EAX at byte offset 0.
template <class T>
inline constexpr u8 kHi = sizeof(T) == 1 ? 1 : 4 * EDX;

// CF = OF = "the product did not fit the low half"; SF ZF PF from the low half, AF cleared (see above).
template <class T>
inline u32 mul_flags(u32 f, T lo, bool overflow) {
  return flags::keep(f, eflags::Status) | flags::szp(lo) | (overflow ? (eflags::CF | eflags::OF) : 0);
}

// Unsigned: overflow when the high half is non-zero (SDM vol. 2, MUL).
struct Mul {
  template <class T>
  static bool apply(T a, T b, T& lo, T& hi) {
    Wide<T> p = static_cast<Wide<T>>(Wide<T>(a) * Wide<T>(b));
    lo = static_cast<T>(p);
    hi = static_cast<T>(p >> flags::kBits<T>);
    return hi != 0;
  }
};

// Signed: overflow when the full product differs from the sign-extended low half (SDM vol. 2, IMUL).
// The product of two n-bit signed values always fits 2n bits, so i64 is exact for every size.
struct Imul {
  template <class T>
  static bool apply(T a, T b, T& lo, T& hi) {
    using S = std::make_signed_t<T>;
    i64 p = i64(S(a)) * i64(S(b));
    lo = static_cast<T>(p);
    hi = static_cast<T>(u64(p) >> flags::kBits<T>);
    return p != i64(S(lo));
  }
};

// Unsigned: #DE when the quotient does not fit T (SDM vol. 2, DIV).
struct Div {
  template <class T>
  static bool apply(T lo, T hi, T d, T& q, T& r) {
    Wide<T> n = static_cast<Wide<T>>((Wide<T>(hi) << flags::kBits<T>) | lo);
    Wide<T> qq = static_cast<Wide<T>>(n / d);
    if (qq > std::numeric_limits<T>::max()) return false;
    q = static_cast<T>(qq);
    r = static_cast<T>(n % d);
    return true;
  }
};

// Signed: #DE when the quotient is outside T's signed range, which includes the most negative dividend
// divided by -1 (SDM vol. 2, IDIV). The remainder takes the dividend's sign, as C++'s % does.
struct Idiv {
  template <class T>
  static bool apply(T lo, T hi, T d, T& q, T& r) {
    using S = std::make_signed_t<T>;
    using SW = std::make_signed_t<Wide<T>>;
    SW n = static_cast<SW>((Wide<T>(hi) << flags::kBits<T>) | lo);
    i64 n64 = n, d64 = S(d);
    if (d64 == -1 && n64 == std::numeric_limits<i64>::min()) return false;  // only reachable for u32
    i64 qq = n64 / d64;
    if (qq < std::numeric_limits<S>::min() || qq > std::numeric_limits<S>::max()) return false;
    q = static_cast<T>(qq);
    r = static_cast<T>(n64 % d64);
    return true;
  }
};

// MUL r/m, IMUL r/m: accumulator pair <- accumulator * r/m.
template <class T, class Op, Src S>
void mul_acc(Cpu& c, const Insn& i) {
  T b = source<T, S>(c, i);
  T lo, hi;
  bool overflow = Op::template apply<T>(c.reg<T>(0), b, lo, hi);
  c.set_reg<T>(0, lo);
  c.set_reg<T>(kHi<T>, hi);
  c.set_flags(mul_flags<T>(c.flags(), lo, overflow));
}

// IMUL r, r/m (Three = false: r <- r * r/m) and IMUL r, r/m, imm (Three = true: r <- r/m * imm). The
// imm8 form's immediate arrives sign-extended from the decoder, so truncating it to T is exact.
template <class T, Src S, bool Three>
void imul_trunc(Cpu& c, const Insn& i) {
  T b = source<T, S>(c, i);
  T a = Three ? static_cast<T>(i.imm) : c.reg<T>(i.r1);
  T lo, hi;
  bool overflow = Imul::apply<T>(a, b, lo, hi);
  c.set_reg<T>(i.r1, lo);
  c.set_flags(mul_flags<T>(c.flags(), lo, overflow));
}

// DIV r/m, IDIV r/m: quotient to the low half of the pair, remainder to the high half. Both #DE cases
// are detected before any register is written, so the fault restarts cleanly (SDM vol. 3, 6.5).
template <class T, class Op, Src S>
void div_acc(Cpu& c, const Insn& i) {
  T d = source<T, S>(c, i);
  if (d == 0) raise_fault(Vector::DE);
  T q, r;
  if (!Op::template apply<T>(c.reg<T>(0), c.reg<T>(kHi<T>), d, q, r)) raise_fault(Vector::DE);
  c.set_reg<T>(0, q);
  c.set_reg<T>(kHi<T>, r);
}

// The one-operand forms: MUL, IMUL r/m, DIV, IDIV. Divide selects div_acc, otherwise mul_acc.
template <class Op, bool Divide>
bool build_acc(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1) return false;
  const Operand& o = d.op[0];
  info.cost = Divide ? CostClass::Divide : CostClass::Multiply;
  if (is_gpr(o)) {
    i.r2 = gpr_offset(o);
    if constexpr (Divide) i.fn = RING1_BY_SIZE(o.size, div_acc, Op, Src::Reg);
    else i.fn = RING1_BY_SIZE(o.size, mul_acc, Op, Src::Reg);
  } else if (o.kind == OpKind::Mem) {
    set_mem(i, o, d);
    if constexpr (Divide) i.fn = RING1_BY_SIZE(o.size, div_acc, Op, Src::Mem);
    else i.fn = RING1_BY_SIZE(o.size, mul_acc, Op, Src::Mem);
  }
  return i.fn != nullptr;
}

bool build_imul(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count == 1) return build_acc<Imul, false>(d, i, info);
  if (d.operand_count < 2 || d.operand_count > 3 || !is_gpr(d.op[0])) return false;
  const bool three = d.operand_count == 3;
  if (three) {
    if (d.op[2].kind != OpKind::Imm) return false;
    i.imm = d.op[2].imm;
  }
  const Operand& src = d.op[1];
  info.cost = CostClass::Multiply;
  i.r1 = gpr_offset(d.op[0]);
  const u8 size = d.op[0].size;
  if (is_gpr(src)) {
    i.r2 = gpr_offset(src);
    i.fn = three ? RING1_BY_SIZE_16_32(size, imul_trunc, Src::Reg, true)
                 : RING1_BY_SIZE_16_32(size, imul_trunc, Src::Reg, false);
  } else if (src.kind == OpKind::Mem) {
    set_mem(i, src, d);
    i.fn = three ? RING1_BY_SIZE_16_32(size, imul_trunc, Src::Mem, true)
                 : RING1_BY_SIZE_16_32(size, imul_trunc, Src::Mem, false);
  }
  return i.fn != nullptr;
}

}  // namespace

void register_muldiv(IsaTable& t) {
  t.add(Mnemonic::MUL, &build_acc<Mul, false>);
  t.add(Mnemonic::IMUL, &build_imul);
  t.add(Mnemonic::DIV, &build_acc<Div, true>);
  t.add(Mnemonic::IDIV, &build_acc<Idiv, true>);
}

}  // namespace ring1
