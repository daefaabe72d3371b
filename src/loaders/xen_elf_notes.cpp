// Reading the Xen notes and the legacy __xen_guest string (see the header).
#include "loaders/xen_elf_notes.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>

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

// A string note is read from its descriptor as a C string (Xen hands the descriptor's address to strcpy).
std::string as_string(const std::vector<u8>& d) {
  std::string s;
  for (u8 c : d) {
    if (c == 0) break;
    s.push_back(char(c));
  }
  return s;
}

// Numeric notes (elf_note_numeric): 1, 2, 4 or 8 bytes, little-endian; any other size reads as 0. Bytes a
// truncated last note lacks count as zero.
bool as_number(const Elf32Note& n, u32& out, u32 declared_size, std::string& error) {
  u64 v = 0;
  if (declared_size == 1 || declared_size == 2 || declared_size == 4 || declared_size == 8)
    for (std::size_t i = 0; i < n.desc.size() && i < declared_size; ++i) v |= u64(n.desc[i]) << (8 * i);
  if (v > 0xFFFFFFFFu) {
    error = fmt::format("Xen ELF note {} holds {:#x}, beyond a 32-bit address space", n.type, v);
    return false;
  }
  out = static_cast<u32>(v);
  return true;
}

// XEN_ELFNOTE_FEATURES / FEATURES: names separated by '|', '!' marking one the kernel requires. Xen 3.2's
// libelf knows five names and refuses an image with any other (elf_xen_parse_features).
bool check_features(const std::string& features, std::string& error) {
  static constexpr std::string_view kKnown[] = {"writable_page_tables", "writable_descriptor_tables",
                                                "auto_translated_physmap", "supervisor_mode_kernel",
                                                "pae_pgdir_above_4gb"};
  std::string_view rest = features;
  while (!rest.empty()) {
    const std::size_t bar = rest.find('|');
    std::string_view f = rest.substr(0, bar);
    rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
    if (!f.empty() && f[0] == '!') f.remove_prefix(1);
    bool known = false;
    for (std::string_view k : kKnown) known |= f == k;
    if (!known) {
      error = fmt::format("unknown Xen feature \"{}\" in FEATURES \"{}\"", f, features);
      return false;
    }
  }
  return true;
}

// strtoull(value, NULL, 0): a C number prefix; what follows it is ignored, and no number at all is 0.
u64 c_number(const std::string& v) {
  errno = 0;
  const unsigned long long n = std::strtoull(v.c_str(), nullptr, 0);
  return errno == ERANGE ? ~u64(0) : n;
}

}  // namespace

std::optional<XenGuestInfo> read_xen_notes(const std::vector<Elf32Note>& notes, std::string& error) {
  XenGuestInfo info;
  bool any = false;
  for (const Elf32Note& n : notes) {
    if (n.name != "Xen") continue;
    any = true;
    u32 v = 0;
    switch (n.type) {
      case kGuestOs: info.guest_os = as_string(n.desc); break;
      case kXenVersion: info.xen_version = as_string(n.desc); break;
      case kLoader: info.loader = as_string(n.desc); break;
      case kFeatures:
        info.features = as_string(n.desc);
        if (!check_features(info.features, error)) return std::nullopt;
        break;
      case kPaeMode:
        // Xen 3.2 and later alike: exactly "yes" is a PAE kernel, anything containing "bimodal" runs either
        // way (ring1 runs it non-PAE), and any other value is taken as non-PAE.
        info.pae_mode = as_string(n.desc);
        info.pae = info.pae_mode == "yes" && info.pae_mode.find("bimodal") == std::string::npos;
        break;
      case kEntry:
      case kHypercallPage:
      case kVirtBase:
      case kPaddrOffset:
      case kHvStartLow:
        if (!as_number(n, v, n.declared_descsz, error)) return std::nullopt;
        if (n.type == kEntry) info.entry = v;
        if (n.type == kHypercallPage) info.hypercall_page = v;
        if (n.type == kVirtBase) info.virt_base = v;
        if (n.type == kPaddrOffset) info.paddr_offset = v;
        if (n.type == kHvStartLow) info.hv_start_low = v;
        break;
      default: break;  // notes ring1 has no use for (GUEST_VERSION, BSD_SYMTAB, ...)
    }
  }
  if (!any) return std::nullopt;
  // libelf (elf_xen_addr_calc_check): with notes, an unset PADDR_OFFSET is 0, i.e. p_paddr + VIRT_BASE is
  // where a segment goes.
  return info;
}

std::optional<XenGuestInfo> parse_xen_guest_string(std::string_view s, std::string& error) {
  XenGuestInfo info;
  info.source = XenGuestInfo::Source::XenGuestString;
  bool have_virt_base = false, have_paddr_offset = false;
  std::optional<u64> hypercall_page_number;
  const std::size_t nul = s.find('\0');
  if (nul != std::string_view::npos) s = s.substr(0, nul);
  std::size_t h = 0;
  // elf_xen_parse_guest_info: a name runs to '=', ',' or 31 characters; a value to ',' or 127 characters.
  // Where a name or value is cut at its limit, the rest is read as the next pair, as Xen reads it.
  while (h < s.size()) {
    std::string name, value;
    for (;;) {
      if (name.size() >= 31 || h >= s.size()) break;
      if (s[h] == ',') {
        ++h;
        break;
      }
      if (s[h] == '=') {
        ++h;
        for (;;) {
          if (value.size() >= 127 || h >= s.size()) break;
          if (s[h] == ',') {
            ++h;
            break;
          }
          value.push_back(s[h++]);
        }
        break;
      }
      name.push_back(s[h++]);
    }
    if (name == "LOADER") info.loader = value;
    if (name == "GUEST_OS") info.guest_os = value;
    if (name == "XEN_VER") info.xen_version = value;
    if (name == "PAE") {
      info.pae_mode = value;
      info.pae = value.rfind("yes", 0) == 0;  // "yes" and "yes[extended-cr3]"
    }
    if (name == "FEATURES") {
      info.features = value;
      if (!check_features(value, error)) return std::nullopt;
    }
    auto number = [&](u32& out, const char* what) {
      const u64 v = c_number(value);
      if (v > 0xFFFFFFFFu) {
        error = fmt::format("__xen_guest {}={} is beyond a 32-bit address space", what, value);
        return false;
      }
      out = static_cast<u32>(v);
      return true;
    };
    u32 v = 0;
    if (name == "VIRT_BASE") {
      if (!number(info.virt_base, "VIRT_BASE")) return std::nullopt;
      have_virt_base = true;
    }
    if (name == "VIRT_ENTRY") {
      if (!number(v, "VIRT_ENTRY")) return std::nullopt;
      info.entry = v;
    }
    if (name == "ELF_PADDR_OFFSET") {
      if (!number(info.paddr_offset, "ELF_PADDR_OFFSET")) return std::nullopt;
      have_paddr_offset = true;
    }
    if (name == "HYPERCALL_PAGE") hypercall_page_number = c_number(value);
  }
  if (have_paddr_offset && !have_virt_base) {
    error = "__xen_guest sets ELF_PADDR_OFFSET but not VIRT_BASE";
    return std::nullopt;
  }
  // The legacy default: segments' p_paddr are virtual addresses (ELF_PADDR_OFFSET = VIRT_BASE).
  if (!have_paddr_offset) info.paddr_offset = info.virt_base;
  if (hypercall_page_number) {
    // A page number from VIRT_BASE (Xen: (strtoull(value) << 12) + virt_base, after VIRT_BASE is known).
    const u64 va = (*hypercall_page_number << 12) + info.virt_base;
    if (*hypercall_page_number > 0xFFFFF || va > 0xFFFFFFFFu) {
      error = fmt::format("__xen_guest HYPERCALL_PAGE {:#x} lies beyond a 32-bit address space", *hypercall_page_number);
      return std::nullopt;
    }
    info.hypercall_page = static_cast<u32>(va);
  }
  return info;
}

std::optional<XenGuestInfo> read_xen_guest_info(const Elf32Image& elf, std::span<const u8> image, std::string& error) {
  error.clear();
  if (auto info = read_xen_notes(elf.notes, error)) return info;
  if (!error.empty()) return std::nullopt;
  if (auto info = read_xen_notes(elf.section_notes, error)) {
    info->source = XenGuestInfo::Source::SectionNotes;
    return info;
  }
  if (!error.empty()) return std::nullopt;
  if (const Elf32Section* sec = elf.section("__xen_guest")) {
    const u64 end = std::min<u64>(u64(sec->offset) + sec->size, image.size());
    if (sec->offset >= end) {
      error = "the __xen_guest section lies outside the file";
      return std::nullopt;
    }
    const std::string_view s(reinterpret_cast<const char*>(image.data() + sec->offset), end - sec->offset);
    return parse_xen_guest_string(s, error);
  }
  return std::nullopt;
}

}  // namespace ring1::hv
