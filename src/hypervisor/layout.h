// Where the hypervisor lives: the top 64 MB of every address space, as in the paper (SOSP 2003, section
// 3.3.1) and in non-PAE x86_32 Xen (xen/include/public/arch-x86/xen-x86_32.h, *_NONPAE). Entering and
// leaving the hypervisor therefore changes no CR3 and flushes nothing. The first 4 MB of the range is the
// machine-to-physical table that guests may read; the rest is private to the hypervisor, protected from a
// ring-1 guest kernel by segmentation (every guest segment stops at the end of the readable part).
#pragma once
#include "cpu/types.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {

// The range and its parts (xen-x86_32.h: HYPERVISOR_VIRT_START_NONPAE, MACH2PHYS_VIRT_{START,END}_NONPAE).
inline constexpr u32 kVirtStart = xen::kHypervisorVirtStart;
inline constexpr u32 kM2pStart = xen::kMachToPhysVirtStart;
inline constexpr u32 kM2pEnd = xen::kMachToPhysVirtEnd;
// The highest linear address a guest segment may reach (Xen: GUEST_SEGMENT_MAX_ADDR = RO_MPT_VIRT_END):
// guests read the M2P table through their flat segments, and nothing above it.
inline constexpr u32 kGuestSegmentEnd = kM2pEnd;
inline constexpr u32 kFirstHvL2Slot = kVirtStart >> 22;  // 1008: page-directory slots 1008..1023 are ours
inline constexpr u32 kHvL2Slots = 1024 - kFirstHvL2Slot;

// The private part, one 4 MB page-directory slot (1009) holding everything the CPU needs in ring 0.
inline constexpr u32 kPrivateStart = kM2pEnd;
// The GDT is 16 pages, as Xen's: the first 14 are the guest's (set_gdt), the last two Xen's own entries,
// starting at FIRST_RESERVED_GDT_ENTRY = 14 * 512 (xen/include/public/arch-x86/xen.h).
inline constexpr u32 kGdtPages = 16;
inline constexpr u32 kGdtBase = kPrivateStart;
inline constexpr u32 kGdtLimit = kGdtPages * 4096 - 1;
inline constexpr u32 kFirstReservedGdtEntry = 14 * 512;
inline constexpr u32 kIdtBase = kGdtBase + kGdtPages * 4096;
inline constexpr u32 kTssBase = kIdtBase + 4096;
inline constexpr u32 kStubsBase = kTssBase + 4096;
inline constexpr u32 kStackPages = 2;
inline constexpr u32 kStackBase = kStubsBase + 4096;
inline constexpr u32 kStackTop = kStackBase + kStackPages * 4096;
inline constexpr u32 kPrivatePages = kGdtPages + 3 + kStackPages;

// Selectors of the reserved GDT entries. The guest ones are the ABI's (xen-x86_32.h: FLAT_RING1_CS 0xe019,
// FLAT_RING1_DS 0xe021, FLAT_RING3_CS 0xe02b, FLAT_RING3_DS 0xe033); the ring-0 ones and the TSS are ring1's
// choice, in the reserved entries the ABI leaves to the hypervisor (Xen uses 0xe008/0xe010 for its own).
inline constexpr u16 kHypervisorCs = 0xe008;
inline constexpr u16 kHypervisorDs = 0xe010;
inline constexpr u16 kRing1Cs = xen::kFlatRing1Cs;
inline constexpr u16 kRing1Ds = xen::kFlatRing1Ds;
inline constexpr u16 kRing3Cs = xen::kFlatRing3Cs;
inline constexpr u16 kRing3Ds = xen::kFlatRing3Ds;
inline constexpr u16 kTssSelector = 0xe038;

// The hypercall vector (xen-x86_32.h: "int $0x82"), reachable from ring 1 only.
inline constexpr u8 kHypercallVector = xen::kHypercallVector;
// The interrupt that stops a running guest so that a pending event can be delivered on the way back (Xen's
// EVENT_CHECK_VECTOR, 0xfc, the IPI it sends a CPU to make it look at its vCPU's events): raised by the
// hypervisor's own interrupt controller when a timer or a back end raises an event while the guest runs
// unmasked. Its gate has DPL 0, so a guest's `int 0xfc` is a #GP.
inline constexpr u8 kEventCheckVector = 0xFC;

}  // namespace ring1::hv
