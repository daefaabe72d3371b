// See msr.h. One row per MSR: its index, the first generation that has it, and how it reads and writes.
#include "cpu/msr.h"

#include "cpu/cpu.h"

namespace ring1 {
namespace {

struct MsrRow {
  u32 index;
  CpuModel since;  // absent on earlier generations (#GP(0) there)
  u64 (*read)(Cpu&);
  void (*write)(Cpu&, u64);
};

// The TSC as RDTSC reads it (misc.cpp): the cycle count when this instruction began, plus the offset.
// A write moves the offset (WRMSR writes all 64 bits, as the Pentium does; P6-class parts clear the upper
// half instead, SDM vol. 3, 18.17); the modelled cycle counter itself never changes.
u64 tsc_read(Cpu& c) { return c.cycles + c.tsc_offset; }
void tsc_write(Cpu& c, u64 v) { c.tsc_offset = v - c.cycles; }

// SYSENTER_CS/ESP/EIP (SDM vol. 3, 5.8.7): 32 bits each on IA-32; a write keeps the low 32 bits (the upper
// half of these MSRs exists only on processors with Intel 64).
u64 cs_read(Cpu& c) { return c.sysenter.cs; }
void cs_write(Cpu& c, u64 v) { c.sysenter.cs = u32(v); }
u64 esp_read(Cpu& c) { return c.sysenter.esp; }
void esp_write(Cpu& c, u64 v) { c.sysenter.esp = u32(v); }
u64 eip_read(Cpu& c) { return c.sysenter.eip; }
void eip_write(Cpu& c, u64 v) { c.sysenter.eip = u32(v); }

// The Pentium introduced RDMSR/WRMSR and the TSC (ring1's 386 and 486 still run them: the instructions
// themselves are #UD-free on every model, which keeps RDTSC-based guests running); the Pentium II the
// SYSENTER MSRs.
constexpr MsrRow kMsrs[] = {
    {msr::Tsc, CpuModel::I386, &tsc_read, &tsc_write},
    {msr::SysenterCs, CpuModel::P6, &cs_read, &cs_write},
    {msr::SysenterEsp, CpuModel::P6, &esp_read, &esp_write},
    {msr::SysenterEip, CpuModel::P6, &eip_read, &eip_write},
};

const MsrRow* find(const Cpu& c, u32 index) {
  for (const MsrRow& r : kMsrs)
    if (r.index == index) return u8(c.model()) >= u8(r.since) ? &r : nullptr;
  return nullptr;
}

}  // namespace

std::optional<u64> read_msr(Cpu& c, u32 index) {
  const MsrRow* r = find(c, index);
  if (!r) return std::nullopt;
  return r->read(c);
}

bool write_msr(Cpu& c, u32 index, u64 value) {
  const MsrRow* r = find(c, index);
  if (!r) return false;
  r->write(c, value);
  return true;
}

}  // namespace ring1
