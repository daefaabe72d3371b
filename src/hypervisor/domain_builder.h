// The domain builder: what Xen's tools do to start a PV kernel (tools/libxc/xc_dom_x86.c, the non-PAE
// x86_32 path of Xen 3.0-3.2; XEN-REFERENCE.md 2.5-2.7). It gives the domain its memory, loads the kernel at
// its virtual addresses, lays out the bootstrap region after it (the phys-to-machine list, start_info, the
// console ring, the initial page tables, a stack), maps that region with the page tables mapped read-only,
// pins the page directory through the frame table (so every entry is validated as any later update will
// be), fills the hypercall page, and starts the kernel in ring 1 with ESI = start_info.
#pragma once
#include <optional>
#include <span>
#include <string>

#include "loaders/elf32.h"
#include "hypervisor/hypervisor.h"
#include "loaders/xen_elf_notes.h"

namespace ring1::hv {

struct PvBootConfig {
  std::string cmdline;
  u32 nr_pages = 0;  // the domain's memory in pages; 0: all the RAM the hypervisor leaves
  // Where its frames come from (several domains): machine frames [first_mfn, end_mfn) and its shared-info
  // frame. 0: from kFirstDomainFrame up to the frame below the hypervisor's, which is the shared-info frame.
  u32 first_mfn = 0, end_mfn = 0, shared_mfn = 0;
  std::string name;  // the domain's name in the store (/local/domain/<id>/name); empty: "domain-<id>"
  // Leave the CPU at the kernel's entry (Hypervisor::enter_guest). False while other domains run: the new
  // vCPU's start state is only returned (PvBoot: cr3, entry, stack_top, start_info) for the scheduler.
  bool enter = true;
};

// What the builder made, for the report and for tests.
struct PvBoot {
  XenGuestInfo guest;
  u32 entry = 0;
  u32 nr_pages = 0;
  u32 first_mfn = 0;        // pfn p is machine frame first_mfn + p
  u32 start_info = 0;       // virtual addresses in the guest
  u32 mfn_list = 0;
  u32 pt_base = 0;
  u32 nr_pt_frames = 0;
  u32 stack_top = 0;
  u32 bootstrap_end = 0;    // the end of the mapped bootstrap region (virtual)
  u32 shared_info = 0;      // machine address
  u32 console_mfn = 0;
  u32 store_mfn = 0;        // the xenstore page (start_info.store_mfn)
  u32 cr3 = 0;              // the initial page directory's machine address
};

// The first machine frame the builder gives a domain: the first megabyte stays unused, as a PC's would.
inline constexpr u32 kFirstDomainFrame = 0x100;
// The start_info magic of a non-PAE x86_32 guest (xen.h: "xen-<version>-<platform>").
inline constexpr char kStartInfoMagic[] = "xen-3.0-x86_32";

// Fills a 4 KiB page with the hypercall stubs (xen-x86_32.h): 32 bytes per hypercall, `mov $nr, %eax;
// int $0x82; ret`, the iret entry pushing EAX first and not returning. The builder puts it where
// HYPERCALL_PAGE says; the hypercall-page MSR (privileged_op.h) wherever the guest asks.
void fill_hypercall_page(u8* page);

// Builds the domain from `image` (its ELF32 form `elf` and Xen notes `guest`) and leaves the CPU at its entry
// in ring 1. On bad input (a PAE kernel, another interface version, segments outside the guest's part of the
// address space, not enough memory) returns nullopt with `error` saying what is wrong, in one line.
std::optional<PvBoot> build_pv_domain(Hypervisor& hv, std::span<const u8> image, const Elf32Image& elf,
                                      const XenGuestInfo& guest, const PvBootConfig& cfg, std::string& error);

}  // namespace ring1::hv
