// Test support for segmentation: a test machine with a GDT holding code, data and
// stack segments for rings 0, 1 and 3, system descriptors (LDT, TSS) and gates, plus helpers to drop to a
// ring. Shared by the segmentation, descriptor-table, far-transfer and mode-switch tests.
#pragma once
#include "support/descriptor_encoding.h"
#include "support/test_machine.h"

namespace ring1::test {

struct SegmentMachine : TestMachine {
  static constexpr u32 kGdt = 0x300000;
  static constexpr u32 kLdt = 0x301000;
  static constexpr u32 kTss = 0x302000;
  // GDT selectors (index * 8; add the RPL).
  static constexpr u16 kCode0 = 0x08, kData0 = 0x10, kCode3 = 0x18, kData3 = 0x20, kCode1 = 0x28, kData1 = 0x30,
                       kAbsentData = 0x38, kConforming0 = 0x40, kCode16 = 0x48, kData16 = 0x50, kLdtSel = 0x58,
                       kTssSel = 0x60, kOtherCode0 = 0x68, kAbsentCode = 0x70, kExecOnly = 0x78,
                       kReadOnly = 0x80, kData3Based = 0x88, kGateA = 0x90, kGateB = 0x98, kGateC = 0xA0,
                       kGateD = 0xA8, kExpandDown = 0xB0;
  static constexpr u16 kGdtLimit = 0xFF;

  SegmentMachine() {
    auto flat = [&](u16 sel, u8 type, u8 dpl) { set(sel, seg_desc(0, 0xFFFFF, type, dpl, true, true, true)); };
    flat(kCode0, 0xA, 0);
    flat(kData0, 0x2, 0);
    flat(kCode3, 0xA, 3);
    flat(kData3, 0x2, 3);
    flat(kCode1, 0xA, 1);
    flat(kData1, 0x2, 1);
    set(kAbsentData, seg_desc(0, 0xFFFFF, 0x2, 0, false, true, true));
    flat(kConforming0, 0xE, 0);
    set(kCode16, seg_desc(0, 0xFFFF, 0xA, 0, true, false));
    set(kData16, seg_desc(0, 0xFFFF, 0x2, 0, true, false));
    set(kLdtSel, sys_desc(kLdt, 0x0F, 0x2));
    set(kTssSel, sys_desc(kTss, 0x67, 0x9));
    flat(kOtherCode0, 0xA, 0);
    set(kAbsentCode, seg_desc(0, 0xFFFFF, 0xA, 0, false, true, true));
    set(kExecOnly, seg_desc(0, 0xFFFFF, 0x8, 0, true, true, true));
    set(kReadOnly, seg_desc(0, 0xFFFFF, 0x0, 0, true, true, true));
    set(kData3Based, seg_desc(0x1000, 0xFFF, 0x2, 3));
    set(kExpandDown, seg_desc(0, 0xFFF, 0x6, 0));
    // LDT: one ring-3 data segment at index 1 (selector 0x0C | RPL).
    poke<u64>(kLdt + 8, seg_desc(0x2000, 0xFFF, 0x2, 3));
    cpu.gdtr = {kGdt, kGdtLimit};
  }
  void set(u16 sel, u64 desc) { poke<u64>(kGdt + (sel & ~7u), desc); }
  u64 desc(u16 sel) const { return mem<u64>(kGdt + (sel & ~7u)); }

  // Puts the CPU in `ring` with flat code/data segments of that ring (0, 1 or 3).
  void enter_ring(u8 ring) {
    const u16 code = ring == 0 ? kCode0 : ring == 1 ? kCode1 : kCode3;
    const u16 data = ring == 0 ? kData0 : ring == 1 ? kData1 : kData3;
    cpu.load_segment_flat(CS, u16(code | ring), ring, true, true);
    for (SegReg r : {ES, SS, DS, FS, GS}) cpu.load_segment_flat(r, u16(data | ring), ring, false, true);
    cpu.cpl = ring;
  }
  // A 32-bit TSS with ring-1 and ring-0 stacks, loaded into TR.
  void load_tss(u32 esp0, u16 ss0, u32 esp1, u16 ss1, u32 limit = 0x67) {
    poke<u32>(kTss + 4, esp0);
    poke<u16>(kTss + 8, ss0);
    poke<u32>(kTss + 12, esp1);
    poke<u16>(kTss + 16, ss1);
    set(kTssSel, sys_desc(kTss, limit, 0xB));
    cpu.tr = SystemSegment{kTssSel, kTss, limit, 0x8B};
  }
  bool faulted(u8 vector, u32 error) const {
    const auto& f = cpu.last_fault();
    return f.vector == vector && f.has_error_code && f.error_code == error;
  }
};

}  // namespace ring1::test
