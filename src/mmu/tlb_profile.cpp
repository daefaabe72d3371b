#include "mmu/tlb_profile.h"

#include <charconv>

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

namespace {
bool is_pow2(u32 v) { return v && (v & (v - 1)) == 0; }

// "ENTRIESxWAYS" into a geometry; false with `error` set.
bool parse_array(std::string_view key, std::string_view text, TlbGeometry& g, std::string& error) {
  const auto x = text.find('x');
  u32 entries = 0, ways = 0;
  auto number = [](std::string_view t, u32& v) {
    if (t.empty() || t.size() > 9) return false;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    return ec == std::errc() && end == t.data() + t.size();
  };
  if (x == std::string_view::npos || !number(text.substr(0, x), entries) || !number(text.substr(x + 1), ways)) {
    error = std::string("--tlb-geometry: ") + std::string(key) + "='" + std::string(text) +
            "' is not ENTRIESxWAYS (example: 64x4)";
    return false;
  }
  if (!is_pow2(entries) || !is_pow2(ways) || ways > entries || entries > TlbProfile::kMaxEntries ||
      ways > TlbProfile::kMaxWays) {
    error = std::string("--tlb-geometry: ") + std::string(key) + "=" + std::string(text) +
            ": entries and ways must be powers of two with 1 <= ways <= entries <= " +
            std::to_string(TlbProfile::kMaxEntries) + " and ways <= " + std::to_string(TlbProfile::kMaxWays);
    return false;
  }
  g.sets = entries / ways;
  g.ways = ways;
  return true;
}
}  // namespace

std::optional<TlbProfile> TlbProfile::with_geometry(const TlbProfile& base, std::string_view spec,
                                                    std::string& error) {
  TlbProfile p = base;
  bool any = false;
  std::optional<TlbReplacement> policy;
  std::string_view rest = spec;
  if (!spec.empty() && spec.back() == ',') {
    error = "--tlb-geometry: '" + std::string(spec) + "' ends with a comma";
    return std::nullopt;
  }
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const auto eq = item.find('=');
    const std::string_view key = item.substr(0, eq), value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
    if (eq == std::string_view::npos || (key != "itlb" && key != "dtlb" && key != "policy")) {
      error = "--tlb-geometry: '" + std::string(item) + "': expected itlb=ExW, dtlb=ExW or policy=lru|fifo";
      return std::nullopt;
    }
    if (key == "policy") {
      if (value != "lru" && value != "fifo") {
        error = "--tlb-geometry: policy '" + std::string(value) + "' is not lru or fifo";
        return std::nullopt;
      }
      policy = value == "lru" ? TlbReplacement::Lru : TlbReplacement::Fifo;
    } else if (!parse_array(key, value, key == "itlb" ? p.itlb_small : p.dtlb_small, error)) {
      return std::nullopt;
    }
    any = true;
  }
  if (!any) {
    error = "--tlb-geometry: empty (expected itlb=ExW, dtlb=ExW and/or policy=lru|fifo)";
    return std::nullopt;
  }
  if (policy)
    for (TlbGeometry* g : {&p.itlb_small, &p.itlb_large, &p.dtlb_small, &p.dtlb_large}) g->replacement = *policy;
  auto shape = [](const TlbGeometry& g) { return std::to_string(g.entries()) + "x" + std::to_string(g.ways); };
  const bool lru = p.dtlb_small.replacement == TlbReplacement::Lru;
  p.name = base.name + ":itlb=" + shape(p.itlb_small) + ",dtlb=" + shape(p.dtlb_small) + (lru ? ",lru" : ",fifo");
  p.description = base.description + ", 4 KiB arrays replaced by --tlb-geometry";
  return p;
}

}  // namespace ring1
