// Test support: a small protected-mode system for interrupt and privilege tests. The fixture lays out what a
// guest kernel would: a GDT with ring-0, ring-1 and ring-3 code and data, a 32-bit TSS giving SS0:ESP0 and
// SS1:ESP1, and an empty IDT that each test fills with gates; exceptions are delivered (Deliver mode).
// The tables are written from C++ because LGDT/LIDT/LTR are not implemented yet; the guest code is assembly.
#pragma once
#include <string>

#include <fmt/format.h>

#include "cpu/descriptors.h"
#include "support/descriptor_encoding.h"
#include "support/test_machine.h"

namespace ring1::test {

struct SystemGuest : TestMachine {
  static constexpr u32 kGdt = 0x300000, kIdt = 0x301000, kTss = 0x302000;
  static constexpr u32 kEsp0 = 0x90000, kEsp1 = 0xA0000, kUserStack = 0x70000;
  static constexpr u16 kCode0 = 0x08, kData0 = 0x10, kCode3 = 0x1B, kData3 = 0x23, kTssSel = 0x28;
  static constexpr u16 kCode1 = 0x31, kData1 = 0x39;
  static constexpr u8 kInterruptGate = 0xE, kTrapGate = 0xF;

  // A code/data descriptor: flat 4 GiB, page-granular, 32-bit; type nibble and DPL as given.
  static u64 flat(u8 type, u8 dpl) { return seg_desc(0, 0xFFFFF, type, dpl, true, true, true); }

  SystemGuest() {
    poke<u64>(kGdt + 0x08, flat(0xB, 0));
    poke<u64>(kGdt + 0x10, flat(0x3, 0));
    poke<u64>(kGdt + 0x18, flat(0xB, 3));
    poke<u64>(kGdt + 0x20, flat(0x3, 3));
    // 32-bit available TSS, limit 0x67, at kTss.
    poke<u64>(kGdt + 0x28, sys_desc(kTss, 0x67, 0x9));
    poke<u64>(kGdt + 0x30, flat(0xB, 1));
    poke<u64>(kGdt + 0x38, flat(0x3, 1));
    cpu.gdtr = {kGdt, 0x3F};
    cpu.idtr = {kIdt, 0x7FF};
    poke<u32>(kTss + 4, kEsp0);
    poke<u32>(kTss + 8, kData0);
    poke<u32>(kTss + 12, kEsp1);
    poke<u32>(kTss + 16, kData1);
    cpu.tr = {kTssSel, kTss, 0x67, 0x8B};
    // The kernel's data segments are the ring-3 ones, so they survive the return to ring 3.
    load_data_segment(cpu, DS, kData3);
    load_data_segment(cpu, ES, kData3);
    deliver_exceptions();
  }

  // An interrupt or trap gate (32-bit) for `vector` to kCode + `offset`.
  void gate(u8 vector, u32 offset, u8 type, u8 dpl, u16 selector = kCode0, bool present = true) {
    const u32 target = kCode + offset;
    poke<u64>(kIdt + vector * 8u, gate_desc(selector, target, type, dpl, 0, present));
  }

  // Runs until EIP reaches `eip` (or the code ends, HLT, a limit...).
  StopReason run_to(u32 eip, u64 max_insns = 100'000) {
    RunLimits lim;
    lim.max_instructions = max_insns;
    lim.stop_at_eip = eip;
    return cpu.run(lim);
  }
};

// Assembly that drops from ring 0 to `cs`:`label` with stack `ss`:`esp` and EFLAGS `flags`, by IRETD.
inline std::string enter_ring(const char* label, u16 cs, u16 ss, u32 esp, u32 flags = 0x2) {
  return fmt::format(" push {:#x}\n push {:#x}\n push {:#x}\n push {:#x}\n push offset {}\n iretd\n", ss, esp, flags,
                     cs, label);
}

}  // namespace ring1::test
