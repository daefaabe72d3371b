// Miscellany with no operand forms to speak of (SDM vol. 2): the accumulator sign extensions CBW/CWDE and
// CWD/CDQ, the flag transfers LAHF/SAHF, the flag instructions CLC STC CMC CLD STD, and CPUID, RDTSC and
// UD2, which define the processor ring1 claims to be: a Pentium-class integer core with no FPU.
#include "cpu/cpuid.h"
#include "common/arch_bits.h"
#include "cpu/exec/flags.h"
#include "cpu/exec/operands.h"
#include "cpu/isa/isa_table.h"
#include "cpu/isa/ud.h"

namespace ring1 {
namespace {

// CBW (T = u16): AX <- sign-extend(AL). CWDE (T = u32): EAX <- sign-extend(AX).
template <class T>
void cbw(Cpu& c, const Insn&) {
  using Half = std::conditional_t<sizeof(T) == 2, i8, i16>;
  c.set_reg<T>(0, static_cast<T>(static_cast<i32>(c.reg<Half>(0))));
}

// CWD (T = u16): DX <- the sign of AX, replicated. CDQ (T = u32): EDX <- the sign of EAX.
template <class T>
void cwd(Cpu& c, const Insn&) {
  c.set_reg<T>(4 * EDX, flags::sign_bit<T>(c.reg<T>(0)) ? static_cast<T>(~T(0)) : T(0));
}

// The EFLAGS bits LAHF and SAHF transfer: SF ZF AF PF CF (SDM vol. 2, LAHF: AH <- SF:ZF:0:AF:0:PF:1:CF).
inline constexpr u32 kAhFlags = eflags::SF | eflags::ZF | eflags::AF | eflags::PF | eflags::CF;

void lahf(Cpu& c, const Insn&) { c.set_reg<u8>(1, u8((c.flags() & kAhFlags) | eflags::Reserved1)); }
void sahf(Cpu& c, const Insn&) { c.set_flags((c.flags() & ~kAhFlags) | (c.reg<u8>(1) & kAhFlags)); }

// CLC STC CMC CLD STD: EFLAGS <- ((EFLAGS & ~Clear) | Set) ^ Toggle.
template <u32 Clear, u32 Set, u32 Toggle>
void flag_op(Cpu& c, const Insn&) {
  c.set_flags(((c.flags() & ~Clear) | Set) ^ Toggle);
}

// CPUID (SDM vol. 2, CPUID): the answers are data in cpu/cpuid.cpp.
void cpuid(Cpu& c, const Insn&) {
  const CpuidResult r = native_cpuid(c, c.gpr[EAX]);
  c.gpr[EAX] = r.eax;
  c.gpr[EBX] = r.ebx;
  c.gpr[ECX] = r.ecx;
  c.gpr[EDX] = r.edx;
}

// SALC (D6, SDM vol. 2 lists it only in the opcode map as reserved; every Intel and AMD part since the 8086
// executes it): AL = CF ? 0xFF : 0x00, flags unchanged.
void salc(Cpu& c, const Insn&) { c.set_reg<u8>(gpr_offset(EAX), c.carry() ? 0xFF : 0x00); }

// INT1 (F1, "ICEBP"; SDM vol. 2, INT n/INTO/INT3/INT1): a one-byte debug trap on every processor since the
// 386. It is delivered as a #DB trap (EIP of the next instruction), not as a software interrupt: no gate DPL
// check, and DR6 is not changed.
void int1(Cpu&, const Insn&) { raise_trap(u8(Vector::DB)); }

// PAUSE (F3 90): a spin-wait hint since the Pentium 4 and REP NOP before it; a NOP here on every model.
void pause(Cpu&, const Insn&) {}

// RDTSC: EDX:EAX <- the modelled cycle counter as it stood when this instruction began (the run loop adds
// an instruction's own cost after its handler returns), plus Cpu::tsc_offset (which WRMSR to the TSC sets).
// #GP(0) when CR4.TSD is set and CPL != 0 (SDM vol. 2, RDTSC).

void rdtsc(Cpu& c, const Insn&) {
  if ((c.cr4 & cr4::TSD) && c.cpl != 0) raise_fault(Vector::GP, 0);
  const u64 tsc = c.cycles + c.tsc_offset;  // WRMSR to the TSC moves the origin (system_misc.cpp)
  c.gpr[EAX] = static_cast<u32>(tsc);
  c.gpr[EDX] = static_cast<u32>(tsc >> 32);
}

template <Handler H, CostClass Cost = CostClass::Simple>
bool build_fixed(const DecodedInsn&, Insn& i, BuildInfo& info) {
  info.cost = Cost;
  i.fn = H;
  return true;
}

bool build_cpuid(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.model == CpuModel::I386) return false;  // the 386 has no CPUID
  info.cost = CostClass::Complex;
  i.fn = &cpuid;
  return true;
}

// CBW/CWDE and CWD/CDQ share one opcode each; the operand size picks the instantiation.
bool build_cbw(const DecodedInsn& d, Insn& i, BuildInfo&) {
  i.fn = RING1_BY_SIZE_16_32(d.operand_size, cbw);
  return i.fn != nullptr;
}
bool build_cwd(const DecodedInsn& d, Insn& i, BuildInfo&) {
  i.fn = RING1_BY_SIZE_16_32(d.operand_size, cwd);
  return i.fn != nullptr;
}

// UD2: the architecturally reserved invalid opcode (SDM vol. 2, UD2), reported as an explicit #UD.
bool build_ud2(const DecodedInsn&, Insn& i, BuildInfo&) {
  i.fn = &exec_ud;
  i.op = kUdExplicit;
  return true;
}

}  // namespace

void register_misc(IsaTable& t) {
  using M = Mnemonic;
  using namespace eflags;
  t.add(M::CBW, &build_cbw);
  t.add(M::CWDE, &build_cbw);
  t.add(M::CWD, &build_cwd);
  t.add(M::CDQ, &build_cwd);
  t.add(M::LAHF, &build_fixed<&lahf>);
  t.add(M::SAHF, &build_fixed<&sahf>);
  t.add(M::CLC, &build_fixed<&flag_op<CF, 0, 0>>);
  t.add(M::STC, &build_fixed<&flag_op<0, CF, 0>>);
  t.add(M::CMC, &build_fixed<&flag_op<0, 0, CF>>);
  t.add(M::CLD, &build_fixed<&flag_op<DF, 0, 0>>);
  t.add(M::STD, &build_fixed<&flag_op<0, DF, 0>>);
  t.add(M::CPUID, &build_cpuid);
  t.add(M::SALC, &build_fixed<&salc>);
  t.add(M::PAUSE, &build_fixed<&pause>);
  t.add(M::INT1, &build_fixed<&int1>, true);
  // RDTSC is microcoded (tens of cycles on P6-class parts): priced as Complex.
  t.add(M::RDTSC, &build_fixed<&rdtsc, CostClass::Complex>);
  t.add(M::UD2, &build_ud2, true);
}

}  // namespace ring1
