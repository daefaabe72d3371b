// String instructions MOVS CMPS SCAS LODS STOS (SDM vol. 2) with their REP/REPE/REPNE prefixes. One template
// runs every element size (T), address size (A: SI/DI/CX or ESI/EDI/ECX) and prefix of all five; each
// operation is a small struct saying which index registers it walks and what it does with one element.
// A REP run commits its registers element by element, as the SDM's REP pseudocode does, so a fault on
// element k leaves (E)SI/(E)DI/(E)CX at element k with EIP at the instruction, and re-executing it resumes.
#include "cpu/exec/flags.h"
#include "cpu/exec/operands.h"
#include "cpu/exec/rep_loop.h"
#include "cpu/isa/isa_table.h"

namespace ring1 {
namespace {

// Which prefix the handler honours. MOVS/LODS/STOS know only REP; REPE/REPNE apply to CMPS/SCAS.
enum class Rep : u8 { None, Rep, RepE, RepNE };

// One element. `src` is the source segment (DS unless overridden); the destination is always ES:(E)DI
// (SDM vol. 2, MOVS: "the ES segment cannot be overridden"). An operation's only memory write is its last
// possible fault, so an element either completes or changes nothing.
struct Movs {
  static constexpr bool kSi = true, kDi = true, kFlags = false;
  template <class T> static void apply(Cpu& c, u8 src, u32 si, u32 di, u32&) {
    T v = c.read<T>(src, si);
    c.write<T>(ES, di, v);
  }
};
// CMPS compares [src:(E)SI] - [ES:(E)DI], flags as CMP (SDM vol. 2, CMPS).
struct Cmps {
  static constexpr bool kSi = true, kDi = true, kFlags = true;
  template <class T> static void apply(Cpu& c, u8 src, u32 si, u32 di, u32& f) {
    T a = c.read<T>(src, si);
    T b = c.read<T>(ES, di);
    flags::sub<T>(a, b, 0, f);
  }
};
// SCAS compares accumulator - [ES:(E)DI] (SDM vol. 2, SCAS).
struct Scas {
  static constexpr bool kSi = false, kDi = true, kFlags = true;
  template <class T> static void apply(Cpu& c, u8, u32, u32 di, u32& f) {
    T b = c.read<T>(ES, di);
    flags::sub<T>(c.reg<T>(gpr_offset(EAX)), b, 0, f);
  }
};
struct Lods {
  static constexpr bool kSi = true, kDi = false, kFlags = false;
  template <class T> static void apply(Cpu& c, u8 src, u32 si, u32, u32&) {
    c.set_reg<T>(gpr_offset(EAX), c.read<T>(src, si));
  }
};
struct Stos {
  static constexpr bool kSi = false, kDi = true, kFlags = false;
  template <class T> static void apply(Cpu& c, u8, u32, u32 di, u32&) {
    c.write<T>(ES, di, c.reg<T>(gpr_offset(EAX)));
  }
};

// Executes one element and commits it: index registers step by +-sizeof(T) (DF, SDM vol. 1, 3.4.3.2), and
// with 16-bit addressing only SI/DI change (A = u16 wraps at 64 KiB and leaves the upper halves alone).
template <class T, class A, class Op>
inline void element(Cpu& c, u8 src, A step) {
  A si = static_cast<A>(c.gpr[ESI]);
  A di = static_cast<A>(c.gpr[EDI]);
  u32 f = c.flags();
  Op::template apply<T>(c, src, si, di, f);
  if constexpr (Op::kSi) c.set_reg<A>(gpr_offset(ESI), static_cast<A>(si + step));
  if constexpr (Op::kDi) c.set_reg<A>(gpr_offset(EDI), static_cast<A>(di + step));
  if constexpr (Op::kFlags) c.set_flags(f);  // CMPS/SCAS leave EFLAGS exact, so REPE/REPNE read ZF there
}

template <class T, class A, class Op, Rep R>
void string_insn(Cpu& c, const Insn& i) {
  const u8 src = i.seg;
  const A step = (c.eflags & eflags::DF) ? static_cast<A>(0u - sizeof(T)) : static_cast<A>(sizeof(T));
  if constexpr (R == Rep::None) {
    element<T, A, Op>(c, src, step);
  } else {
    // A zero count executes nothing and changes no flag; REPE stops when ZF = 0, REPNE when ZF = 1.
    rep_loop<A>(
        c, i, [&] { element<T, A, Op>(c, src, step); },
        [&] {
          if constexpr (R == Rep::RepE) return !(c.eflags & eflags::ZF);
          else if constexpr (R == Rep::RepNE) return (c.eflags & eflags::ZF) != 0;
          else return false;
        });
  }
}

template <class Op, class A, Rep R>
Handler pick_size(u8 size) {
  return RING1_BY_SIZE(size, string_insn, A, Op, R);
}

template <class Op, class A>
Handler pick_rep(const DecodedInsn& d, u8 size) {
  if constexpr (Op::kFlags) {
    if (d.repne) return pick_size<Op, A, Rep::RepNE>(size);
    if (d.rep) return pick_size<Op, A, Rep::RepE>(size);
  } else {
    // F2 on MOVS/LODS/STOS: the SDM reserves it; Intel and AMD processors repeat exactly as with F3, and so
    // does ring1.
    if (d.rep || d.repne) return pick_size<Op, A, Rep::Rep>(size);
  }
  return pick_size<Op, A, Rep::None>(size);
}

// Opcode is the byte form (A4 MOVSB, A6 CMPSB, AA STOSB, AC LODSB, AE SCASB); the next opcode is the word or
// doubleword form by operand size. Zydis also names the SSE2 F2 0F 10/11 and F2 0F C2 instructions MOVSD and
// CMPSD; their opcodes are not these, so they are rejected (#UD on a Pentium-class integer core).
template <class Op, u8 Opcode>
bool build_string(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.opcode != Opcode && d.opcode != Opcode + 1) return false;
  if (d.lock) return false;  // LOCK on a string instruction is #UD (SDM vol. 2, LOCK)
  u8 size = d.opcode == Opcode ? 1 : d.operand_size;
  bool a16 = d.address_size == 2;
  i.fn = a16 ? pick_rep<Op, u16>(d, size) : pick_rep<Op, u32>(d, size);
  i.amask = a16 ? 0xFFFFu : 0xFFFFFFFFu;
  i.seg = Op::kSi ? implicit_source_segment(d) : u8(DS);
  // A REP form pays a start-up cost once (the Insn's cycles) and StringIter per element it runs.
  info.cost = (d.rep || d.repne) ? CostClass::Complex : CostClass::StringIter;
  return i.fn != nullptr;
}

}  // namespace

void register_strings(IsaTable& t) {
  using M = Mnemonic;
  for (M m : {M::MOVSB, M::MOVSW, M::MOVSD}) t.add(m, &build_string<Movs, 0xA4>);
  for (M m : {M::CMPSB, M::CMPSW, M::CMPSD}) t.add(m, &build_string<Cmps, 0xA6>);
  for (M m : {M::STOSB, M::STOSW, M::STOSD}) t.add(m, &build_string<Stos, 0xAA>);
  for (M m : {M::LODSB, M::LODSW, M::LODSD}) t.add(m, &build_string<Lods, 0xAC>);
  for (M m : {M::SCASB, M::SCASW, M::SCASD}) t.add(m, &build_string<Scas, 0xAE>);
}

}  // namespace ring1
