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
  static std::optional<TlbProfile> named(std::string_view name);
  static std::vector<std::string> names();
};

enum class TlbMode : u8 { Untagged, Tagged };

}  // namespace ring1
