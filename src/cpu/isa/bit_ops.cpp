// Bit test and scan (SDM vol. 2: BT, BTS, BTR, BTC, BSF, BSR). One template executes BT and its three
// read-modify-write variants for every size and operand kind; one executes both scans.
//
// Bit base and bit offset (SDM vol. 2, BT, "bit base" and "bit offset"): an immediate offset is taken modulo
// the operand size; a register offset on a register operand likewise; a register offset on a memory operand
// is a signed 16/32-bit value that selects the word/dword at EA + size * (offset SAR log2(size in bits)),
// so it can address memory well outside the operand, below it included.
//
// Flags the SDM leaves undefined, one documented choice each:
//  - BT/BTS/BTR/BTC: CF is the selected bit; ZF is unaffected (SDM); OF SF AF PF are left unchanged (what QEMU
//    does when the flags are already materialised; real parts differ among themselves).
//  - BSF/BSR: ZF = 1 and the destination unchanged when the source is 0 (what Intel and AMD parts do);
//    CF OF AF = 0 and SF PF from the source, as for a logic operation on the source (QEMU).
#include <bit>
#include <type_traits>

#include "cpu/exec/flags.h"
#include "cpu/exec/operands.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {

using flags::kBits;

struct Bt { static constexpr bool kWrites = false;
  template <class T> static T apply(T v, T) { return v; } };
struct Bts { static constexpr bool kWrites = true;
  template <class T> static T apply(T v, T m) { return T(v | m); } };
struct Btr { static constexpr bool kWrites = true;
  template <class T> static T apply(T v, T m) { return T(v & ~m); } };
struct Btc { static constexpr bool kWrites = true;
  template <class T> static T apply(T v, T m) { return T(v ^ m); } };

template <class T>
inline constexpr unsigned kLog2Bits = sizeof(T) == 2 ? 4 : 5;

// S is Src::Reg (the offset is a register) or Src::Imm.
template <class T, class Op, bool Mem, Src S>
void bit_test(Cpu& c, const Insn& i) {
  T v;
  unsigned bit;
  u32 ea = 0;
  if constexpr (S == Src::Imm) bit = i.imm & (kBits<T> - 1);
  else bit = c.reg<T>(i.r2) & (kBits<T> - 1);
  if constexpr (Mem) {
    ea = c.effective_address(i);
    if constexpr (S == Src::Reg) {
      i32 off = i32(std::make_signed_t<T>(c.reg<T>(i.r2)));
      ea = (ea + u32(off >> kLog2Bits<T>) * u32(sizeof(T))) & i.amask;
    }
    v = c.read<T>(i.seg, ea);
  } else {
    v = c.reg<T>(i.r1);
  }
  u32 f = (c.flags() & ~eflags::CF) | ((u32(v) >> bit) & 1u);
  if constexpr (Op::kWrites) {
    T r = Op::template apply<T>(v, T(T(1) << bit));
    if constexpr (Mem) c.write<T>(i.seg, ea, r);
    else c.set_reg<T>(i.r1, r);
  }
  c.set_flags(f);
}

template <class T, bool Forward, bool Mem>
void bit_scan(Cpu& c, const Insn& i) {
  T s = Mem ? c.read<T>(i.seg, c.effective_address(i)) : c.reg<T>(i.r2);
  u32 f = c.flags();
  flags::logic<T>(s, f);  // ZF = (source == 0); CF OF AF cleared, SF PF from the source (see the header)
  if (s != 0) {
    unsigned idx = Forward ? unsigned(std::countr_zero(s)) : unsigned(std::bit_width(s)) - 1;
    c.set_reg<T>(i.r1, T(idx));
  }
  c.set_flags(f);
}

template <class Op>
bool build_bit_test(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 2) return false;
  const Operand& dst = d.op[0];
  const Operand& off = d.op[1];
  const u8 size = dst.size;
  bool imm = off.kind == OpKind::Imm;
  if (imm) i.imm = off.imm & 0xFFu;
  else if (is_gpr(off)) i.r2 = gpr_offset(off);
  else return false;
  if (is_gpr(dst)) {
    if (d.lock) return false;  // LOCK with a register destination is #UD (SDM vol. 2, LOCK)
    i.r1 = gpr_offset(dst);
    info.cost = CostClass::Simple;
    i.fn = imm ? RING1_BY_SIZE_16_32(size, bit_test, Op, false, Src::Imm)
               : RING1_BY_SIZE_16_32(size, bit_test, Op, false, Src::Reg);
  } else if (dst.kind == OpKind::Mem) {
    set_mem(i, dst, d);
    info.cost = Op::kWrites ? CostClass::Store : CostClass::Load;
    i.fn = imm ? RING1_BY_SIZE_16_32(size, bit_test, Op, true, Src::Imm)
               : RING1_BY_SIZE_16_32(size, bit_test, Op, true, Src::Reg);
  }
  return i.fn != nullptr;
}

template <bool Forward>
bool build_bit_scan(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 2 || !is_gpr(d.op[0])) return false;
  const Operand& src = d.op[1];
  i.r1 = gpr_offset(d.op[0]);
  if (is_gpr(src)) {
    i.r2 = gpr_offset(src);
    info.cost = CostClass::Simple;
    i.fn = RING1_BY_SIZE_16_32(d.op[0].size, bit_scan, Forward, false);
  } else if (src.kind == OpKind::Mem) {
    set_mem(i, src, d);
    info.cost = CostClass::Load;
    i.fn = RING1_BY_SIZE_16_32(d.op[0].size, bit_scan, Forward, true);
  }
  return i.fn != nullptr;
}

}  // namespace

void register_bit_ops(IsaTable& t) {
  t.add(Mnemonic::BT, &build_bit_test<Bt>);
  t.add(Mnemonic::BTS, &build_bit_test<Bts>);
  t.add(Mnemonic::BTR, &build_bit_test<Btr>);
  t.add(Mnemonic::BTC, &build_bit_test<Btc>);
  t.add(Mnemonic::BSF, &build_bit_scan<true>);
  t.add(Mnemonic::BSR, &build_bit_scan<false>);
}

}  // namespace ring1
