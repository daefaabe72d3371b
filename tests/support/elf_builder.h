// Test support: writes small ELF32 files from C++, so loader tests (and the CLI's bad-input cases) can say
// exactly which field is wrong instead of patching bytes of a linked file.
#pragma once
#include <cstring>
#include <vector>

#include "common/types.h"

namespace ring1::test {

struct ElfSegment {
  u32 paddr = 0;
  std::vector<u8> bytes;  // the file contents (p_filesz = bytes.size() unless overridden)
  u32 memsz = 0;          // 0: bytes.size()
  u32 type = 1;           // PT_LOAD
  // Overrides for malformed files: p_filesz, p_offset.
  u32 filesz_override = 0;
  u32 offset_override = 0;
};

struct ElfSpec {
  u32 entry = 0x100000;
  std::vector<ElfSegment> segments;
  u8 elf_class = 1;       // ELFCLASS32
  u16 machine = 3;        // EM_386
  bool multiboot = true;  // a multiboot header right after the program headers
  u32 multiboot_flags = 0x3;
  bool bad_checksum = false;
};

inline void put_le(std::vector<u8>& b, size_t at, u64 v, int n) {
  if (b.size() < at + n) b.resize(at + n, 0);
  for (int k = 0; k < n; ++k) b[at + k] = u8(v >> (8 * k));
}

inline std::vector<u8> build_elf(const ElfSpec& s) {
  // The file header (52 bytes) and the program headers, filled below.
  std::vector<u8> b(52 + 32 * s.segments.size(), 0);
  std::memcpy(b.data(), "\x7f" "ELF", 4);
  b[4] = s.elf_class;
  b[5] = 1;  // little-endian
  b[6] = 1;  // EV_CURRENT
  put_le(b, 16, 2, 2);  // ET_EXEC
  put_le(b, 18, s.machine, 2);
  put_le(b, 20, 1, 4);
  put_le(b, 24, s.entry, 4);
  put_le(b, 28, 52, 4);  // e_phoff
  put_le(b, 40, 52, 2);  // e_ehsize
  put_le(b, 42, 32, 2);  // e_phentsize
  put_le(b, 44, s.segments.size(), 2);
  size_t at = b.size();
  if (s.multiboot) {
    at = (at + 3) & ~size_t(3);
    const u32 magic = 0x1BADB002;
    put_le(b, at, magic, 4);
    put_le(b, at + 4, s.multiboot_flags, 4);
    put_le(b, at + 8, u32(-(magic + s.multiboot_flags)) + (s.bad_checksum ? 1 : 0), 4);
    at += 12;
  }
  for (size_t k = 0; k < s.segments.size(); ++k) {
    const ElfSegment& g = s.segments[k];
    at = (at + 15) & ~size_t(15);
    const size_t ph = 52 + 32 * k;
    put_le(b, ph, g.type, 4);
    put_le(b, ph + 4, g.offset_override ? g.offset_override : at, 4);
    put_le(b, ph + 8, g.paddr, 4);
    put_le(b, ph + 12, g.paddr, 4);
    put_le(b, ph + 16, g.filesz_override ? g.filesz_override : g.bytes.size(), 4);
    put_le(b, ph + 20, g.memsz ? g.memsz : g.bytes.size(), 4);
    put_le(b, ph + 24, 7, 4);  // RWX
    put_le(b, ph + 28, 16, 4);
    b.resize(at, 0);
    b.insert(b.end(), g.bytes.begin(), g.bytes.end());
    at = b.size();
  }
  return b;
}

}  // namespace ring1::test
