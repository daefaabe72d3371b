// xen_version(cmd, arg): what a PV guest asks first about the hypervisor under it (xen/include/public/
// version.h), answered as Xen 3.2's do_xen_version (xen/common/kernel.c) answers: numbers in EAX, strings
// and structures copied into the guest's buffer, -EFAULT when that buffer is not writable, -ENOSYS for a
// command Xen 3.x did not know. The values describe ring1 itself (hypervisor/xen_identity.h).
#include <cstring>

#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/xen_abi.h"
#include "hypervisor/xen_identity.h"

namespace ring1::hv {
namespace {

// Copies `s` NUL-padded into a guest buffer of exactly `size` bytes, as Xen's safe_strcpy into a fixed array
// followed by copy_to_guest of the whole array (a string that does not fit is cut and still NUL-terminated).
i32 put_string(Hypervisor& hv, u32 dst, const char* s, u32 size) {
  char buf[xen::kCapabilitiesLen] = {};
  std::strncpy(buf, s, size - 1);
  return hv.guest().copy_to(LinearAddr{dst}, buf, size) ? 0 : -xen::err::kEFAULT;
}

}  // namespace

i32 do_xen_version(Hypervisor& hv, const HypercallArgs& a) {
  switch (a.a1) {
    case xen::kXenverVersion: return static_cast<i32>(kXenVersionNumber);
    case xen::kXenverExtraversion: return put_string(hv, a.a2, kXenExtraVersion, xen::kExtraversionLen);
    case xen::kXenverCompileInfo: {
      // struct xen_compile_info { char compiler[64], compile_by[16], compile_domain[32], compile_date[32]; }
      char info[xen::kCompileInfoLen] = {};
      std::strncpy(info, kXenCompiler, 63);
      std::strncpy(info + 64, kXenCompileBy, 15);
      std::strncpy(info + 80, kXenCompileDomain, 31);
      std::strncpy(info + 112, kXenCompileDate, 31);
      return hv.guest().copy_to(LinearAddr{a.a2}, info, sizeof(info)) ? 0 : -xen::err::kEFAULT;
    }
    case xen::kXenverCapabilities: return put_string(hv, a.a2, kXenCapabilities, xen::kCapabilitiesLen);
    case xen::kXenverChangeset: return put_string(hv, a.a2, kXenChangeset, xen::kChangesetLen);
    case xen::kXenverPlatformParameters: {
      // struct xen_platform_parameters { xen_ulong_t virt_start; }: where the hypervisor's hole begins.
      const u32 virt_start = xen::kHypervisorVirtStart;
      return hv.guest().write(LinearAddr{a.a2}, virt_start) ? 0 : -xen::err::kEFAULT;
    }
    case xen::kXenverGetFeatures: {
      // struct xen_feature_info { unsigned int submap_idx; uint32_t submap; }. Only submap 0 exists
      // (-EINVAL otherwise); see xen_features() for what it holds.
      u32 info[2];
      if (!hv.guest().copy_from(LinearAddr{a.a2}, info, 8)) return -xen::err::kEFAULT;
      if (info[0] != 0) return -xen::err::kEINVAL;
      info[1] = xen_features(hv.domain());
      return hv.guest().copy_to(LinearAddr{a.a2}, info, 8) ? 0 : -xen::err::kEFAULT;
    }
    // Xen 3.2 answers the page size only to a NULL argument: anything else is -EINVAL.
    case xen::kXenverPagesize: return a.a2 == 0 ? static_cast<i32>(kPageSize) : -xen::err::kEINVAL;
    case xen::kXenverGuestHandle: {
      // The domain's handle (a UUID the toolstack sets); ring1 builds domains without one: all zero.
      const u8 handle[xen::kDomainHandleLen] = {};
      return hv.guest().copy_to(LinearAddr{a.a2}, handle, sizeof(handle)) ? 0 : -xen::err::kEFAULT;
    }
    default: return -xen::err::kENOSYS;
  }
}

}  // namespace ring1::hv
