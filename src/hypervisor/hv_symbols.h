// Names for what lives in the hypervisor's 64 MB (layout.h): its entry stubs, one per vector, and its tables
// and stack. A debugger has no symbol file for the hypervisor (it is C++ on the host, its guest-visible part
// is built at run time by hypervisor_space.cpp), so without these it shows a hypercall's ring-0 code as `??`.
// The debugger turns them into an ELF symbol file (debugger/elf_symbol_file.h).
#pragma once
#include <string>
#include <vector>

#include "common/types.h"

namespace ring1::hv {

class HypervisorSpace;

// A region of the hypervisor's address range, and the names inside it.
struct HvRegion {
  std::string name;  // a section name: ".text" holds code (gdb requires one by that name), anything else data
  u32 start, size;
};
struct HvSymbol {
  std::string name;
  u32 addr, size;
  bool code;
};

std::vector<HvRegion> hypervisor_regions();
// The entry stubs by vector (`hv_entry_pf` for #PF, `hv_hypercall` for int 0x82, `hv_event_check` for
// 0xfc) and the tables (`hv_machine_to_phys`, `hv_gdt`, `hv_idt`, `hv_tss`, `hv_stack`).
std::vector<HvSymbol> hypervisor_symbols(const HypervisorSpace& space);

}  // namespace ring1::hv
