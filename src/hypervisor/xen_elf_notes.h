// What a Xen PV kernel says about itself in its ELF notes (xen/include/public/elfnote.h): where to enter,
// where it is linked, where its hypercall page goes, which interface it speaks and whether it needs PAE.
// The domain builder reads these before it allocates anything, as Xen's libelf does (xc_dom_elfloader.c,
// libelf-dominfo.c). A kernel without any "Xen" note is not a PV kernel.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "common/types.h"
#include "devices/elf32.h"

namespace ring1::hv {

struct XenGuestInfo {
  std::string guest_os;     // XEN_ELFNOTE_GUEST_OS ("linux", "Mini-OS", ...)
  std::string xen_version;  // XEN_ELFNOTE_XEN_VERSION: the interface, "xen-3.0"
  std::string loader;       // XEN_ELFNOTE_LOADER: "generic"
  std::string features;     // XEN_ELFNOTE_FEATURES, '|'-separated
  std::string pae_mode;     // XEN_ELFNOTE_PAE_MODE: absent or "no"; "yes", "yes[extended-cr3]", "bimodal"
  u32 virt_base = 0;        // XEN_ELFNOTE_VIRT_BASE
  u32 paddr_offset = 0;     // XEN_ELFNOTE_PADDR_OFFSET (defaults to virt_base)
  std::optional<u32> entry;           // XEN_ELFNOTE_ENTRY (else the ELF entry)
  std::optional<u32> hypercall_page;  // XEN_ELFNOTE_HYPERCALL_PAGE (a virtual address)
  std::optional<u32> hv_start_low;    // XEN_ELFNOTE_HV_START_LOW

  // PAE kernels ("yes..."); "bimodal" kernels run either way and are taken as non-PAE.
  bool needs_pae() const { return pae_mode.rfind("yes", 0) == 0; }
};

// The Xen notes of `notes`. nullopt with `error` empty if there is none (not a PV kernel); nullopt with
// `error` set if a Xen note is malformed (a numeric note that is not 4 or 8 bytes, a value above 4 GiB).
std::optional<XenGuestInfo> read_xen_notes(const std::vector<Elf32Note>& notes, std::string& error);

}  // namespace ring1::hv
