// Decimal arithmetic adjusts: DAA DAS (packed BCD in AL) and AAA AAS AAM AAD (unpacked BCD in AL/AH), each
// exactly as the SDM's pseudocode (vol. 2) has it. One handler template runs them all over AL, AH and EFLAGS.
//
// Undefined flags, following QEMU's helpers (target/i386 int_helper.c), which Unicorn, our oracle, runs:
//   DAA, DAS: OF cleared.
//   AAA, AAS: OF, SF, ZF and PF left unchanged.
//   AAM, AAD: OF, AF and CF cleared (QEMU treats the result as a logic op on AL).
#include "cpu/exec/flags.h"
#include "cpu/exec/operands.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {

using namespace eflags;

// Each adjust maps (AL, AH, EFLAGS, imm8) to new values in place; it cannot fault except AAM's #DE,
// which is raised before anything is written.

// DAA (SDM vol. 2): adjust AL after a packed-BCD addition.
struct Daa {
  static void apply(u8& al, u8&, u32& f, u8) {
    const u8 old_al = al;
    const u32 old_cf = f & CF;
    u32 nf = 0;
    if ((al & 0x0F) > 9 || (f & AF)) {
      // CF <- old_CF or the carry out of AL + 6; that carry (AL >= 0xFA) implies old_AL > 0x99 below,
      // which sets CF anyway.
      al = u8(al + 6);
      nf |= AF;
    }
    if (old_al > 0x99 || old_cf) {
      al = u8(al + 0x60);
      nf |= CF;
    }
    f = flags::keep(f, Status) | nf | flags::szp(al);  // OF cleared (QEMU)
  }
};

// DAS (SDM vol. 2): adjust AL after a packed-BCD subtraction.
struct Das {
  static void apply(u8& al, u8&, u32& f, u8) {
    const u8 old_al = al;
    const u32 old_cf = f & CF;
    u32 nf = 0;
    if ((al & 0x0F) > 9 || (f & AF)) {
      if (al < 6 || old_cf) nf |= CF;  // CF <- old_CF or the borrow out of AL - 6
      al = u8(al - 6);
      nf |= AF;
    }
    if (old_al > 0x99 || old_cf) {
      al = u8(al - 0x60);
      nf |= CF;
    }
    f = flags::keep(f, Status) | nf | flags::szp(al);  // OF cleared (QEMU)
  }
};

// AAA (SDM vol. 2): AX <- AX + 106H when AL's low nibble is not a decimal digit or AF is set; then
// AL <- AL AND 0FH. The +106H lets a carry out of AL + 6 reach AH, as the SDM's 16-bit add says.
struct Aaa {
  static void apply(u8& al, u8& ah, u32& f, u8) {
    if ((al & 0x0F) > 9 || (f & AF)) {
      u16 ax = u16((u16(ah) << 8 | al) + 0x106);
      al = u8(ax) & 0x0F;
      ah = u8(ax >> 8);
      f |= AF | CF;
    } else {
      al &= 0x0F;
      f &= ~(AF | CF);
    }
  }
};

// AAS (SDM vol. 2): AX <- AX - 6 and AH <- AH - 1 under the same condition, then AL <- AL AND 0FH.
struct Aas {
  static void apply(u8& al, u8& ah, u32& f, u8) {
    if ((al & 0x0F) > 9 || (f & AF)) {
      u16 ax = u16((u16(ah) << 8 | al) - 6);
      al = u8(ax) & 0x0F;
      ah = u8((ax >> 8) - 1);
      f |= AF | CF;
    } else {
      al &= 0x0F;
      f &= ~(AF | CF);
    }
  }
};

// AAM imm8 (SDM vol. 2): AH <- AL / imm8, AL <- AL mod imm8; #DE when imm8 is 0. SF ZF PF from AL.
struct Aam {
  static void apply(u8& al, u8& ah, u32& f, u8 base) {
    if (base == 0) raise_fault(Vector::DE);
    const u8 t = al;
    ah = u8(t / base);
    al = u8(t % base);
    flags::logic<u8>(al, f);  // OF AF CF cleared (QEMU)
  }
};

// AAD imm8 (SDM vol. 2): AL <- (AL + AH * imm8) AND FFH, AH <- 0. SF ZF PF from AL.
struct Aad {
  static void apply(u8& al, u8& ah, u32& f, u8 base) {
    al = u8(al + ah * base);
    ah = 0;
    flags::logic<u8>(al, f);  // OF AF CF cleared (QEMU)
  }
};

template <class Op>
void adjust(Cpu& c, const Insn& i) {
  u8 al = c.reg<u8>(0), ah = c.reg<u8>(1);
  u32 f = c.flags();
  Op::apply(al, ah, f, static_cast<u8>(i.imm));
  c.set_reg<u8>(0, al);
  c.set_reg<u8>(1, ah);
  c.set_flags(f);
}

// AAM and AAD take an imm8 base (D4 ib / D5 ib; the bare mnemonics encode base 10), which the decoder
// reports as their one visible operand.
template <class Op, bool HasBase>
bool build_adjust(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  info.cost = CostClass::Complex;
  if constexpr (HasBase) {
    if (d.operand_count != 1 || d.op[0].kind != OpKind::Imm) return false;
    i.imm = d.op[0].imm & 0xFF;
  }
  i.fn = &adjust<Op>;
  return true;
}

}  // namespace

void register_bcd(IsaTable& t) {
  t.add(Mnemonic::DAA, &build_adjust<Daa, false>);
  t.add(Mnemonic::DAS, &build_adjust<Das, false>);
  t.add(Mnemonic::AAA, &build_adjust<Aaa, false>);
  t.add(Mnemonic::AAS, &build_adjust<Aas, false>);
  t.add(Mnemonic::AAM, &build_adjust<Aam, true>);
  t.add(Mnemonic::AAD, &build_adjust<Aad, true>);
}

}  // namespace ring1
