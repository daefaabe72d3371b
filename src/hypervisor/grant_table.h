// A domain's grant table, the part of it that exists before any cross-domain mapping: the shared frames
// the guest writes its grant entries into (xen/include/public/grant_table.h, version 1 entries). Xen 3.2
// gives every domain INITIAL_NR_GRANT_FRAMES (4) at creation and grows the table on GNTTABOP_setup_table up
// to max_nr_grant_frames (32); the frames are hypervisor pages shared writable with the guest
// (share_xen_page_with_guest): owned by the domain, mappable read-write under the frame table's rules, and
// part of none of its pseudo-physical frames (their M2P entry is invalid). Mapping and copying what the
// entries grant is grant_access.h's.
#pragma once
#include "common/types.h"

namespace ring1::hv {

class Hypervisor;

inline constexpr u32 kInitialGrantFrames = 4;  // Xen 3.2 asm-x86/grant_table.h
inline constexpr u32 kMaxGrantFrames = 32;     // DEFAULT_MAX_NR_GRANT_FRAMES

// The domain's current number of grant frames (its first use creates the initial ones).
u32 grant_frames(Hypervisor& hv);
// Grows the table to `n` frames (n <= kMaxGrantFrames); false if no machine frame is free for it.
bool grow_grant_table(Hypervisor& hv, u32 n);

}  // namespace ring1::hv
