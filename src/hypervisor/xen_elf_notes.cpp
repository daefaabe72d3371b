// Reading the Xen ELF notes (see the header).
#include "hypervisor/xen_elf_notes.h"

#include <fmt/format.h>

namespace ring1::hv {
namespace {

// Note types (elfnote.h).
enum : u32 {
  kEntry = 1,
  kHypercallPage = 2,
  kVirtBase = 3,
  kPaddrOffset = 4,
  kXenVersion = 5,
  kGuestOs = 6,
  kLoader = 8,
  kPaeMode = 9,
  kFeatures = 10,
  kHvStartLow = 12,
};

std::string as_string(const std::vector<u8>& d) {
  std::string s(d.begin(), d.end());
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

// Numeric notes are the kernel's word size: 4 bytes, or 8 from a 64-bit-aware build.
bool as_number(const Elf32Note& n, u32& out, std::string& error) {
  u64 v = 0;
  if (n.desc.size() != 4 && n.desc.size() != 8) {
    error = fmt::format("Xen ELF note {} has {} bytes; a number is 4 or 8", n.type, n.desc.size());
    return false;
  }
  for (std::size_t i = 0; i < n.desc.size(); ++i) v |= u64(n.desc[i]) << (8 * i);
  if (v > 0xFFFFFFFFu) {
    error = fmt::format("Xen ELF note {} holds {:#x}, beyond a 32-bit address space", n.type, v);
    return false;
  }
  out = static_cast<u32>(v);
  return true;
}

}  // namespace

std::optional<XenGuestInfo> read_xen_notes(const std::vector<Elf32Note>& notes, std::string& error) {
  XenGuestInfo info;
  bool any = false, have_paddr_offset = false;
  for (const Elf32Note& n : notes) {
    if (n.name != "Xen") continue;
    any = true;
    u32 v = 0;
    switch (n.type) {
      case kGuestOs: info.guest_os = as_string(n.desc); break;
      case kXenVersion: info.xen_version = as_string(n.desc); break;
      case kLoader: info.loader = as_string(n.desc); break;
      case kFeatures: info.features = as_string(n.desc); break;
      case kPaeMode: info.pae_mode = as_string(n.desc); break;
      case kEntry:
      case kHypercallPage:
      case kVirtBase:
      case kPaddrOffset:
      case kHvStartLow:
        if (!as_number(n, v, error)) return std::nullopt;
        if (n.type == kEntry) info.entry = v;
        if (n.type == kHypercallPage) info.hypercall_page = v;
        if (n.type == kVirtBase) info.virt_base = v;
        if (n.type == kPaddrOffset) {
          info.paddr_offset = v;
          have_paddr_offset = true;
        }
        if (n.type == kHvStartLow) info.hv_start_low = v;
        break;
      default: break;  // notes ring1 has no use for (GUEST_VERSION, BSD_SYMTAB, ...)
    }
  }
  if (!any) return std::nullopt;
  // libelf: without PADDR_OFFSET, physical addresses in the program headers are virtual ones.
  if (!have_paddr_offset) info.paddr_offset = info.virt_base;
  return info;
}

}  // namespace ring1::hv
