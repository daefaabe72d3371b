// The model-specific registers ring1's CPU has (SDM vol. 4, table 2-2 for the architectural ones), described
// once in a table (msr.cpp): RDMSR/WRMSR look an index up there, and an index that is not in the table, or
// belongs to a later generation than the `--cpu` model, is a register the modelled processor lacks, so both
// raise #GP(0) (SDM vol. 2, RDMSR/WRMSR). The state of the
// registers that are plain storage lives here; the local APIC's base register lives in the APIC device.
#pragma once
#include <optional>

#include "common/types.h"

namespace ring1 {

class Cpu;

namespace msr {
inline constexpr u32 Tsc = 0x10;            // IA32_TIME_STAMP_COUNTER
inline constexpr u32 ApicBase = 0x1B;       // IA32_APIC_BASE
inline constexpr u32 SysenterCs = 0x174;    // IA32_SYSENTER_CS
inline constexpr u32 SysenterEsp = 0x175;   // IA32_SYSENTER_ESP
inline constexpr u32 SysenterEip = 0x176;   // IA32_SYSENTER_EIP
}  // namespace msr

// The local APIC as the CPU sees it (devices/local_apic.h): IA32_APIC_BASE is the device's, which maps its
// registers where the MSR says. A CPU without one (a bare CPU in tests, the hypervisor's machine) has no
// APIC: the MSR is #GP and CPUID leaves the APIC flag clear.
struct ApicLink {
  u64 (*read_base)(void* context) = nullptr;
  bool (*write_base)(void* context, u64 value) = nullptr;  // false: a reserved bit set (#GP)
  void* context = nullptr;
  bool present() const { return context != nullptr; }
};

// Power-on values (SDM vol. 3, table 9-1 and the registers' own sections).
struct MsrState {
  // IA32_PAT: PA0..PA7 = WB WT UC- UC WB WT UC- UC (SDM vol. 3, 11.12.4).
  static constexpr u64 kPatPowerOn = 0x0007040600070406ull;
  // IA32_MISC_ENABLE: fast strings enabled (bit 0); BTS (11) and PEBS (12) unavailable, read-only.
  static constexpr u64 kMiscEnablePowerOn = (1ull << 0) | (1ull << 11) | (1ull << 12);

  u64 pat = kPatPowerOn;
  u64 mtrr_def_type = 0;  // MTRRs disabled, default type UC
  u64 misc_enable = kMiscEnablePowerOn;
};

// RDMSR/WRMSR of `index` by the CPU at CPL 0: the value, or nullopt / false for #GP(0).
std::optional<u64> read_msr(Cpu& c, u32 index);
bool write_msr(Cpu& c, u32 index, u64 value);

}  // namespace ring1
