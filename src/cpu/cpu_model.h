// Which processor generation ring1 behaves as (`--cpu 386|486|p6`). The generations agree on everything the
// SDM defines; they differ where it says "undefined" and in a few places where later parts changed what
// software can observe (the accessed bit of a page-directory entry on a walk that faults, CPUID,
// SYSENTER). docs/cpu-model.md lists each difference and the source of each choice.
#pragma once
#include <optional>
#include <string_view>

#include "common/types.h"

namespace ring1 {

enum class CpuModel : u8 { I386, I486, P6 };

inline constexpr CpuModel kDefaultCpuModel = CpuModel::P6;

inline std::string_view cpu_model_name(CpuModel m) {
  switch (m) {
    case CpuModel::I386: return "386";
    case CpuModel::I486: return "486";
    case CpuModel::P6: return "p6";
  }
  return "?";
}

inline std::optional<CpuModel> parse_cpu_model(std::string_view s) {
  if (s == "386") return CpuModel::I386;
  if (s == "486") return CpuModel::I486;
  if (s == "p6") return CpuModel::P6;
  return std::nullopt;
}

// The processor signature (family, model, stepping) CPUID leaf 1 returns in EAX and reset leaves in EDX
// (misc.cpp explains each choice). The 386 has no CPUID; its reset EDX is 0x0308 (component 3, D1 stepping).
inline u32 cpu_signature(CpuModel m) {
  switch (m) {
    case CpuModel::I386: return 0x0308;
    case CpuModel::I486: return 0x0423;
    case CpuModel::P6: return 0x0633;
  }
  return 0;
}

// The 386 and 486 share their microcode's answers for the undefined flags of shifts and rotates.
inline bool pre_pentium(CpuModel m) { return m != CpuModel::P6; }

}  // namespace ring1
