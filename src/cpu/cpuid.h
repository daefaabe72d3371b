// What ring1's processor answers to CPUID, leaf by leaf, as data: the CPUID instruction (isa/misc.cpp)
// returns it, and the hypervisor's PV CPUID policy (hypervisor/cpuid_policy.h) starts from it, as Xen
// starts from the real processor's answer before masking what a PV guest must not see.
#pragma once
#include "common/types.h"

namespace ring1 {

struct CpuidResult {
  u32 eax = 0, ebx = 0, ecx = 0, edx = 0;
  bool operator==(const CpuidResult&) const = default;
};

// Leaf 1 EDX feature bits (SDM vol. 2, CPUID, table 3-11) that ring1 and the PV policy name.
namespace cpuid_bit {
inline constexpr u32 kVme = 1u << 1, kDe = 1u << 2, kPse = 1u << 3, kTsc = 1u << 4, kMsr = 1u << 5,
                     kCx8 = 1u << 8, kApic = 1u << 9, kSep = 1u << 11, kMtrr = 1u << 12, kPge = 1u << 13,
                     kCmov = 1u << 15, kPat = 1u << 16;
// Leaf 0x80000001 EDX: SYSCALL (11) and RDTSCP (27).
inline constexpr u32 kSyscall = 1u << 11, kRdtscp = 1u << 27;
}  // namespace cpuid_bit

// The processor's answer for leaf `leaf` (EAX in) on `cpu` (flags that follow the processor's state, such
// as a local APIC's enable, are read from it); ring1 has no leaf that reads ECX.
class Cpu;
CpuidResult native_cpuid(const Cpu& cpu, u32 leaf);

}  // namespace ring1
