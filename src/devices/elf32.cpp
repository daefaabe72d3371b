#include "devices/elf32.h"

#include <cstring>

#include <fmt/format.h>

namespace ring1 {

namespace {
// Field offsets of Elf32_Ehdr and Elf32_Phdr (System V ABI, figures 4-3 and 5-1).
constexpr u32 kEhdrSize = 52, kPhdrSize = 32;
constexpr u8 kClass32 = 1, kClass64 = 2, kData2Lsb = 1;
constexpr u16 kEtExec = 2, kEmI386 = 3;
constexpr u32 kPtLoad = 1;

u16 le16(std::span<const u8> b, u32 at) { return u16(b[at] | (b[at + 1] << 8)); }
u32 le32(std::span<const u8> b, u32 at) {
  return u32(b[at]) | (u32(b[at + 1]) << 8) | (u32(b[at + 2]) << 16) | (u32(b[at + 3]) << 24);
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
  return img;
}

}  // namespace ring1
