// ring1's CPUID answers (see the header).
#include "cpu/cpuid.h"

#include "cpu/cpu.h"

namespace ring1 {
namespace {

// ring1 identifies as a "GenuineIntel" part of the generation it models (cpu_model.h), with no FPU, since
// ring1 has no x87:
//   p6:  family 6, model 3, stepping 3 (0x633, a Pentium II: the first P6 whose SYSENTER works; Pentium Pro
//        parts report SEP but must not use it, SDM vol. 2, CPUID, "SEP").
//   486: family 4, model 2, stepping 3 (0x423, an i486SX: a 486 without an FPU, of the steppings with CPUID).
//   386: no CPUID (#UD; the instruction builder refuses it), and POPF cannot set EFLAGS.ID.
// The signature is also what Cpu::reset_power_on() leaves in EDX.
//   Leaf 0: EAX = 1 (the highest basic leaf), EBX:EDX:ECX = "GenuineIntel".
//   Leaf 1: EAX = the signature, EBX = ECX = 0, EDX = the features ring1 implements for that model.
//   Any higher leaf: all four registers 0. (Real Intel parts answer an out-of-range basic leaf with the
//   highest basic leaf's data; ring1 returns zeros instead, so a guest probing beyond leaf 1 sees nothing.)
// P6 features: FPU (bit 0) clear, no x87; VME (1) and DE (2) clear, not modelled; PSE (3), TSC (4, RDTSC),
// MSR (5, RDMSR/WRMSR), CX8 (8, CMPXCHG8B), SEP (11, SYSENTER/SYSEXIT), MTRR (12: MTRRCAP and MTRR_DEF_TYPE,
// cpu/msr.cpp), PGE (13), CMOV (15) and PAT (16, IA32_PAT) set, because the core and its paging model
// implement them. APIC (9) is set while the machine has a local APIC and IA32_APIC_BASE enables it (SDM
// vol. 3, 10.4.3: the flag follows the global enable). MMX (23) and everything else clear. The 486 has none
// of these (and no APIC base MSR, so no APIC flag either).
constexpr u32 kFeaturesP6 = cpuid_bit::kPse | cpuid_bit::kTsc | cpuid_bit::kMsr | cpuid_bit::kCx8 |
                            cpuid_bit::kSep | cpuid_bit::kMtrr | cpuid_bit::kPge | cpuid_bit::kCmov |
                            cpuid_bit::kPat;
constexpr u64 kApicGlobalEnable = 1u << 11;
constexpr u32 kMaxLeaf = 1;

}  // namespace

CpuidResult native_cpuid(const Cpu& c, u32 leaf) {
  switch (leaf) {
    case 0: return {kMaxLeaf, 0x756e6547 /* "Genu" */, 0x6c65746e /* "ntel" */, 0x49656e69 /* "ineI" */};
    case 1: {
      u32 d = c.model() == CpuModel::P6 ? kFeaturesP6 : 0;
      if (c.model() == CpuModel::P6 && c.apic.present() && (c.apic.read_base(c.apic.context) & kApicGlobalEnable))
        d |= cpuid_bit::kApic;
      return {cpu_signature(c.model()), 0, 0, d};
    }
    default: return {};
  }
}

}  // namespace ring1
