// Shifts and rotates (SDM vol. 2: SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR, SHLD, SHRD). Each operation is a small
// struct; one template executes every size (8/16/32), destination kind (register or memory), count source
// (an immediate, which is 1 for the D0/D1 forms, or CL) and processor generation, and one builder per
// template binds the forms to it (the generation is chosen when the instruction is decoded, cpu_model.h).
//
// Counts are masked to 5 bits (SDM). A masked count of 0 changes no register, flag or memory; a memory
// operand is still read, and can fault.
//
// Flags the SDM leaves undefined, one documented choice each (docs/cpu-model.md has the table):
//  - OF of RCL/RCR for counts > 1, every model: the count-1 formula applied to the result, RCL: OF = CF XOR
//    MSB(result), RCR: OF = MSB(result) XOR bit MSB-1 of the result. This is what the 386 does (test386.asm's
//    hardware-verified undefined-behaviour tests) and what Bochs computes for its P6-and-later models.
//  - RCL/RCR of an 8/16-bit operand by a count that is a non-zero multiple of 9/17 (tempCOUNT = 0 in the SDM's
//    pseudo-code): the P6 model changes nothing (Bochs); the 386 and 486 leave the value and CF alone but
//    still set OF by the formula above, as the SDM's "masked count is not 0, so the flags are affected"
//    reading and test386's hardware results say.
//  - AF after a shift (SHL/SHR/SAR/SHLD/SHRD) by a non-zero count: cleared on the P6 (QEMU and Bochs; flags.h);
//    set on the 386 and 486 (test386).
//  - OF for counts > 1 (QEMU, which computes it the same way for every count; test386 agrees on the 386):
//      SHL, SHLD, ROL: OF = CF XOR MSB(result) (the 1-bit formula applied to the result);
//      SHR: OF = 0 for counts > 1 (MSB of the operand shifted right count-1 places, which is 0); SAR: OF = 0;
//      ROR: OF = MSB(result) XOR bit MSB-1 of the result (the 1-bit formula applied to the result);
//      SHRD: OF = MSB(result) XOR bit MSB-1 of the result (like ROR; the SDM's formula for count 1).
//  - CF of SHL/SHR on 8/16-bit operands with a count >= the operand size: the bit the shift moves past the
//    operand edge, i.e. 0 for SHL/SHR once the count exceeds the size, the sign for SAR (QEMU). The 386 and
//    486 differ for a byte shifted by 16 or 24: CF is the operand's LSB (SHL) or MSB (SHR), as for a count of
//    8, and SHL's OF equals that CF (test386).
//  - SHLD/SHRD r/m16 with a count of 17..31: the result is bits of the 48-bit value dest:src:dest shifted by
//    the count (the Intel behaviour QEMU implements: "shrdw C, B, A shifts A:B:A"); CF is the last bit shifted
//    out of that value, OF as above; SF ZF PF from the result.
#include <type_traits>

#include "cpu/cpu_model.h"
#include "cpu/exec/flags.h"
#include "cpu/exec/operands.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {

using flags::kBits;
using flags::sign_bit;

// Where the count comes from: the instruction (an imm8, or 1 for D0/D1) or CL.
enum class Cnt : u8 { Imm, Cl };

template <Cnt C>
inline unsigned masked_count(const Cpu& c, const Insn& i) {
  if constexpr (C == Cnt::Imm) return i.imm & 31u;
  else return c.gpr[ECX] & 31u;
}

// Shifts update SF ZF PF from the result, CF, OF, and AF (undefined: cleared, or set by a 386/486; see the
// header).
inline u32 shift_flags(u32 f, u32 szp, u32 cf, u32 of, u32 af = 0) {
  return flags::keep(f, eflags::Status) | szp | cf | (of << 11) | af;
}
// Rotates touch only CF and OF (SDM vol. 2, RCL/RCR/ROL/ROR, "Flags Affected").
inline u32 rotate_flags(u32 f, u32 cf, u32 of) {
  return flags::keep(f, eflags::CF | eflags::OF) | cf | (of << 11);
}

// Each operation: count(n) turns the 5-bit masked count into the effective one (0 = no operation);
// apply(a, n, f) returns the result and updates the local flags. The shifts (kLazy) define all six status
// flags from the result, CF and OF, so they also offer compute(a, n, cf, of) and record their flags lazily
// (LazyOp::Shift): most shift results' flags are overwritten unread.
struct Shl {
  static constexpr bool kLazy = true;
  template <class T> static unsigned count(unsigned n) { return n; }
  template <class T> static T compute(T a, unsigned n, u32& cf, u32& of) {
    u64 w = u64(a) << n;  // bit kBits is the last bit shifted out
    T r = T(w);
    cf = u32(w >> kBits<T>) & 1u;
    of = cf ^ sign_bit(r);
    return r;
  }
};
struct Shr {
  static constexpr bool kLazy = true;
  template <class T> static unsigned count(unsigned n) { return n; }
  template <class T> static T compute(T a, unsigned n, u32& cf, u32& of) {
    u32 before = u32(a) >> (n - 1);  // the operand shifted count-1 places: bit 0 is CF
    T r = T(before >> 1);
    cf = before & 1u;
    of = sign_bit(T(before ^ r));
    return r;
  }
};
struct Sar {
  static constexpr bool kLazy = true;
  template <class T> static unsigned count(unsigned n) { return n; }
  template <class T> static T compute(T a, unsigned n, u32& cf, u32& of) {
    using S = std::make_signed_t<T>;
    i32 before = i32(S(a)) >> (n - 1);
    T r = T(before >> 1);
    cf = u32(before) & 1u;
    of = 0;  // the sign never changes
    return r;
  }
};
struct Rol {
  static constexpr bool kLazy = false;
  template <class T> static unsigned count(unsigned n) { return n; }
  template <class T> static T apply(T a, unsigned n, u32& f) {
    unsigned k = n & (kBits<T> - 1);
    T r = k ? T((a << k) | (a >> (kBits<T> - k))) : a;
    u32 cf = u32(r) & 1u;  // CF = LSB(result) even when count is a multiple of the size (SDM)
    f = rotate_flags(f, cf, cf ^ sign_bit(r));
    return r;
  }
};
struct Ror {
  static constexpr bool kLazy = false;
  template <class T> static unsigned count(unsigned n) { return n; }
  template <class T> static T apply(T a, unsigned n, u32& f) {
    unsigned k = n & (kBits<T> - 1);
    T r = k ? T((a >> k) | (a << (kBits<T> - k))) : a;
    u32 cf = sign_bit(r);
    f = rotate_flags(f, cf, cf ^ ((u32(r) >> (kBits<T> - 2)) & 1u));
    return r;
  }
};
// RCL/RCR rotate the (size+1)-bit value CF:operand; on 8/16-bit operands the masked count is taken
// modulo 9/17 (SDM vol. 2, RCL, tempCOUNT). Old: the 386/486 behaviour for a tempCOUNT of 0 (see the header).
template <bool Old>
struct Rcl {
  static constexpr bool kLazy = false;
  template <class T> static unsigned count(unsigned n) { return Old ? n : n % (kBits<T> + 1); }
  template <class T> static T apply(T a, unsigned n, u32& f) {
    constexpr unsigned B = kBits<T>;
    constexpr u64 mask = (u64(1) << (B + 1)) - 1;
    if constexpr (Old) n %= B + 1;
    u64 v = (u64(f & eflags::CF) << B) | a;
    if (n) v = ((v << n) | (v >> (B + 1 - n))) & mask;
    T r = T(v);
    const u32 cf = u32(v >> B) & 1u;
    f = rotate_flags(f, cf, cf ^ sign_bit(r));
    return r;
  }
};
template <bool Old>
struct Rcr {
  static constexpr bool kLazy = false;
  template <class T> static unsigned count(unsigned n) { return Old ? n : n % (kBits<T> + 1); }
  template <class T> static T apply(T a, unsigned n, u32& f) {
    constexpr unsigned B = kBits<T>;
    constexpr u64 mask = (u64(1) << (B + 1)) - 1;
    if constexpr (Old) n %= B + 1;
    u64 v = (u64(f & eflags::CF) << B) | a;
    if (n) v = ((v >> n) | (v << (B + 1 - n))) & mask;
    T r = T(v);
    f = rotate_flags(f, u32(v >> B) & 1u, sign_bit(r) ^ ((u32(r) >> (B - 2)) & 1u));
    return r;
  }
};

// The 386/486 answers for a shift's undefined flags (see the header): AF set, and a byte shifted by 16 or 24
// gives SHL CF = OF = LSB(operand), SHR CF = MSB(operand).
template <class T, class Op>
inline void old_shift_flags(T a, unsigned n, u32& cf, u32& of, u32& af) {
  af = eflags::AF;
  if constexpr (sizeof(T) == 1) {
    if (n == 16 || n == 24) {
      if constexpr (std::is_same_v<Op, Shl>) cf = of = u32(a) & 1u;
      else if constexpr (std::is_same_v<Op, Shr>) cf = sign_bit(a);
    }
  }
}

// SHL/SHR/SAR/ROL/ROR/RCL/RCR r/m, count. The flags are committed after the memory write. Old: the 386/486
// choices for undefined flags (lazy shifts record AF in bit 4 of LazyFlags::b).
template <class T, class Op, bool Mem, Cnt C, bool Old>
void shift(Cpu& c, const Insn& i) {
  unsigned n = Op::template count<T>(masked_count<C>(c, i));
  if constexpr (Op::kLazy) {
    u32 cf, of, af = 0;
    if constexpr (Mem) {
      u32 ea = c.effective_address(i);
      T a = c.read<T>(i.seg, ea);
      if (n == 0) return;
      T r = Op::template compute<T>(a, n, cf, of);
      if constexpr (Old) old_shift_flags<T, Op>(a, n, cf, of, af);
      c.write<T>(i.seg, ea, r);
      c.set_lazy<T>(LazyOp::Shift, r, a, T(of | af), cf);
    } else {
      if (n == 0) return;
      T a = c.reg<T>(i.r1);
      T r = Op::template compute<T>(a, n, cf, of);
      if constexpr (Old) old_shift_flags<T, Op>(a, n, cf, of, af);
      c.set_reg<T>(i.r1, r);
      c.set_lazy<T>(LazyOp::Shift, r, a, T(of | af), cf);
    }
  } else if constexpr (Mem) {
    u32 ea = c.effective_address(i);
    T a = c.read<T>(i.seg, ea);
    if (n == 0) return;
    u32 f = c.flags();
    T r = Op::template apply<T>(a, n, f);
    c.write<T>(i.seg, ea, r);
    c.set_flags(f);
  } else {
    if (n == 0) return;
    u32 f = c.flags();
    c.set_reg<T>(i.r1, Op::template apply<T>(c.reg<T>(i.r1), n, f));
    c.set_flags(f);
  }
}

// SHLD: dest is shifted left, filled from the top of src. Computed on dest:src (32-bit) or dest:src:dest
// (16-bit, for counts above 16; see the header) in a 64-bit value whose bits 32.. hold the result window.
template <class T>
T shld(T dst, T src, unsigned n, u32& f, u32 af) {
  u64 w = sizeof(T) == 4 ? (u64(dst) << 32) | src : (u64(dst) << 32) | (u64(src) << 16) | dst;
  T before = T((w << (n - 1)) >> 32);  // the window shifted count-1 places: its MSB is CF
  T r = T((w << n) >> 32);
  u32 cf = sign_bit(before);
  f = shift_flags(f, flags::szp(r), cf, cf ^ sign_bit(r), af);
  return r;
}

// SHRD: dest is shifted right, filled from the bottom of src: src:dest (32-bit) or dest:src:dest (16-bit)
// shifted right, the low half kept.
template <class T>
T shrd(T dst, T src, unsigned n, u32& f, u32 af) {
  u64 w = sizeof(T) == 4 ? (u64(src) << 32) | dst : (u64(dst) << 32) | (u64(src) << 16) | dst;
  T before = T(w >> (n - 1));  // bit 0 is CF
  T r = T(w >> n);
  f = shift_flags(f, flags::szp(r), u32(before) & 1u, sign_bit(T(before ^ r)), af);
  return r;
}

template <class T, bool Left, bool Mem, Cnt C, bool Old>
void shift_double(Cpu& c, const Insn& i) {
  constexpr u32 af = Old ? eflags::AF : 0;
  unsigned n = masked_count<C>(c, i);
  T src = c.reg<T>(i.r2);
  if constexpr (Mem) {
    u32 ea = c.effective_address(i);
    T a = c.read<T>(i.seg, ea);
    if (n == 0) return;
    u32 f = c.flags();
    T r = Left ? shld<T>(a, src, n, f, af) : shrd<T>(a, src, n, f, af);
    c.write<T>(i.seg, ea, r);
    c.set_flags(f);
  } else {
    if (n == 0) return;
    u32 f = c.flags();
    T a = c.reg<T>(i.r1);
    c.set_reg<T>(i.r1, Left ? shld<T>(a, src, n, f, af) : shrd<T>(a, src, n, f, af));
    c.set_flags(f);
  }
}

// The count operand: an immediate (imm8, or the implicit 1 of D0/D1) or CL.
bool count_operand(const Operand& o, Insn& i, Cnt& kind) {
  if (o.kind == OpKind::Imm) {
    i.imm = o.imm & 0xFFu;
    kind = Cnt::Imm;
    return true;
  }
  if (o.kind == OpKind::Reg && o.reg_class == RegClass::Gpr8 && o.reg == 1) {
    kind = Cnt::Cl;
    return true;
  }
  return false;
}

template <class Op, bool Old>
bool build_shift_for(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 2) return false;
  const Operand& dst = d.op[0];
  Cnt kind;
  if (!count_operand(d.op[1], i, kind)) return false;
  const u8 size = dst.size;
  if (is_gpr(dst)) {
    i.r1 = gpr_offset(dst);
    info.cost = CostClass::Simple;
    i.fn = kind == Cnt::Imm ? RING1_BY_SIZE(size, shift, Op, false, Cnt::Imm, Old)
                            : RING1_BY_SIZE(size, shift, Op, false, Cnt::Cl, Old);
  } else if (dst.kind == OpKind::Mem) {
    set_mem(i, dst, d);
    info.cost = CostClass::Store;
    i.fn = kind == Cnt::Imm ? RING1_BY_SIZE(size, shift, Op, true, Cnt::Imm, Old)
                            : RING1_BY_SIZE(size, shift, Op, true, Cnt::Cl, Old);
  }
  return i.fn != nullptr;
}

// The generation picks the handler: ROL/ROR have no model-dependent flags; the others follow the header.
template <class Op>
bool build_shift(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  return pre_pentium(d.model) ? build_shift_for<Op, true>(d, i, info) : build_shift_for<Op, false>(d, i, info);
}
template <template <bool> class Op>
bool build_rotate_carry(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  return pre_pentium(d.model) ? build_shift_for<Op<true>, true>(d, i, info)
                              : build_shift_for<Op<false>, false>(d, i, info);
}

template <bool Left, bool Old>
bool build_shift_double_for(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 3 || !is_gpr(d.op[1])) return false;
  const Operand& dst = d.op[0];
  Cnt kind;
  if (!count_operand(d.op[2], i, kind)) return false;
  const u8 size = dst.size;
  i.r2 = gpr_offset(d.op[1]);
  if (is_gpr(dst)) {
    i.r1 = gpr_offset(dst);
    info.cost = CostClass::Simple;
    i.fn = kind == Cnt::Imm ? RING1_BY_SIZE_16_32(size, shift_double, Left, false, Cnt::Imm, Old)
                            : RING1_BY_SIZE_16_32(size, shift_double, Left, false, Cnt::Cl, Old);
  } else if (dst.kind == OpKind::Mem) {
    set_mem(i, dst, d);
    info.cost = CostClass::Store;
    i.fn = kind == Cnt::Imm ? RING1_BY_SIZE_16_32(size, shift_double, Left, true, Cnt::Imm, Old)
                            : RING1_BY_SIZE_16_32(size, shift_double, Left, true, Cnt::Cl, Old);
  }
  return i.fn != nullptr;
}
template <bool Left>
bool build_shift_double(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  return pre_pentium(d.model) ? build_shift_double_for<Left, true>(d, i, info)
                              : build_shift_double_for<Left, false>(d, i, info);
}

}  // namespace

// SAL is SHL: Zydis reports both encodings (/4 and the undocumented /6) as SHL.
void register_shift_rotate(IsaTable& t) {
  t.add(Mnemonic::SHL, &build_shift<Shl>);
  t.add(Mnemonic::SHR, &build_shift<Shr>);
  t.add(Mnemonic::SAR, &build_shift<Sar>);
  t.add(Mnemonic::ROL, &build_shift<Rol>);
  t.add(Mnemonic::ROR, &build_shift<Ror>);
  t.add(Mnemonic::RCL, &build_rotate_carry<Rcl>);
  t.add(Mnemonic::RCR, &build_rotate_carry<Rcr>);
  t.add(Mnemonic::SHLD, &build_shift_double<true>);
  t.add(Mnemonic::SHRD, &build_shift_double<false>);
}

}  // namespace ring1
