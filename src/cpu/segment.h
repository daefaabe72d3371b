// Segment registers with their hidden descriptor caches (SDM vol. 3, 3.4.3).
// Each cache also holds the range of offsets a read and a write may touch, precomputed when the register is
// loaded (limit, expand-down, readable/writable type, null selector), so the per-access check is two compares.
#pragma once
#include "common/types.h"

namespace ring1 {

enum SegReg : u8 { ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5, kSegCount = 6 };

struct Segment {
  u16 selector = 0;
  u32 base = 0;
  u32 limit = 0xFFFF;     // byte-granular effective limit
  u16 access = 0;         // descriptor bytes 5 and 6 (type, S, DPL, P, AVL, D/B, G) as loaded
  bool big = false;       // D/B bit: 32-bit default operand size (CS) / 32-bit stack (SS)
  // Offsets a data access may touch: [lo, hi]; lo > hi means the access is never allowed.
  u32 read_lo = 0, read_hi = 0xFFFF;
  u32 write_lo = 0, write_hi = 0xFFFF;
};

// GDTR and IDTR (SDM vol. 3, 2.4.1 and 2.4.3).
struct TableRegister {
  u32 base = 0;
  u16 limit = 0xFFFF;
};

// LDTR and TR: a selector with the descriptor's base, byte-granular limit and access bytes (2.4.2, 2.4.4).
struct SystemSegment {
  u16 selector = 0;
  u32 base = 0;
  u32 limit = 0xFFFF;
  u16 access = 0;
};

}  // namespace ring1
