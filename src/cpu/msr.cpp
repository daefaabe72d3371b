// The MSR table (msr.h): one row per register ring1 models, with the first processor generation that has it
// and its read and write rule.
#include "cpu/msr.h"

#include "cpu/cpu.h"

namespace ring1 {
namespace {

struct MsrRow {
  u32 index;
  const char* name;
  CpuModel since;  // absent on earlier generations (#GP(0) there)
  std::optional<u64> (*read)(Cpu&);
  bool (*write)(Cpu&, u64);  // null: read-only, a write is #GP(0)
};

// IA32_TIME_STAMP_COUNTER (0x10): reads as RDTSC does (the cycle count when this instruction began plus the
// offset). A write sets all 64 bits of EDX:EAX (as the Pentium does; P6-class parts clear the upper half
// instead, SDM vol. 3, 18.17); the modelled cycle counter is never changed, the offset moves.
std::optional<u64> tsc_read(Cpu& c) { return c.cycles + c.tsc_offset; }
bool tsc_write(Cpu& c, u64 v) {
  c.tsc_offset = v - c.cycles;
  return true;
}

// IA32_APIC_BASE (0x1B, SDM vol. 3, 10.4.4): BSP (bit 8), global enable (11), base (12-31; ring1's
// physical addresses are 32 bits wide, so bits 32-63 are reserved). Held by the APIC device.
std::optional<u64> apic_base_read(Cpu& c) {
  if (!c.apic.present()) return std::nullopt;
  return c.apic.read_base(c.apic.context);
}
bool apic_base_write(Cpu& c, u64 v) { return c.apic.present() && c.apic.write_base(c.apic.context, v); }

// IA32_MTRRCAP (0xFE, SDM vol. 3, 11.11.1), read-only: no variable ranges (VCNT 0), no fixed ranges, no
// write-combining, no SMRR. ring1 models no caches, so memory types change nothing; the registers are there
// because CPUID says MTRR, and the count of ranges is honest about having none.
std::optional<u64> mtrrcap_read(Cpu&) { return 0; }

// IA32_MTRR_DEF_TYPE (0x2FF, 11.11.2.1): the default type (bits 0-7: UC 0, WC 1, WT 4, WP 5, WB 6) and E
// (bit 11). FE (bit 10) enables fixed ranges, which MTRRCAP.FIX says this model lacks, so it is reserved here
// like every other bit; a reserved bit or an undefined type is #GP(0).
bool valid_memory_type(u64 t) { return t == 0 || t == 1 || t == 4 || t == 5 || t == 6; }
std::optional<u64> def_type_read(Cpu& c) { return c.msr.mtrr_def_type; }
bool def_type_write(Cpu& c, u64 v) {
  if ((v & ~u64(0x8FF)) || !valid_memory_type(v & 0xFF)) return false;
  c.msr.mtrr_def_type = v;
  return true;
}

// IA32_MISC_ENABLE (0x1A0, SDM vol. 4, table 2-2): fast strings (bit 0) and limit-CPUID-maxval (22) are
// writable; BTS/PEBS unavailable (11, 12) are read-only and must be written unchanged; anything else is
// reserved on this model.
constexpr u64 kMiscWritable = (1ull << 0) | (1ull << 22);
constexpr u64 kMiscReadOnly = (1ull << 11) | (1ull << 12);
std::optional<u64> misc_read(Cpu& c) { return c.msr.misc_enable; }
bool misc_write(Cpu& c, u64 v) {
  if (v & ~(kMiscWritable | kMiscReadOnly)) return false;
  if ((v & kMiscReadOnly) != (c.msr.misc_enable & kMiscReadOnly)) return false;
  c.msr.misc_enable = v;
  return true;
}

// IA32_PAT (0x277, SDM vol. 3, 11.12.2): eight 3-bit memory types in the low bits of each byte; types 2 and
// 3 are reserved, as are bits 3-7 of each byte: #GP(0).
std::optional<u64> pat_read(Cpu& c) { return c.msr.pat; }
bool pat_write(Cpu& c, u64 v) {
  for (int i = 0; i < 8; ++i) {
    const u64 b = (v >> (8 * i)) & 0xFF;
    if (b > 7 || b == 2 || b == 3) return false;
  }
  c.msr.pat = v;
  return true;
}

// SYSENTER_CS/ESP/EIP (SDM vol. 3, 5.8.7): 32 bits each on IA-32; a write keeps the low 32 bits (the upper
// half of these MSRs exists only on processors with Intel 64).
std::optional<u64> cs_read(Cpu& c) { return c.sysenter.cs; }
bool cs_write(Cpu& c, u64 v) { return c.sysenter.cs = u32(v), true; }
std::optional<u64> esp_read(Cpu& c) { return c.sysenter.esp; }
bool esp_write(Cpu& c, u64 v) { return c.sysenter.esp = u32(v), true; }
std::optional<u64> eip_read(Cpu& c) { return c.sysenter.eip; }
bool eip_write(Cpu& c, u64 v) { return c.sysenter.eip = u32(v), true; }

// The Pentium introduced RDMSR/WRMSR and the TSC (ring1's 386 and 486 still run them: the instructions
// themselves are #UD-free on every model, which keeps RDTSC-based guests running); the P6 family the APIC
// base, the MTRRs, MISC_ENABLE, PAT and the SYSENTER MSRs.
constexpr MsrRow kMsrs[] = {
    {msr::Tsc, "IA32_TIME_STAMP_COUNTER", CpuModel::I386, &tsc_read, &tsc_write},
    {msr::ApicBase, "IA32_APIC_BASE", CpuModel::P6, &apic_base_read, &apic_base_write},
    {0x0FE, "IA32_MTRRCAP", CpuModel::P6, &mtrrcap_read, nullptr},
    {msr::SysenterCs, "IA32_SYSENTER_CS", CpuModel::P6, &cs_read, &cs_write},
    {msr::SysenterEsp, "IA32_SYSENTER_ESP", CpuModel::P6, &esp_read, &esp_write},
    {msr::SysenterEip, "IA32_SYSENTER_EIP", CpuModel::P6, &eip_read, &eip_write},
    {0x1A0, "IA32_MISC_ENABLE", CpuModel::P6, &misc_read, &misc_write},
    {0x277, "IA32_PAT", CpuModel::P6, &pat_read, &pat_write},
    {0x2FF, "IA32_MTRR_DEF_TYPE", CpuModel::P6, &def_type_read, &def_type_write},
};

const MsrRow* find(const Cpu& c, u32 index) {
  for (const MsrRow& r : kMsrs)
    if (r.index == index) return u8(c.model()) >= u8(r.since) ? &r : nullptr;
  return nullptr;
}

}  // namespace

std::optional<u64> read_msr(Cpu& c, u32 index) {
  const MsrRow* r = find(c, index);
  return r ? r->read(c) : std::nullopt;
}

bool write_msr(Cpu& c, u32 index, u64 value) {
  const MsrRow* r = find(c, index);
  return r && r->write && r->write(c, value);
}

}  // namespace ring1
