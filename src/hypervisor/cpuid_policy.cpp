// The PV CPUID policy (see the header).
#include "hypervisor/cpuid_policy.h"

#include "hypervisor/xen_identity.h"

namespace ring1::hv {

CpuidResult pv_cpuid(const Cpu& cpu, u32 leaf, bool privileged_domain) {
  CpuidResult r = native_cpuid(cpu, leaf);
  switch (leaf) {
    case 1:
      r.edx &= ~(cpuid_bit::kVme | cpuid_bit::kPse | cpuid_bit::kPge | cpuid_bit::kSep);
      if (!privileged_domain) r.edx &= ~cpuid_bit::kMtrr;
      return r;
    case 0x80000001: r.edx &= ~(cpuid_bit::kSyscall | cpuid_bit::kRdtscp); return r;
    case kCpuidHypervisorBase:
      // "XenVMMXenVMM" in EBX, ECX, EDX.
      return {kCpuidHypervisorLast, 0x566e6558 /* "XenV" */, 0x65584d4d /* "MMXe" */, 0x4d4d566e /* "nVMM" */};
    case kCpuidHypervisorBase + 1: return {kXenVersionNumber, 0, 0, 0};
    case kCpuidHypervisorBase + 2: return {1, kCpuidHypervisorBase, 0, 0};  // one page, MSR 0x40000000
    default: return r;
  }
}

}  // namespace ring1::hv
