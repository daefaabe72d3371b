// ring1's CPUID answers (see the header).
#include "cpu/cpuid.h"

namespace ring1 {
namespace {

// ring1 identifies as a Pentium with MMX technology's signature, family 5, model 4, stepping 3 (0x543, the
// value Cpu::reset_power_on() leaves in EDX), made by "GenuineIntel".
//   Leaf 0: EAX = 1 (the highest basic leaf), EBX:EDX:ECX = "GenuineIntel".
//   Leaf 1: EAX = 0x543, EBX = ECX = 0, EDX = the features ring1 implements (kFeatures below).
//   Any higher leaf: all four registers 0. (Real Intel parts answer an out-of-range basic leaf with the
//   highest basic leaf's data; ring1 returns zeros instead, so a guest probing beyond leaf 1 sees nothing.)
// kFeatures: FPU (bit 0) clear, since ring1 has no x87; VME (1) and DE (2) clear, not modelled; PSE (3),
// TSC (4, RDTSC), MSR (5, RDMSR/WRMSR), CX8 (8, CMPXCHG8B), PGE (13) and CMOV (15) set, because the core
// and its paging model implement them. MMX (23) and everything else clear. CMOV on a family-5 part is
// anachronistic but honest: the instruction is there and software should be allowed to use it.
constexpr u32 kCpuidSignature = 0x00000543;
constexpr u32 kFeatures = cpuid_bit::kPse | cpuid_bit::kTsc | cpuid_bit::kMsr | cpuid_bit::kCx8 | cpuid_bit::kPge |
                          cpuid_bit::kCmov;
constexpr u32 kMaxLeaf = 1;

}  // namespace

CpuidResult native_cpuid(const Cpu&, u32 leaf) {
  switch (leaf) {
    case 0: return {kMaxLeaf, 0x756e6547 /* "Genu" */, 0x6c65746e /* "ntel" */, 0x49656e69 /* "ineI" */};
    case 1: return {kCpuidSignature, 0, 0, kFeatures};
    default: return {};
  }
}

}  // namespace ring1
