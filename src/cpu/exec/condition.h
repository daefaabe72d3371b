// Condition codes for Jcc, SETcc, CMOVcc and LOOPcc, answered from the lazy flag record where that is one
// compare (after CMP/SUB, TEST/AND/OR/XOR, INC/DEC) and from materialised EFLAGS otherwise.
#pragma once
#include "cpu/cpu.h"

namespace ring1 {

// CC is the low nibble of the Jcc opcode: O NO B NB Z NZ BE NBE S NS P NP L NL LE NLE (SDM vol. 1, app. B).
template <u8 CC>
inline bool condition(const Cpu& c) {
  const LazyFlags& l = c.lazy;
  if (l.op == LazyOp::None) return flags::cond<CC>(c.eflags);
  constexpr u8 k = CC >> 1;
  bool r;
  if constexpr (k == 2) {
    r = l.res == 0;
  } else if constexpr (k == 4) {
    r = (l.res & l.sign()) != 0;
  } else if (l.op == LazyOp::Sub && l.carry == 0) {
    // a - b without borrow: B is a < b unsigned, L is a < b signed (SF != OF), and so on.
    if constexpr (k == 1) r = l.a < l.b;
    else if constexpr (k == 3) r = l.a <= l.b;
    else if constexpr (k == 6) r = sign_extend(l.a, l.bits) < sign_extend(l.b, l.bits);
    else if constexpr (k == 7) r = sign_extend(l.a, l.bits) <= sign_extend(l.b, l.bits);
    else return flags::cond<CC>(c.flags());
  } else if (l.op == LazyOp::Logic) {
    // CF = OF = 0: B and O never hold, BE is ZF, L is SF, LE is ZF or SF.
    if constexpr (k == 0 || k == 1) r = false;
    else if constexpr (k == 3) r = l.res == 0;
    else if constexpr (k == 6) r = (l.res & l.sign()) != 0;
    else if constexpr (k == 7) r = l.res == 0 || (l.res & l.sign()) != 0;
    else return flags::cond<CC>(c.flags());
  } else {
    return flags::cond<CC>(c.flags());
  }
  return (CC & 1) ? !r : r;
}

}  // namespace ring1
