// The model-specific registers ring1 implements, as one table (SDM vol. 4 names and indices): RDMSR and
// WRMSR look the index up here, and any index not listed is #GP(0), as the SDM prescribes for a reserved or
// unimplemented MSR. Each row says which processor generation has it; adding an MSR is adding a row.
#pragma once
#include <optional>

#include "common/types.h"

namespace ring1 {

class Cpu;

namespace msr {
inline constexpr u32 Tsc = 0x10;            // IA32_TIME_STAMP_COUNTER
inline constexpr u32 SysenterCs = 0x174;    // IA32_SYSENTER_CS
inline constexpr u32 SysenterEsp = 0x175;   // IA32_SYSENTER_ESP
inline constexpr u32 SysenterEip = 0x176;   // IA32_SYSENTER_EIP
}  // namespace msr

// The value of MSR `index`, or nullopt if this processor has no such MSR.
std::optional<u64> read_msr(Cpu& c, u32 index);
// Writes MSR `index`; false if there is no such MSR (the caller raises #GP(0)).
bool write_msr(Cpu& c, u32 index, u64 value);

}  // namespace ring1
