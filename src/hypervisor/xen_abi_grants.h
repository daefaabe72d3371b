// The grant-table ABI beyond setup_table and query_size (xen/include/public/grant_table.h, version 1): the
// shared entry a granting domain writes, its GTF_* flags, the GNTMAP_* flags of a mapping, the structures of
// GNTTABOP_map_grant_ref, unmap_grant_ref and copy, and every GNTST_* status. The static assertions below
// hold the sizes and offsets `gcc -m32` gives for Xen's own structures in <xen/grant_table.h>.
#pragma once
#include <cstddef>

#include "common/types.h"

namespace ring1::xen {

// struct grant_entry_v1: 8 bytes, 512 per 4 KiB grant frame.
struct GrantEntryV1 {
  u16 flags;   // GTF_*: written by the guest (type, readonly) and by Xen (reading, writing)
  u16 domid;   // the domain allowed to use the grant
  u32 frame;   // the frame granted (a PV guest's gmfn is a machine frame)
};
inline constexpr u32 kGrantEntriesPerFrame = 4096 / sizeof(GrantEntryV1);

namespace gtf {
inline constexpr u16 kInvalid = 0;
inline constexpr u16 kPermitAccess = 1;
inline constexpr u16 kAcceptTransfer = 2;
inline constexpr u16 kTypeMask = 3;
inline constexpr u16 kReadonly = 1u << 2;
inline constexpr u16 kReading = 1u << 3;
inline constexpr u16 kWriting = 1u << 4;
}  // namespace gtf

namespace gntmap {
inline constexpr u32 kDeviceMap = 1u << 0;
inline constexpr u32 kHostMap = 1u << 1;
inline constexpr u32 kReadonly = 1u << 2;
inline constexpr u32 kApplicationMap = 1u << 3;
inline constexpr u32 kContainsPte = 1u << 4;
}  // namespace gntmap

namespace gntcopy {
inline constexpr u16 kSourceGref = 1u << 0;
inline constexpr u16 kDestGref = 1u << 1;
}  // namespace gntcopy

// GNTST_* (grant_table.h); kGntstOkay, GeneralError, BadDomain and PermissionDenied are in xen_abi.h.
inline constexpr i16 kGntstBadGntref = -3;
inline constexpr i16 kGntstBadHandle = -4;
inline constexpr i16 kGntstBadVirtAddr = -5;
inline constexpr i16 kGntstBadDevAddr = -6;
inline constexpr i16 kGntstNoDeviceSpace = -7;
inline constexpr i16 kGntstBadPage = -9;
inline constexpr i16 kGntstBadCopyArg = -10;

#pragma pack(push, 4)  // i386: a uint64_t member is 4-byte aligned
struct GnttabMapGrantRef {
  u64 host_addr;
  u32 flags;  // GNTMAP_*
  u32 ref;
  u16 dom;
  i16 status;
  u32 handle;
  u64 dev_bus_addr;
};
struct GnttabUnmapGrantRef {
  u64 host_addr;
  u64 dev_bus_addr;
  u32 handle;
  i16 status;
};
struct GnttabCopyPtr {
  u32 ref_or_gmfn;  // a grant reference (GNTCOPY_*_gref) or the caller's own frame
  u16 domid;
  u16 offset;
};
struct GnttabCopy {
  GnttabCopyPtr source, dest;
  u16 len;
  u16 flags;  // GNTCOPY_*
  i16 status;
};
#pragma pack(pop)

static_assert(sizeof(GrantEntryV1) == 8);
static_assert(sizeof(GnttabMapGrantRef) == 32 && offsetof(GnttabMapGrantRef, dom) == 16 &&
              offsetof(GnttabMapGrantRef, status) == 18 && offsetof(GnttabMapGrantRef, handle) == 20 &&
              offsetof(GnttabMapGrantRef, dev_bus_addr) == 24);
static_assert(sizeof(GnttabUnmapGrantRef) == 24 && offsetof(GnttabUnmapGrantRef, handle) == 16 &&
              offsetof(GnttabUnmapGrantRef, status) == 20);
static_assert(sizeof(GnttabCopy) == 24 && offsetof(GnttabCopy, dest) == 8 && offsetof(GnttabCopy, len) == 16 &&
              offsetof(GnttabCopy, flags) == 18 && offsetof(GnttabCopy, status) == 20);

}  // namespace ring1::xen
