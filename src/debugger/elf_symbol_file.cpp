// Writes the symbol-only ELF file of elf_symbol_file.h with the structures of <elf.h> (the System V ABI's
// ELF32 layout, i386 supplement: EM_386, little-endian).
#include "debugger/elf_symbol_file.h"

#include <elf.h>

#include <cstring>

namespace ring1 {

namespace {

template <typename T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

u32 add_name(std::string& table, std::string_view name) {
  const u32 at = static_cast<u32>(table.size());
  table += name;
  table += '\0';
  return at;
}

}  // namespace

std::string elf_symbol_file(std::span<const hv::HvRegion> regions, std::span<const hv::HvSymbol> symbols) {
  const u32 n_regions = static_cast<u32>(regions.size());
  const u32 symtab_index = 1 + n_regions, strtab_index = symtab_index + 1, shstrtab_index = strtab_index + 1;
  const u32 n_sections = shstrtab_index + 1;

  std::string shstrtab(1, '\0'), strtab(1, '\0');
  std::vector<Elf32_Sym> syms(1);  // entry 0 is the undefined symbol
  for (const hv::HvSymbol& s : symbols) {
    for (u32 i = 0; i < n_regions; ++i) {
      const hv::HvRegion& r = regions[i];
      if (s.addr < r.start || s.addr - r.start >= r.size) continue;
      Elf32_Sym e{};
      e.st_name = add_name(strtab, s.name);
      e.st_value = s.addr;
      e.st_size = s.size;
      e.st_info = ELF32_ST_INFO(STB_GLOBAL, s.code ? STT_FUNC : STT_OBJECT);
      e.st_shndx = static_cast<Elf32_Half>(1 + i);
      syms.push_back(e);
      break;
    }
  }

  std::vector<Elf32_Shdr> sh(n_sections);
  for (u32 i = 0; i < n_regions; ++i) {
    const hv::HvRegion& r = regions[i];
    Elf32_Shdr& s = sh[1 + i];
    s.sh_name = add_name(shstrtab, r.name);
    s.sh_type = SHT_NOBITS;
    s.sh_flags = SHF_ALLOC | (r.name == ".text" ? SHF_EXECINSTR : SHF_WRITE);
    s.sh_addr = r.start;
    s.sh_size = r.size;
    s.sh_addralign = 16;
  }
  const u32 symtab_name = add_name(shstrtab, ".symtab");
  const u32 strtab_name = add_name(shstrtab, ".strtab");
  const u32 shstrtab_name = add_name(shstrtab, ".shstrtab");

  // File layout: header, program headers (a PT_LOAD per region, for gdb to relocate by segment), section
  // headers, symbols, then the two string tables.
  const u32 ph_off = sizeof(Elf32_Ehdr);
  const u32 sh_off = ph_off + n_regions * sizeof(Elf32_Phdr);
  const u32 sym_off = sh_off + n_sections * sizeof(Elf32_Shdr);
  const u32 str_off = sym_off + static_cast<u32>(syms.size() * sizeof(Elf32_Sym));
  const u32 shstr_off = str_off + static_cast<u32>(strtab.size());
  for (u32 i = 1; i <= n_regions; ++i) sh[i].sh_offset = sym_off;  // NOBITS: no bytes of their own

  sh[symtab_index] = Elf32_Shdr{symtab_name, SHT_SYMTAB, 0, 0, sym_off,
                                static_cast<Elf32_Word>(syms.size() * sizeof(Elf32_Sym)), strtab_index, 1, 4,
                                sizeof(Elf32_Sym)};
  sh[strtab_index] = Elf32_Shdr{strtab_name, SHT_STRTAB, 0, 0, str_off, static_cast<Elf32_Word>(strtab.size()),
                                0, 0, 1, 0};
  sh[shstrtab_index] = Elf32_Shdr{shstrtab_name, SHT_STRTAB, 0, 0, shstr_off,
                                  static_cast<Elf32_Word>(shstrtab.size()), 0, 0, 1, 0};

  Elf32_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS32;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
  eh.e_type = ET_EXEC;
  eh.e_machine = EM_386;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = ph_off;
  eh.e_phentsize = sizeof(Elf32_Phdr);
  eh.e_phnum = static_cast<Elf32_Half>(n_regions);
  eh.e_shoff = sh_off;
  eh.e_ehsize = sizeof(Elf32_Ehdr);
  eh.e_shentsize = sizeof(Elf32_Shdr);
  eh.e_shnum = static_cast<Elf32_Half>(n_sections);
  eh.e_shstrndx = static_cast<Elf32_Half>(shstrtab_index);

  std::string out;
  put(out, eh);
  for (const hv::HvRegion& r : regions) {
    Elf32_Phdr ph{};
    ph.p_type = PT_LOAD;
    ph.p_offset = sym_off;
    ph.p_vaddr = ph.p_paddr = r.start;
    ph.p_memsz = r.size;  // p_filesz 0: nothing in the file, as for .bss
    ph.p_flags = PF_R | (r.name == ".text" ? PF_X : PF_W);
    ph.p_align = 16;
    put(out, ph);
  }
  for (const Elf32_Shdr& s : sh) put(out, s);
  for (const Elf32_Sym& s : syms) put(out, s);
  out += strtab;
  out += shstrtab;
  return out;
}

}  // namespace ring1
