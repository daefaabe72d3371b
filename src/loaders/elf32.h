// ELF32 parsing for the multiboot loader: the file header and the program headers of an i386 executable,
// checked against the file's size before anything is read (System V ABI, "ELF" chapter, and its Intel386
// supplement). Only what a loader needs: PT_LOAD segments with their physical addresses and the entry point.
// Errors are one line naming the problem, so `ring1 run` can print them after the file name.
#pragma once
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/types.h"

namespace ring1 {

struct Elf32Segment {
  u32 offset = 0;  // p_offset: where the bytes are in the file
  u32 vaddr = 0;   // p_vaddr
  u32 paddr = 0;   // p_paddr: where a loader without paging puts them
  u32 filesz = 0;  // bytes copied from the file
  u32 memsz = 0;   // bytes in memory; the rest after filesz is zero
};

// One ELF note (System V ABI, "Note Section"): its owner's name, its type and its descriptor bytes.
struct Elf32Note {
  std::string name;  // without the terminating NUL
  u32 type = 0;
  std::vector<u8> desc;     // the descriptor as far as the file holds it
  u32 declared_descsz = 0;  // descsz as the header says (more than desc.size() for a truncated last note)
};

// One section header, for finding a section by name (the legacy Xen `__xen_guest` string lives in one).
struct Elf32Section {
  std::string name;
  u32 type = 0;    // sh_type
  u32 offset = 0;  // sh_offset
  u32 size = 0;    // sh_size
};

struct Elf32Image {
  u32 entry = 0;
  std::vector<Elf32Segment> loads;  // PT_LOAD segments in file order
  // Notes from PT_NOTE segments (those with a non-zero p_offset: some binutils leave a bogus zero there,
  // and Xen's loader skips such a segment too), and from SHT_NOTE sections (some linkers emit the sections
  // without a segment; Xen's loader falls back to them when the segments hold no Xen note).
  std::vector<Elf32Note> notes;
  std::vector<Elf32Note> section_notes;
  // The sections, when the section table and its name table can be read (empty otherwise: the section
  // table is optional in an executable).
  std::vector<Elf32Section> sections;
  const Elf32Section* section(std::string_view name) const {
    for (const Elf32Section& s : sections)
      if (s.name == name) return &s;
    return nullptr;
  }
};

// True if `bytes` begins with the ELF magic (\x7fELF), whatever the rest.
bool is_elf(std::span<const u8> bytes);

// Parses an i386 ELF32 little-endian executable, its loadable segments and its notes. On failure returns nullopt and sets `error` to what is
// wrong ("a 64-bit ELF (ELFCLASS64), not i386", "program header table runs past the end of the file", ...).
// Segment placement (RAM size, overlaps) is the loader's business, not this parser's.
std::optional<Elf32Image> parse_elf32(std::span<const u8> bytes, std::string& error);

}  // namespace ring1
