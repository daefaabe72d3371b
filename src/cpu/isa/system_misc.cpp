// Privileged odds and ends of the system architecture (SDM vol. 2): RDMSR/WRMSR (the registers are cpu/msr.cpp's table),
// the cache instructions WBINVD/INVD, the 286-era machine status word instructions LMSW, SMSW and CLTS, and
// VMCALL, which ring1 gives to its hypervisor as the host escape.
// All but SMSW are CPL 0 only (#GP(0) otherwise); SMSW is the classic "sensitive but unprivileged"
// instruction (Popek and Goldberg's test fails on it): it reveals CR0 at any CPL without faulting.
#include "cpu/exec/operands.h"
#include "common/arch_bits.h"
#include "cpu/msr.h"
#include "cpu/isa/isa_table.h"
#include "cpu/msr.h"

namespace ring1 {
namespace {

constexpr u32 kMsw = 0xF;  // the CR0 bits LMSW loads: PE MP EM TS (SDM vol. 2, LMSW)

// CPL 0 only. In virtual-8086 mode CPL is 3, so these fault there too (SDM vol. 3, chapter 20).
inline void require_ring0(const Cpu& c) {
  if (c.cpl != 0) raise_fault(Vector::GP, 0);
}

// RDMSR/WRMSR (SDM vol. 2): ECX names the MSR, EDX:EAX holds its value. The registers ring1 models and
// their rules are one table (cpu/msr.cpp); an index it lacks, a read-only register written, or a reserved
// bit set is #GP(0), as the SDM prescribes.
void rdmsr(Cpu& c, const Insn&) {
  require_ring0(c);
  const std::optional<u64> v = read_msr(c, c.gpr[ECX]);
  if (!v) raise_fault(Vector::GP, 0);
  c.gpr[EAX] = static_cast<u32>(*v);
  c.gpr[EDX] = static_cast<u32>(*v >> 32);
}

void wrmsr(Cpu& c, const Insn&) {
  require_ring0(c);
  if (!write_msr(c, c.gpr[ECX], (u64(c.gpr[EDX]) << 32) | c.gpr[EAX])) raise_fault(Vector::GP, 0);
}

// WBINVD/INVD (SDM vol. 2): ring1 models no cache, so after the privilege check there is nothing to write
// back or invalidate. (INVD on a real part loses dirty lines; here memory is always coherent.)
void cache_flush(Cpu& c, const Insn&) { require_ring0(c); }

// LMSW r/m16 (SDM vol. 2, LMSW): CR0[3:0] <- source[3:0], except that PE can be set but never cleared.
// Bits above 3 are untouched.
template <Src S>
void lmsw(Cpu& c, const Insn& i) {
  require_ring0(c);
  const u32 v = source<u16, S>(c, i);
  c.set_cr0((c.cr0 & ~kMsw) | (v & kMsw) | (c.cr0 & cr0::PE));
  c.charge(c.costs().events.cr_write);
}

// SMSW r/m16 | r32 (SDM vol. 2, SMSW): any CPL (CR4.UMIP, which would fault it, is not modelled). A memory
// destination receives the low 16 bits of CR0. A 16-bit register receives them in its low half, the rest of
// the register untouched; a 32-bit register receives all of CR0, which the SDM leaves "undefined" above bit
// 15 and P6-class and later processors fill with CR0's upper bits.
template <class T>
void smsw_reg(Cpu& c, const Insn& i) {
  c.set_reg<T>(i.r1, static_cast<T>(c.cr0));
}
void smsw_mem(Cpu& c, const Insn& i) { c.write<u16>(i.seg, c.effective_address(i), static_cast<u16>(c.cr0)); }

// CLTS (SDM vol. 2): CR0.TS <- 0.
void clts(Cpu& c, const Insn&) {
  require_ring0(c);
  c.set_cr0(c.cr0 & ~cr0::TS);
  c.charge(c.costs().events.cr_write);
}

// VMCALL as the hypervisor's host escape (cpu.h, HostEscape). Everything else is #UD, as outside VMX
// operation. The handler charges its own work from the cost profile; the instruction itself is Complex.
void host_escape(Cpu& c, const Insn&) {
  const HostEscape& h = c.host_escape;
  if (!h.handle || c.cpl != 0) raise_fault(Vector::UD);
  h.handle(h.context, c);
}

template <Handler H, CostClass Cost>
bool build_fixed(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.lock) return false;
  info.cost = Cost;
  i.fn = H;
  return true;
}

bool build_lmsw(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.lock || d.operand_count != 1) return false;
  const Operand& o = d.op[0];
  if (is_gpr(o) && o.reg_class != RegClass::Gpr8) {
    i.r2 = gpr_offset(o);
    i.fn = &lmsw<Src::Reg>;
  } else if (o.kind == OpKind::Mem) {
    set_mem(i, o, d);
    i.fn = &lmsw<Src::Mem>;
    info.cost = CostClass::Load;
  } else {
    return false;
  }
  return true;
}

bool build_smsw(const DecodedInsn& d, Insn& i, BuildInfo& info) {
  if (d.lock || d.operand_count != 1) return false;
  const Operand& o = d.op[0];
  if (is_gpr(o) && o.reg_class != RegClass::Gpr8) {
    i.r1 = gpr_offset(o);
    i.fn = RING1_BY_SIZE_16_32(o.size, smsw_reg);
  } else if (o.kind == OpKind::Mem) {
    set_mem(i, o, d);
    i.fn = &smsw_mem;
    info.cost = CostClass::Store;
  } else {
    return false;
  }
  return i.fn != nullptr;
}

}  // namespace

void register_system_misc(IsaTable& t) {
  using M = Mnemonic;
  // RDMSR/WRMSR are microcoded and serializing: Complex.
  t.add(M::RDMSR, &build_fixed<&rdmsr, CostClass::Complex>);
  t.add(M::WRMSR, &build_fixed<&wrmsr, CostClass::Complex>);
  t.add(M::WBINVD, &build_fixed<&cache_flush, CostClass::Complex>);
  t.add(M::INVD, &build_fixed<&cache_flush, CostClass::Complex>);
  // LMSW and CLTS write CR0 (LMSW can enter protected mode): they end the block, as MOV CR0 does.
  t.add(M::LMSW, &build_lmsw, true);
  t.add(M::SMSW, &build_smsw);
  t.add(M::CLTS, &build_fixed<&clts, CostClass::Simple>, true);
  // The host escape may change anything (CR3, EIP, the ring): it ends its block.
  t.add(M::VMCALL, &build_fixed<&host_escape, CostClass::Complex>, true);
}

}  // namespace ring1
