// The hypervisor's symbol file as gdb reads it: a valid ELF32 i386 file whose allocated sections and PT_LOAD
// segments are the hypervisor's regions, and whose symbols are the stubs at the addresses the IDT uses.
#include "debugger/elf_symbol_file.h"

#include <elf.h>
#include <gtest/gtest.h>

#include <cstring>

#include "hypervisor/layout.h"

namespace ring1 {
namespace {

TEST(ElfSymbolFile, HoldsOneSegmentPerRegionAndTheSymbolsInsideThem) {
  const std::vector<hv::HvRegion> regions = {{".text", 0xfc412000, 0x1000}, {".hv.stack", 0xfc413000, 0x2000}};
  const std::vector<hv::HvSymbol> symbols = {{"hv_hypercall", 0xfc412200, 16, true},
                                             {"hv_stack", 0xfc413000, 0x2000, false},
                                             {"outside", 0x1000, 4, false}};
  const std::string f = elf_symbol_file(regions, symbols);
  Elf32_Ehdr eh;
  ASSERT_GE(f.size(), sizeof eh);
  std::memcpy(&eh, f.data(), sizeof eh);
  EXPECT_EQ(std::memcmp(eh.e_ident, ELFMAG, SELFMAG), 0);
  EXPECT_EQ(eh.e_machine, EM_386);
  EXPECT_EQ(eh.e_phnum, 2);
  EXPECT_EQ(eh.e_shnum, 6);  // null, two regions, .symtab, .strtab, .shstrtab
  Elf32_Phdr ph;
  std::memcpy(&ph, f.data() + eh.e_phoff + sizeof ph, sizeof ph);
  EXPECT_EQ(ph.p_type, PT_LOAD);
  EXPECT_EQ(ph.p_vaddr, 0xfc413000u);
  EXPECT_EQ(ph.p_memsz, 0x2000u);
  EXPECT_EQ(ph.p_filesz, 0u);
  Elf32_Shdr symtab;
  std::memcpy(&symtab, f.data() + eh.e_shoff + 3 * sizeof symtab, sizeof symtab);
  ASSERT_EQ(symtab.sh_type, SHT_SYMTAB);
  ASSERT_EQ(symtab.sh_size, 3 * sizeof(Elf32_Sym));  // the null symbol and the two inside a region
  Elf32_Shdr strtab;
  std::memcpy(&strtab, f.data() + eh.e_shoff + 4 * sizeof strtab, sizeof strtab);
  Elf32_Sym s;
  std::memcpy(&s, f.data() + symtab.sh_offset + sizeof s, sizeof s);
  EXPECT_STREQ(f.data() + strtab.sh_offset + s.st_name, "hv_hypercall");
  EXPECT_EQ(s.st_value, 0xfc412200u);
  EXPECT_EQ(ELF32_ST_TYPE(s.st_info), STT_FUNC);
  EXPECT_EQ(s.st_shndx, 1);
}

}  // namespace
}  // namespace ring1
