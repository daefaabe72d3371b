#include "mmu/tlb_profile.h"

namespace ring1 {

namespace {
TlbGeometry assoc(u32 entries, u32 ways, TlbReplacement r = TlbReplacement::Lru) {
  return TlbGeometry{entries / ways, ways, r};
}

// p3: the P6 family (Pentium Pro/II/III), the generation of the paper's measurements. Geometry from the
// CPUID leaf 2 descriptors those parts report (SDM vol. 2, CPUID, table "Encoding of CPUID Leaf 2
// Descriptors"): 01h ITLB 4 KiB 4-way 32 entries; 02h ITLB 4 MiB fully associative 2 entries; 03h DTLB
// 4 KiB 4-way 64 entries; 04h DTLB 4 MiB 4-way 8 entries. P6 replacement is pseudo-LRU; modelled as LRU.
//
// p4: NetBurst (Pentium 4 / Xeon, the paper's Dell 2650 has 2.4 GHz Xeons). Descriptors 50h (ITLB 64
// entries for 4 KiB and 4 MiB pages, fully associative) and 5Bh (DTLB 64 entries, fully associative). The
// real parts share one array between page sizes; ring1 models separate arrays of that size.
//
// tiny: 4 entries per array, for tests and for experiments where capacity misses should show quickly.
std::vector<TlbProfile> all_profiles() {
  return {
      TlbProfile{"p3", "Pentium III (P6): ITLB 32x4K 4-way + 2x4M, DTLB 64x4K 4-way + 8x4M 4-way",
                 assoc(32, 4), assoc(2, 2), assoc(64, 4), assoc(8, 4)},
      TlbProfile{"p4", "Pentium 4 / Xeon (NetBurst): ITLB 64 fully assoc., DTLB 64 fully assoc.",
                 assoc(64, 64), assoc(64, 64), assoc(64, 64), assoc(64, 64)},
      TlbProfile{"tiny", "2 sets x 2 ways per array, for tests", assoc(4, 2), assoc(2, 2), assoc(4, 2), assoc(2, 2)},
  };
}
}  // namespace

const TlbProfile& TlbProfile::p3() {
  static const TlbProfile p = all_profiles()[0];
  return p;
}

std::optional<TlbProfile> TlbProfile::named(std::string_view name) {
  for (auto& p : all_profiles())
    if (p.name == name) return p;
  return std::nullopt;
}

std::vector<std::string> TlbProfile::names() {
  std::vector<std::string> out;
  for (auto& p : all_profiles()) out.push_back(p.name);
  return out;
}

}  // namespace ring1
