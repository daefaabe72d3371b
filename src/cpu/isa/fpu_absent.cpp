// The x87 as ring1 has it: absent, and consistently so. There is no FPU (CPUID.01H:EDX.FPU is clear), so the
// instructions probing code uses to look for one behave as on a processor with no coprocessor attached:
//  - CR0.EM or CR0.TS set: every ESC (D8-DF) instruction raises #NM, so a kernel can emulate the x87 or
//    switch FPU state lazily (SDM vol. 3, 2.5 and table 2-2, "Action Taken By x87 FPU Instructions for
//    Different Combinations of EM, MP, and TS"). WAIT/FWAIT raises #NM when CR0.MP and CR0.TS are both set.
//  - Otherwise FNINIT does nothing, and FNSTSW/FNSTCW store 0xFFFF, what the processor reads from a
//    coprocessor that is not there (an undriven bus reads as all ones, as ring1's absent I/O ports do).
//    That is the answer both classic probes take as "no FPU": Linux's fpu__init_system_early_generic() wants
//    FSW = 0 and FCW & 0x103F = 0x003F after FNINIT for an FPU, and old kernels' `fninit; fnstsw ax;
//    or al, al` wants AL = 0.
//  - WAIT/FWAIT with MP and TS not both set does nothing (no FPU, so no pending unmasked exception).
// Every other x87 instruction is #NM under EM or TS (through exec_esc_absent, which the decoder binds to any
// D8-DF opcode without a handler) and #UD otherwise: see docs/cpu-model.md.
#include "cpu/exec/operands.h"
#include "common/arch_bits.h"
#include "cpu/isa/isa_table.h"
#include "cpu/isa/ud.h"

namespace ring1 {
namespace {

constexpr u16 kAbsentCoprocessor = 0xFFFF;

inline void esc_checks(const Cpu& c) {
  if (c.cr0 & (cr0::EM | cr0::TS)) raise_fault(Vector::NM);
}

void fninit(Cpu& c, const Insn&) { esc_checks(c); }

void fnstsw_ax(Cpu& c, const Insn&) {
  esc_checks(c);
  c.set_reg<u16>(gpr_offset(EAX), kAbsentCoprocessor);
}

// FNSTSW m16 / FNSTCW m16.
void fnstore_mem(Cpu& c, const Insn& i) {
  esc_checks(c);
  c.write<u16>(i.seg, c.effective_address(i), kAbsentCoprocessor);
}

void fwait(Cpu& c, const Insn&) {
  if ((c.cr0 & (cr0::MP | cr0::TS)) == (cr0::MP | cr0::TS)) raise_fault(Vector::NM);
}

bool build_fixed_esc(const DecodedInsn& d, Insn& i, BuildInfo&) {
  if (d.lock) return false;
  i.fn = &fninit;
  return true;
}

// FNSTSW AX | m16, FNSTCW m16.
bool build_store(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.lock || d.operand_count < 1) return false;
  const Operand& o = d.op[0];
  if (o.kind == OpKind::Mem) {
    set_mem(i, o, d);
    i.fn = &fnstore_mem;
    info.cost = CostClass::Store;
    return true;
  }
  if (d.mnemonic == Mnemonic::FNSTSW && is_gpr(o) && o.reg == EAX) {
    i.fn = &fnstsw_ax;
    return true;
  }
  return false;
}

bool build_fwait(const DecodedInsn& d, Insn& i, BuildInfo&) {
  if (d.lock) return false;
  i.fn = &fwait;
  return true;
}

}  // namespace

void exec_esc_absent(Cpu& c, const Insn&) {
  esc_checks(c);
  raise_fault(Vector::UD);
}

void register_fpu_absent(IsaTable& t) {
  t.add(Mnemonic::FNINIT, &build_fixed_esc);
  t.add(Mnemonic::FNSTSW, &build_store);
  t.add(Mnemonic::FNSTCW, &build_store);
  t.add(Mnemonic::FWAIT, &build_fwait);
}

}  // namespace ring1
