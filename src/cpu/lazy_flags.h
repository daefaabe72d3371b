// Lazily evaluated status flags. An arithmetic instruction records its operands and result instead of
// computing CF PF AF ZF SF OF; most results are overwritten unread, and the common readers (Jcc, SETcc,
// CMOVcc after CMP, TEST, DEC) answer from the record with one compare. Anything else materialises the
// six flags with the formulas of exec/flags.h (SDM vol. 1, 3.4.3.1).
//
// Operands and result are stored zero-extended from the operand size, so unsigned compares and the sign
// bit at (bits - 1) work for 8, 16 and 32-bit operations alike.
#pragma once
#include "common/eflags.h"
#include "cpu/exec/flags.h"
#include "common/types.h"

namespace ring1 {

enum class LazyOp : u8 {
  None,   // EFLAGS holds the status flags itself
  Add,    // res = a + b + carry
  Sub,    // res = a - b - carry
  Logic,  // AND OR XOR TEST: CF = OF = 0, AF cleared (ring1's choice for the SDM's undefined AF)
  Inc,    // res = a + 1, CF preserved in `carry`
  Dec,    // res = a - 1, CF preserved in `carry`
  Shift,  // SHL SHR SAR by a non-zero count: CF in `carry`, OF in bit 0 of `b`, AF in b's bit 4 (shift_rotate.cpp)
};

struct LazyFlags {
  u32 res = 0, a = 0, b = 0;
  LazyOp op = LazyOp::None;
  u8 bits = 32;
  u8 carry = 0;  // Add/Sub: the carry or borrow that went in; Inc/Dec: the CF they leave alone

  u32 sign() const { return 1u << (bits - 1); }

  bool cf() const {
    switch (op) {
      case LazyOp::Add: return carry ? res <= a : res < a;
      case LazyOp::Sub: return carry ? a <= b : a < b;
      case LazyOp::Inc:
      case LazyOp::Dec:
      case LazyOp::Shift: return carry;
      default: return false;
    }
  }

  // The six status flags, in their EFLAGS positions.
  u32 status() const {
    u32 f = (res == 0 ? eflags::ZF : 0) | ((res & sign()) ? eflags::SF : 0) | flags::kParity[res & 0xFF];
    switch (op) {
      case LazyOp::Add:
      case LazyOp::Inc:
        f |= ((a ^ b ^ res) & eflags::AF) | (((a ^ res) & (b ^ res) & sign()) ? eflags::OF : 0);
        break;
      case LazyOp::Sub:
      case LazyOp::Dec:
        f |= ((a ^ b ^ res) & eflags::AF) | (((a ^ b) & (a ^ res) & sign()) ? eflags::OF : 0);
        break;
      case LazyOp::Shift:  // b: OF in bit 0, AF in its own position (set only by the 386/486 models)
        f |= ((b & 1) ? eflags::OF : 0) | (b & eflags::AF);
        break;
      default:
        break;
    }
    return f | (cf() ? eflags::CF : 0);
  }
};

inline i32 sign_extend(u32 v, u8 bits) {
  const unsigned s = 32u - bits;
  return static_cast<i32>(v << s) >> s;
}

}  // namespace ring1
