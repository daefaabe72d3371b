// Encoders for the 8-byte descriptors of the GDT, LDT and IDT (SDM vol. 3, 3.4.5, 5.8.3, 6.11): the
// inverse of Descriptor's accessors, for code that writes tables from C++ by field (the hypervisor's own
// GDT and IDT, test fixtures) rather than by hand-assembled bit patterns.
#pragma once
#include "common/types.h"

namespace ring1 {

// A code/data descriptor: base, limit (byte units, or 4 KiB units with gran), type nibble, DPL, P, D/B, G.
inline u64 seg_desc(u32 base, u32 limit, u8 type, u8 dpl, bool present = true, bool big = true, bool gran = false) {
  return (limit & 0xFFFF) | (u64(base & 0xFFFFFF) << 16) | (u64(type) << 40) | (1ull << 44) | (u64(dpl) << 45) |
         (u64(present) << 47) | (u64((limit >> 16) & 0xF) << 48) | (u64(big) << 54) | (u64(gran) << 55) |
         (u64(base >> 24) << 56);
}
// A system-segment descriptor (LDT, TSS): S = 0.
inline u64 sys_desc(u32 base, u32 limit, u8 type, u8 dpl = 0, bool present = true) {
  return seg_desc(base, limit, type, dpl, present, false, false) & ~(1ull << 44);
}
// A gate: call (4 / 12), task (5), interrupt (6 / 14), trap (7 / 15).
inline u64 gate_desc(u16 selector, u32 offset, u8 type, u8 dpl, u8 params = 0, bool present = true) {
  return (offset & 0xFFFF) | (u64(selector) << 16) | (u64(params & 0x1F) << 32) | (u64(type) << 40) |
         (u64(dpl) << 45) | (u64(present) << 47) | (u64(offset >> 16) << 48);
}

}  // namespace ring1
