// The read-modify-write instructions built for atomic use, and BSWAP (SDM vol. 2: XADD, CMPXCHG, CMPXCHG8B,
// BSWAP). ring1 has one CPU and no other bus master, so a LOCK prefix on a memory destination needs no action;
// with a register destination it is #UD (SDM vol. 2, LOCK), which the builders enforce.
//
// Every handler reads its memory operand, computes into locals and writes memory before committing registers
// and EFLAGS, so a fault leaves the instruction restartable (SDM vol. 3, 6.5).
// Undefined behaviour, one documented choice: BSWAP r16 zeroes the low 16 bits of the register and keeps the
// upper half, as real Intel and AMD parts do (the SDM: "the result is undefined").
#include "cpu/exec/flags.h"
#include "cpu/exec/operands.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {

constexpr u8 kAcc = 0;  // AL/AX/EAX: byte offset 0 of the register file

// XADD: TEMP = SRC + DEST; SRC = DEST; DEST = TEMP; flags as ADD. With both operands the same register the
// destination is written last, so it ends up holding the sum.
template <class T, bool Mem>
void xadd(Cpu& c, const Insn& i) {
  T src = c.reg<T>(i.r2);
  u32 f = c.flags();
  if constexpr (Mem) {
    u32 ea = c.effective_address(i);
    T d = c.read<T>(i.seg, ea);
    T sum = flags::add<T>(d, src, 0, f);
    c.write<T>(i.seg, ea, sum);
    c.set_reg<T>(i.r2, d);
  } else {
    T d = c.reg<T>(i.r1);
    T sum = flags::add<T>(d, src, 0, f);
    c.set_reg<T>(i.r2, d);
    c.set_reg<T>(i.r1, sum);
  }
  c.set_flags(f);
}

// CMPXCHG: flags as CMP accumulator, DEST. Equal: DEST = SRC. Not equal: accumulator = DEST, and a memory
// destination is written back with its own value (the processor always writes; SDM vol. 2, CMPXCHG), so a
// read-only destination faults either way.
template <class T, bool Mem>
void cmpxchg(Cpu& c, const Insn& i) {
  T acc = c.reg<T>(kAcc);
  T src = c.reg<T>(i.r2);
  u32 f = c.flags();
  if constexpr (Mem) {
    u32 ea = c.effective_address(i);
    T d = c.read<T>(i.seg, ea);
    flags::sub<T>(acc, d, 0, f);
    if (acc == d) {
      c.write<T>(i.seg, ea, src);
    } else {
      c.write<T>(i.seg, ea, d);
      c.set_reg<T>(kAcc, d);
    }
  } else {
    T d = c.reg<T>(i.r1);
    flags::sub<T>(acc, d, 0, f);
    if (acc == d) c.set_reg<T>(i.r1, src);
    else c.set_reg<T>(kAcc, d);
  }
  c.set_flags(f);
}

// CMPXCHG8B m64: EDX:EAX against the quadword; equal: m64 = ECX:EBX and ZF = 1; not equal: EDX:EAX = m64,
// the quadword written back, ZF = 0 (no other flag changes). Two 32-bit accesses each way. The high dword is
// first rewritten with its own value, proving it writable before anything changes, so a fault on either
// dword leaves memory, registers and flags as they were.
void cmpxchg8b(Cpu& c, const Insn& i) {
  u32 ea = c.effective_address(i);
  u32 lo = c.read<u32>(i.seg, ea);
  u32 hi = c.read<u32>(i.seg, ea + 4);
  c.write<u32>(i.seg, ea + 4, hi);
  if (lo == c.gpr[EAX] && hi == c.gpr[EDX]) {
    c.write<u32>(i.seg, ea, c.gpr[EBX]);
    c.write<u32>(i.seg, ea + 4, c.gpr[ECX]);  // cannot fault: written just above
    c.set_flags(c.flags() | eflags::ZF);
  } else {
    c.write<u32>(i.seg, ea, lo);
    c.gpr[EAX] = lo;
    c.gpr[EDX] = hi;
    c.set_flags(c.flags() & ~eflags::ZF);
  }
}

template <class T>
void bswap(Cpu& c, const Insn& i) {
  if constexpr (sizeof(T) == 4) c.set_reg<u32>(i.r1, __builtin_bswap32(c.reg<u32>(i.r1)));
  else c.set_reg<u16>(i.r1, 0);  // undefined by the SDM; real parts zero the low word (see the header)
}

// XADD and CMPXCHG share their operand forms: r/m, r.
template <bool IsXadd>
bool build_rmw(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 2 || !is_gpr(d.op[1])) return false;
  const Operand& dst = d.op[0];
  i.r2 = gpr_offset(d.op[1]);
  if (is_gpr(dst)) {
    if (d.lock) return false;
    i.r1 = gpr_offset(dst);
    info.cost = CostClass::Simple;
    i.fn = IsXadd ? RING1_BY_SIZE(dst.size, xadd, false) : RING1_BY_SIZE(dst.size, cmpxchg, false);
  } else if (dst.kind == OpKind::Mem) {
    set_mem(i, dst, d);
    info.cost = CostClass::Store;
    i.fn = IsXadd ? RING1_BY_SIZE(dst.size, xadd, true) : RING1_BY_SIZE(dst.size, cmpxchg, true);
  }
  return i.fn != nullptr;
}

bool build_cmpxchg8b(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1 || d.op[0].kind != OpKind::Mem) return false;  // a register operand is #UD
  set_mem(i, d.op[0], d);
  info.cost = CostClass::Complex;
  i.fn = &cmpxchg8b;
  return true;
}

bool build_bswap(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.operand_count != 1 || !is_gpr(d.op[0]) || d.lock) return false;
  i.r1 = gpr_offset(d.op[0]);
  info.cost = CostClass::Simple;
  i.fn = RING1_BY_SIZE_16_32(d.op[0].size, bswap);
  return i.fn != nullptr;
}

}  // namespace

void register_atomic(IsaTable& t) {
  t.add(Mnemonic::XADD, &build_rmw<true>);
  t.add(Mnemonic::CMPXCHG, &build_rmw<false>);
  t.add(Mnemonic::CMPXCHG8B, &build_cmpxchg8b);
  t.add(Mnemonic::BSWAP, &build_bswap);
}

}  // namespace ring1
