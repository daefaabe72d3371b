// The hypervisor's regions and symbols (see hv_symbols.h), read off layout.h and the stub table.
#include "hypervisor/hv_symbols.h"

#include <array>
#include <string_view>

#include <fmt/format.h>

#include "hypervisor/hypervisor_space.h"

namespace ring1::hv {

namespace {

// The exception mnemonics of SDM Vol. 3A, Table 6-1 ("Protected-Mode Exceptions and Interrupts"); vector 15
// and 22..31 are reserved, vector 9 is the coprocessor segment overrun.
constexpr std::array<std::string_view, 22> kVectorNames = {
    "de", "db", "nmi", "bp", "of", "br", "ud", "nm", "df", "cso", "ts", "np", "ss", "gp", "pf", "",
    "mf", "ac", "mc", "xm", "ve", "cp"};

constexpr u32 kStubSize = 16;  // hypervisor_space.cpp: one stub per vector, 16 bytes apart

}  // namespace

std::vector<HvRegion> hypervisor_regions() {
  return {{".hv.m2p", kM2pStart, kM2pEnd - kM2pStart},
          {".hv.tables", kGdtBase, kStubsBase - kGdtBase},
          {".text", kStubsBase, kPageSize},
          {".hv.stack", kStackBase, kStackTop - kStackBase}};
}

std::vector<HvSymbol> hypervisor_symbols(const HypervisorSpace& space) {
  std::vector<HvSymbol> out;
  for (u32 v = 0; v < 32; ++v) {
    const std::string_view n = v < kVectorNames.size() ? kVectorNames[v] : std::string_view{};
    out.push_back({n.empty() ? fmt::format("hv_entry_vector{}", v) : fmt::format("hv_entry_{}", n),
                   space.stub_address(u8(v)), kStubSize, true});
  }
  out.push_back({"hv_hypercall", space.stub_address(kHypercallVector), kStubSize, true});
  out.push_back({"hv_event_check", space.stub_address(kEventCheckVector), kStubSize, true});
  out.push_back({"hv_machine_to_phys", kM2pStart, kM2pEnd - kM2pStart, false});
  out.push_back({"hv_gdt", kGdtBase, kGdtPages * kPageSize, false});
  out.push_back({"hv_idt", kIdtBase, kPageSize, false});
  out.push_back({"hv_tss", kTssBase, kPageSize, false});
  out.push_back({"hv_stack", kStackBase, kStackTop - kStackBase, false});
  return out;
}

}  // namespace ring1::hv
