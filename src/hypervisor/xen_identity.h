// Who the hypervisor says it is, in one place: the version, capability and build strings that xen_version
// returns and the version the CPUID hypervisor leaves report, so the two can never disagree. ring1 offers
// the xen-3.0 interface of a non-PAE x86_32 Xen (the last of which was Xen 3.2), and says it is ring1 in the
// strings a person reads (extraversion, compile info), never in what a guest parses.
#pragma once
#include "common/types.h"
#include "hypervisor/domain.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {

inline constexpr u32 kXenMajor = 3, kXenMinor = 0;
inline constexpr u32 kXenVersionNumber = (kXenMajor << 16) | kXenMinor;  // XENVER_version
inline constexpr char kXenExtraVersion[] = "-ring1";
// XENVER_capabilities: the one guest type this hypervisor runs (Xen's arch_get_xen_caps, non-PAE x86_32).
inline constexpr char kXenCapabilities[] = "xen-3.0-x86_32";
// XENVER_changeset: Xen reports the source revision it was built from; ring1 reports its own name.
inline constexpr char kXenChangeset[] = "ring1";
inline constexpr char kXenCompiler[] = "ring1 (C++20)";
inline constexpr char kXenCompileBy[] = "ring1";
inline constexpr char kXenCompileDomain[] = "ring1";
// A fixed date, not the build's: every ring1 build must answer a guest the same way (deterministic runs).
inline constexpr char kXenCompileDate[] = "ring1";

// XENVER_get_features submap 0 as Xen 3.2 computes it for a PV domain (xen/common/kernel.c): no writable or
// auto-translated page tables (ring1 validates every update, as Xen does for PV), no supervisor-mode kernel,
// and XENFEAT_pae_pgdir_above_4gb exactly when the guest has enabled VMASST_TYPE_pae_extended_cr3.
inline u32 xen_features(const Domain& d) {
  u32 f = 0;
  if (d.vm_assist & (1u << xen::kVmasstTypePaeExtendedCr3)) f |= 1u << xen::kXenfeatPaePgdirAbove4gb;
  return f;
}

}  // namespace ring1::hv
