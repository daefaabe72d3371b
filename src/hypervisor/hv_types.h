// Value types the hypervisor's memory code speaks in: machine frame numbers, guest pseudo-physical frame
// numbers, machine byte addresses and domain ids, each its own type so that a frame number passed where a
// byte address belongs (or a guest's pfn where a machine frame belongs) does not compile.
// Also the bits of a non-PAE x86 page-table entry (SDM vol. 3, 4.3), which the frame table's rules read.
#pragma once
#include "common/arch_bits.h"
#include "common/types.h"
#include "mmu/physical_memory.h"

namespace ring1::hv {

// A machine frame: a 4 KiB frame of the emulator's physical memory, as the hypervisor and page tables see it.
struct Mfn {
  u32 value;
  friend constexpr bool operator==(Mfn, Mfn) = default;
  friend constexpr auto operator<=>(Mfn, Mfn) = default;
};

// A guest pseudo-physical frame: what a guest believes is its n-th page (its P2M maps Pfn -> Mfn).
struct Pfn {
  u32 value;
  friend constexpr bool operator==(Pfn, Pfn) = default;
};

// A machine byte address (non-PAE: 32 bits). Page-table entries and mmu_update pointers hold these.
struct MachineAddr {
  u32 value;
  friend constexpr bool operator==(MachineAddr, MachineAddr) = default;
  constexpr Mfn frame() const { return Mfn{value >> kPageShift}; }
  constexpr u32 offset() const { return value & (kPageSize - 1); }
};

constexpr MachineAddr machine_addr(Mfn f, u32 offset = 0) { return MachineAddr{(f.value << kPageShift) | offset}; }

// A Xen domain id (domid_t, 16 bits). The reserved values live in xen_abi.h (DOMID_SELF, DOMID_XEN, ...).
struct DomainId {
  u16 value;
  friend constexpr bool operator==(DomainId, DomainId) = default;
};

// Non-PAE page-table entry bits (common/arch_bits.h), with the frame-number helpers the hypervisor adds.
namespace pte {
using namespace ring1::pte;
constexpr Mfn frame(u32 entry) { return Mfn{entry >> kPageShift}; }
constexpr bool present(u32 entry) { return (entry & Present) != 0; }
}  // namespace pte

using ring1::kEntriesPerTable;

}  // namespace ring1::hv
