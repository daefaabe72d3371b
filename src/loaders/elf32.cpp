#include "loaders/elf32.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace ring1 {

namespace {
// Field offsets of Elf32_Ehdr and Elf32_Phdr (System V ABI, figures 4-3 and 5-1).
constexpr u32 kEhdrSize = 52, kPhdrSize = 32;
constexpr u8 kClass32 = 1, kClass64 = 2, kData2Lsb = 1;
constexpr u16 kEtExec = 2, kEmI386 = 3;
constexpr u32 kPtLoad = 1, kPtNote = 4;
constexpr u32 kShdrSize = 40, kShtNote = 7;

u16 le16(std::span<const u8> b, u32 at) { return u16(b[at] | (b[at + 1] << 8)); }
u32 le32(std::span<const u8> b, u32 at) {
  return u32(b[at]) | (u32(b[at + 1]) << 8) | (u32(b[at + 2]) << 16) | (u32(b[at + 3]) << 24);
}
// Notes in [at, at + size) of the file: each a header of namesz, descsz and type, then the name and the
// descriptor, each padded to 4 bytes. Read as tolerantly as Xen's libelf reads them (elf_note_next and
// friends, which trust the sizes): a note is read while its header starts inside the area, and a name or
// descriptor that runs past the area is read on into the file, cut only at the file's end. So a last note
// whose descriptor is shorter than its header says (Debian's grub-i386-xen.bin ends that way) is still
// read, as far as the file goes.
void parse_notes(std::span<const u8> b, u32 at, u32 size, std::vector<Elf32Note>& out) {
  const u64 end = std::min<u64>(u64(at) + size, b.size());
  u64 p = at;
  while (p < end && p + 12 <= b.size()) {
    const u32 namesz = le32(b, u32(p)), descsz = le32(b, u32(p + 4)), type = le32(b, u32(p + 8));
    const u64 name_at = p + 12, desc_at = name_at + ((u64(namesz) + 3) & ~u64(3));
    const u64 next = desc_at + ((u64(descsz) + 3) & ~u64(3));
    auto clamp = [&](u64 v) { return std::min<u64>(v, b.size()); };
    Elf32Note n;
    n.type = type;
    n.declared_descsz = descsz;
    n.name.assign(reinterpret_cast<const char*>(b.data() + clamp(name_at)), clamp(name_at + namesz) - clamp(name_at));
    while (!n.name.empty() && n.name.back() == '\0') n.name.pop_back();
    n.desc.assign(b.begin() + clamp(desc_at), b.begin() + clamp(desc_at + descsz));
    out.push_back(std::move(n));
    p = next;
  }
}

}  // namespace

bool is_elf(std::span<const u8> bytes) {
  return bytes.size() >= 4 && std::memcmp(bytes.data(), "\x7f" "ELF", 4) == 0;
}

std::optional<Elf32Image> parse_elf32(std::span<const u8> b, std::string& error) {
  auto fail = [&](std::string msg) -> std::optional<Elf32Image> {
    error = std::move(msg);
    return std::nullopt;
  };
  if (!is_elf(b)) return fail("not an ELF file");
  if (b.size() < 5) return fail(fmt::format("truncated ELF header ({} bytes, need {})", b.size(), kEhdrSize));
  if (b[4] == kClass64) return fail("a 64-bit ELF (ELFCLASS64); ring1 loads 32-bit i386 kernels");
  if (b[4] != kClass32) return fail(fmt::format("unknown ELF class {}", b[4]));
  if (b.size() < kEhdrSize) return fail(fmt::format("truncated ELF header ({} bytes, need {})", b.size(), kEhdrSize));
  if (b[5] != kData2Lsb) return fail("a big-endian ELF; i386 is little-endian");
  const u16 machine = le16(b, 18);
  if (machine != kEmI386) return fail(fmt::format("ELF machine {} is not i386 (EM_386 = 3)", machine));
  const u16 type = le16(b, 16);
  if (type != kEtExec) return fail(fmt::format("ELF type {} is not an executable (ET_EXEC)", type));

  Elf32Image img;
  img.entry = le32(b, 24);
  const u32 phoff = le32(b, 28);
  const u16 phentsize = le16(b, 42);
  const u16 phnum = le16(b, 44);
  if (phnum == 0) return fail("no program headers");
  if (phentsize != kPhdrSize) return fail(fmt::format("program header size {} (expected {})", phentsize, kPhdrSize));
  if (u64(phoff) + u64(phnum) * kPhdrSize > b.size())
    return fail(fmt::format("program header table ({} entries at offset {:#x}) runs past the end of the file "
                            "({} bytes)", phnum, phoff, b.size()));
  for (u32 k = 0; k < phnum; ++k) {
    const u32 at = phoff + k * kPhdrSize;
    if (le32(b, at) == kPtNote) {
      if (le32(b, at + 4) != 0) parse_notes(b, le32(b, at + 4), le32(b, at + 16), img.notes);
      continue;
    }
    if (le32(b, at) != kPtLoad) continue;
    Elf32Segment s{le32(b, at + 4), le32(b, at + 8), le32(b, at + 12), le32(b, at + 16), le32(b, at + 20)};
    if (s.filesz > s.memsz)
      return fail(fmt::format("segment {} has p_filesz {:#x} larger than p_memsz {:#x}", k, s.filesz, s.memsz));
    if (u64(s.offset) + s.filesz > b.size())
      return fail(fmt::format("segment {} (offset {:#x}, {:#x} bytes) runs past the end of the file ({} bytes)", k,
                              s.offset, s.filesz, b.size()));
    img.loads.push_back(s);
  }
  if (img.loads.empty()) return fail("no loadable (PT_LOAD) segments");
  // The sections: SHT_NOTE ones for their notes, and every name (from the e_shstrndx string table) for
  // callers that look a section up by name. A section table that does not fit is ignored, as a loader that
  // needs only segments would (it is optional in an executable).
  const u32 shoff = le32(b, 32);
  const u16 shentsize = le16(b, 46), shnum = le16(b, 48), shstrndx = le16(b, 50);
  if (shoff != 0 && shentsize == kShdrSize && u64(shoff) + u64(shnum) * kShdrSize <= b.size()) {
    u32 strtab = 0, strsize = 0;
    if (shstrndx < shnum) {
      strtab = le32(b, shoff + shstrndx * kShdrSize + 16);
      strsize = le32(b, shoff + shstrndx * kShdrSize + 20);
      if (u64(strtab) + strsize > b.size()) strtab = strsize = 0;
    }
    for (u32 k = 0; k < shnum; ++k) {
      const u32 at = shoff + k * kShdrSize;
      Elf32Section sec;
      sec.type = le32(b, at + 4);
      sec.offset = le32(b, at + 16);
      sec.size = le32(b, at + 20);
      const u32 name = le32(b, at);
      for (u32 i = name; strsize && i < strsize && b[strtab + i] != 0; ++i) sec.name.push_back(char(b[strtab + i]));
      if (sec.type == kShtNote) parse_notes(b, sec.offset, sec.size, img.section_notes);
      img.sections.push_back(std::move(sec));
    }
  }
  return img;
}

}  // namespace ring1
