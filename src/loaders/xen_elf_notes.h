// What a Xen PV kernel says about itself: where to enter, where it is linked, where its hypercall page goes,
// which interface it speaks and whether it needs PAE. Since Xen 3.0.x a kernel says it in ELF notes
// (xen/include/public/elfnote.h); older kernels, and some of the Xen 3.0-3.2 era (Mini-OS among them), say
// it in the legacy `__xen_guest` section, one string of NAME=VALUE pairs. The domain builder reads this
// before it allocates anything, and reads it as Xen 3.2's libelf does (xen/common/libelf/libelf-dominfo.c):
// Xen notes from PT_NOTE segments, else from SHT_NOTE sections, else the `__xen_guest` string. A kernel with
// none of the three is not a PV kernel.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/types.h"
#include "loaders/elf32.h"

namespace ring1::hv {

struct XenGuestInfo {
  enum class Source : u8 { SegmentNotes, SectionNotes, XenGuestString };
  Source source = Source::SegmentNotes;
  std::string guest_os;     // XEN_ELFNOTE_GUEST_OS / GUEST_OS ("linux", "Mini-OS", ...)
  std::string xen_version;  // XEN_ELFNOTE_XEN_VERSION / XEN_VER: the interface, "xen-3.0"
  std::string loader;       // XEN_ELFNOTE_LOADER / LOADER: "generic"
  std::string features;     // XEN_ELFNOTE_FEATURES / FEATURES, '|'-separated
  std::string pae_mode;     // XEN_ELFNOTE_PAE_MODE / PAE, as written
  bool pae = false;         // the kernel needs PAE paging (see pae_mode_needs_pae)
  u32 virt_base = 0;        // XEN_ELFNOTE_VIRT_BASE / VIRT_BASE (0 when unset)
  u32 paddr_offset = 0;     // XEN_ELFNOTE_PADDR_OFFSET / ELF_PADDR_OFFSET (see the defaults below)
  std::optional<u32> entry;           // XEN_ELFNOTE_ENTRY / VIRT_ENTRY (else the ELF entry)
  std::optional<u32> hypercall_page;  // a virtual address (the legacy string's page number converted)
  std::optional<u32> hv_start_low;    // XEN_ELFNOTE_HV_START_LOW

  bool needs_pae() const { return pae; }
};

// Reads `elf`'s Xen notes or, failing those, its `__xen_guest` string (its bytes are in `image`).
// nullopt with `error` empty: none of them (not a PV kernel). nullopt with `error` set: they are there but
// say something Xen refuses (a numeric note beyond 32 bits, ELF_PADDR_OFFSET without VIRT_BASE, an unknown
// FEATURES name), in one line.
std::optional<XenGuestInfo> read_xen_guest_info(const Elf32Image& elf, std::span<const u8> image, std::string& error);

// The Xen notes among `notes` (the name "Xen"); nullopt if there is none.
std::optional<XenGuestInfo> read_xen_notes(const std::vector<Elf32Note>& notes, std::string& error);

// The legacy string, e.g. "GUEST_OS=Mini-OS,XEN_VER=xen-3.0,VIRT_BASE=0x0,HYPERCALL_PAGE=0x2,LOADER=generic":
// comma-separated NAME=VALUE pairs read up to the first NUL, names of at most 31 characters and values of
// at most 127 (longer ones are cut where Xen cuts them), numbers in C notation (0x.., 0.., decimal) as
// strtoull reads them. HYPERCALL_PAGE is a page number counted from VIRT_BASE; ELF_PADDR_OFFSET defaults to
// VIRT_BASE (kernels of that era put virtual addresses in p_paddr).
std::optional<XenGuestInfo> parse_xen_guest_string(std::string_view s, std::string& error);

// The error to print for a kernel that has neither notes nor the string (for --pv on such a file).
inline constexpr char kNotAPvKernel[] = "has no Xen ELF notes and no __xen_guest section, so it is not a PV kernel";

}  // namespace ring1::hv
