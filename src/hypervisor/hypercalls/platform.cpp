// The hypercalls a guest needs before anything else (XEN-REFERENCE.md 2.10): the emergency console
// (console_io), the version queries and vm_assist. The scheduler operations are in sched_op.cpp.
#include <algorithm>
#include <cstring>

#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/layout.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

// The interface ring1 implements is the non-PAE xen-3.0-x86_32 one (XEN-NOTES.md).
constexpr u32 kVersion = (3u << 16) | 0u;
constexpr char kExtraVersion[] = "-ring1";
constexpr char kCapabilities[] = "xen-3.0-x86_32";
// Xen writes a console buffer out in pieces and can preempt itself between them; ring1 has no hypercall
// continuations, so one call takes at most this much (larger counts are -xen::err::kEINVAL).
constexpr u32 kMaxConsoleWrite = 1u << 20;

template <std::size_t N>
i32 copy_string(Hypervisor& hv, u32 dst, const char (&src)[N], u32 size) {
  char buf[1024] = {};
  std::memcpy(buf, src, std::min<std::size_t>(N, size - 1));
  return hv.guest().copy_to(LinearAddr{dst}, buf, size) ? 0 : -xen::err::kEFAULT;
}

}  // namespace

// console_io(cmd, count, buffer): xen::kConsoleIoWrite prints to the hypervisor's console; xen::kConsoleIoRead
// returns how many bytes it read, and ring1's console has no input.
i32 do_console_io(Hypervisor& hv, const HypercallArgs& a) {
  switch (a.a1) {
    case xen::kConsoleIoWrite: {
      if (a.a2 > kMaxConsoleWrite) return -xen::err::kEINVAL;
      char buf[256];
      for (u32 done = 0; done < a.a2;) {
        const u32 n = std::min<u32>(sizeof(buf), a.a2 - done);
        if (!hv.guest().copy_from(LinearAddr{a.a3 + done}, buf, n)) return -xen::err::kEFAULT;
        hv.console_write(buf, n);
        done += n;
      }
      return 0;
    }
    case xen::kConsoleIoRead: return 0;
    default: return -xen::err::kENOSYS;
  }
}

// xen_version(cmd, arg) (xen/include/public/version.h).
i32 do_xen_version(Hypervisor& hv, const HypercallArgs& a) {
  switch (a.a1) {
    case xen::kXenverVersion: return static_cast<i32>(kVersion);
    case xen::kXenverExtraversion: return copy_string(hv, a.a2, kExtraVersion, xen::kExtraversionLen);
    case xen::kXenverCapabilities: return copy_string(hv, a.a2, kCapabilities, xen::kCapabilitiesLen);
    case xen::kXenverPlatformParameters: {
      const u32 virt_start = xen::kHypervisorVirtStart;
      return hv.guest().write(LinearAddr{a.a2}, virt_start) ? 0 : -xen::err::kEFAULT;
    }
    case xen::kXenverGetFeatures: {
      // struct xen_feature_info { unsigned submap_idx; uint32_t submap; }: ring1 offers no optional
      // feature (no writable page tables, no auto-translated physmap, no supervisor-mode kernel).
      u32 info[2];
      if (!hv.guest().copy_from(LinearAddr{a.a2}, info, 8)) return -xen::err::kEFAULT;
      info[1] = 0;
      return hv.guest().copy_to(LinearAddr{a.a2}, info, 8) ? 0 : -xen::err::kEFAULT;
    }
    case xen::kXenverPagesize: return 4096;
    default: return -xen::err::kENOSYS;
  }
}

// vm_assist(cmd, type): ring1 honours no assist that changes behaviour (4 GB segments, writable page
// tables), so it refuses them rather than pretend. pae_extended_cr3 only describes how a PAE CR3 is
// packed; without PAE it changes nothing and is accepted (GRUB asks for it first).
i32 do_vm_assist(Hypervisor&, const HypercallArgs& a) {
  if (a.a1 != xen::kVmasstCmdEnable && a.a1 != xen::kVmasstCmdDisable) return -xen::err::kEINVAL;
  if (a.a2 == xen::kVmasstTypePaeExtendedCr3) return 0;
  return -xen::err::kEINVAL;
}

}  // namespace ring1::hv
