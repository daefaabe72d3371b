// A whole emulated machine as one value: RAM, MMU and CPU, built from a MachineConfig. Two machines in one
// process share nothing. The PC devices and the hypervisor attach here as the later issues add them.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "cpu/cpu.h"
#include "jit/translator.h"
#include "mmu/port_bus.h"

namespace ring1 {

struct MachineConfig {
  u64 memory_bytes = 128ull << 20;  // QEMU's default for -M pc
  std::string cost_profile = "p3";  // a profile name or a file of `key = cycles` overrides
  std::string tlb_profile = "p3";
  std::string tlb_geometry;  // --tlb-geometry over the profile (TlbProfile::with_geometry); empty: none
  TlbMode tlb_mode = TlbMode::Untagged;
  CpuModel cpu_model = kDefaultCpuModel;  // --cpu: the generation whose undefined behaviour ring1 follows
  // --engine: the interpreter alone, or with the translation tier (src/jit) running hot blocks as host code.
  // Every modelled count is the same either way.
  enum class Engine : u8 { Interp, Jit } engine = Engine::Interp;
};

class Machine {
 public:
  explicit Machine(const MachineConfig& cfg);

  const MachineConfig& config() const { return cfg_; }
  PhysicalMemory& ram() { return ram_; }
  Mmu& mmu() { return mmu_; }
  Cpu& cpu() { return cpu_; }
  PortBus& ports() { return ports_; }
  const CostProfile& costs() const { return costs_; }

 private:
  MachineConfig cfg_;
  CostProfile costs_;
  PhysicalMemory ram_;
  Mmu mmu_;
  Cpu cpu_;
  PortBus ports_;  // the I/O address space; devices attach to it
  std::unique_ptr<jit::Translator> translator_;  // --engine jit
};

// Parses "128M", "1G", "65536K", "4096" (bytes). nullopt if malformed; a size beyond 64 bits gives
// UINT64_MAX, so a range check refuses it rather than seeing the value wrapped.
std::optional<u64> parse_size(const std::string& text);

}  // namespace ring1
