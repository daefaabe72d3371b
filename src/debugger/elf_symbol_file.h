// A symbol-only ELF32 file built in memory: allocated sections without contents (SHT_NOBITS, so the file is
// small and gdb reads the code itself from the target) and a symbol table naming addresses inside them. The
// stub serves it to gdb as a "library" at its own addresses (qXfer:libraries:read, vFile), which is how gdb
// gets names for the hypervisor's stubs without the user loading anything (see gdb_stub.h).
#pragma once
#include <span>
#include <string>
#include <vector>

#include "hypervisor/hv_symbols.h"

namespace ring1 {

// The file's bytes: ELF header, a PT_LOAD program header per region, section headers (null, the regions in
// order, .symtab, .strtab, .shstrtab), symbols. A symbol outside every region is left out.
std::string elf_symbol_file(std::span<const hv::HvRegion> regions, std::span<const hv::HvSymbol> symbols);

}  // namespace ring1
