// Test support: a bare CPU on 16 MiB of RAM in flat 32-bit protected mode, for instruction-level tests.
// Code is loaded at kCode, the stack grows down from kStackTop, and kData is a scratch area.
#pragma once
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "cpu/cpu.h"
#include "jit/translator.h"
#include "mmu/port_bus.h"
#include "support/assembler.h"

namespace ring1::test {

struct TestMachine {
  static constexpr u32 kRam = 16u << 20;
  static constexpr u32 kCode = 0x1000;
  static constexpr u32 kData = 0x100000;
  static constexpr u32 kStackTop = 0x80000;

  PhysicalMemory ram{kRam};
  Mmu mmu;
  Cpu cpu{mmu, CostProfile::pentium3()};
  PortBus ports;  // empty: tests attach their own devices
  u32 code_end = kCode;
  // RING1_ENGINE=jit runs every test machine with the translation tier, compiling each block the first time
  // it runs in full, so the whole suite checks that the tiers agree (tests/CMakeLists.txt's jit runs).
  std::unique_ptr<jit::Translator> translator;

  explicit TestMachine(TlbMode mode = TlbMode::Untagged, const TlbProfile& tlb = TlbProfile::p3())
      : mmu(ram, tlb, mode) {
    cpu.gpr[ESP] = kStackTop;
    cpu.ports = &ports;
    if (const char* e = std::getenv("RING1_ENGINE"); e && std::strcmp(e, "jit") == 0)
      translator = std::make_unique<jit::Translator>(cpu, jit::TranslatorOptions{.hot_after = 1});
  }

  void load(const std::vector<u8>& bytes, u32 at = kCode) {
    ram.write_bytes(at, bytes.data(), u32(bytes.size()));
    cpu.eip = at;
    code_end = at + u32(bytes.size());
  }
  void load_asm(std::string_view src, Bits bits = Bits::b32) { load(assemble(src, bits, kCode)); }

  // Runs until EIP reaches the end of the loaded code, HLT, a fault, or the instruction budget.
  StopReason run(u64 max_insns = 10'000'000) {
    RunLimits lim;
    lim.max_instructions = max_insns;
    lim.stop_at_eip = code_end;
    return cpu.run(lim);
  }
  // Assembles, loads and runs to the end; returns why it stopped.
  StopReason exec(std::string_view src) {
    load_asm(src);
    return run();
  }

  // Exceptions go through the IDT (or the real-mode IVT) instead of ending the run.
  void deliver_exceptions() { cpu.exception_mode = Cpu::ExceptionMode::Deliver; }

  u32 r(Gpr g) const { return cpu.gpr[g]; }
  bool flag(u32 mask) const { return (cpu.eflags & mask) != 0; }
  template <class T>
  T mem(u32 addr) const {
    T v;
    ram.read_bytes(addr, &v, sizeof v);
    return v;
  }
  template <class T>
  void poke(u32 addr, T v) {
    ram.write_bytes(addr, &v, sizeof v);
  }
};

}  // namespace ring1::test
