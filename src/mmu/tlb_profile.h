// Named TLB geometries. A profile gives the instruction and data TLBs, each with an array for 4 KiB pages
// and one for 4 MiB pages, their sets x ways and the replacement policy (tlb_profile.cpp says where the
// numbers come from).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mmu/tlb.h"

namespace ring1 {

struct TlbProfile {
  std::string name;
  std::string description;
  TlbGeometry itlb_small, itlb_large, dtlb_small, dtlb_large;

  static const TlbProfile& p3();
  // `base` with the 4 KiB arrays (and the replacement policy) `spec` gives (--tlb-geometry):
  //   itlb=ENTRIESxWAYS,dtlb=ENTRIESxWAYS,policy=lru|fifo   (each key optional, at least one)
  // ENTRIES and WAYS are powers of two, 1 <= WAYS <= ENTRIES <= kMaxEntries, WAYS <= kMaxWays. The 4 MiB
  // arrays stay the base's; the policy applies to all four. nullopt with a one-line `error` otherwise.
  static std::optional<TlbProfile> with_geometry(const TlbProfile& base, std::string_view spec, std::string& error);
  static constexpr u32 kMaxEntries = 4096, kMaxWays = 256;
  static std::optional<TlbProfile> named(std::string_view name);
  static std::vector<std::string> names();
};

enum class TlbMode : u8 { Untagged, Tagged };

}  // namespace ring1
