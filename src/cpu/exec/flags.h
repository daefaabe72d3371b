// Arithmetic flag computation (SDM vol. 1, 3.4.3.1 and appendix A), shared by every family. Most arithmetic
// instructions do not call these at once: they leave a lazy record (cpu/lazy_flags.h) that computes the flags
// here only when something reads them. Where a handler does compute them, it does so into a local copy of
// EFLAGS committed only once nothing more can fault, so a faulting instruction leaves EFLAGS untouched (SDM
// vol. 3, 6.5: faults restart cleanly).
//
// Undefined flags, one documented choice: where the SDM leaves AF undefined (logic ops, shifts by a
// non-zero count, multiply) ring1 clears it; other undefined flags are named where each family sets them.
#pragma once
#include <array>

#include "common/eflags.h"
#include "common/types.h"

namespace ring1::flags {

template <class T>
inline constexpr unsigned kBits = sizeof(T) * 8;

// PF is set when the low byte of the result has an even number of 1 bits.
inline constexpr std::array<u8, 256> kParity = [] {
  std::array<u8, 256> t{};
  for (unsigned v = 0; v < 256; ++v) {
    unsigned ones = 0;
    for (unsigned b = 0; b < 8; ++b) ones += (v >> b) & 1;
    t[v] = (ones % 2 == 0) ? eflags::PF : 0;
  }
  return t;
}();

template <class T>
inline u32 szp(T r) {
  return (r == 0 ? eflags::ZF : 0) | ((u32(r) >> (kBits<T> - 1)) & 1u) << 7 | kParity[u8(r)];
}

template <class T>
inline u32 sign_bit(T v) {
  return (u32(v) >> (kBits<T> - 1)) & 1u;
}

inline u32 keep(u32 f, u32 mask) { return f & ~mask; }

// a + b + carry
template <class T>
inline T add(T a, T b, u32 carry, u32& f) {
  T r = static_cast<T>(a + b + carry);
  u32 cf = carry ? (r <= a) : (r < a);
  u32 of = sign_bit<T>(static_cast<T>((a ^ r) & (b ^ r)));
  f = keep(f, eflags::Status) | szp(r) | cf | (u32(a ^ b ^ r) & eflags::AF) | (of << 11);
  return r;
}

// a - b - borrow
template <class T>
inline T sub(T a, T b, u32 borrow, u32& f) {
  T r = static_cast<T>(a - b - borrow);
  u32 cf = borrow ? (a <= b) : (a < b);
  u32 of = sign_bit<T>(static_cast<T>((a ^ b) & (a ^ r)));
  f = keep(f, eflags::Status) | szp(r) | cf | (u32(a ^ b ^ r) & eflags::AF) | (of << 11);
  return r;
}

// AND/OR/XOR/TEST: CF = OF = 0, SF ZF PF from the result, AF undefined (cleared).
template <class T>
inline T logic(T r, u32& f) {
  f = keep(f, eflags::Status) | szp(r);
  return r;
}

// Condition codes in the order of the Jcc/SETcc/CMOVcc opcode's low nibble (SDM vol. 1, appendix B).
template <u8 CC>
inline bool cond(u32 f) {
  using namespace eflags;
  bool r;
  if constexpr ((CC >> 1) == 0) r = f & OF;
  else if constexpr ((CC >> 1) == 1) r = f & CF;
  else if constexpr ((CC >> 1) == 2) r = f & ZF;
  else if constexpr ((CC >> 1) == 3) r = f & (CF | ZF);
  else if constexpr ((CC >> 1) == 4) r = f & SF;
  else if constexpr ((CC >> 1) == 5) r = f & PF;
  else if constexpr ((CC >> 1) == 6) r = ((f >> 7) ^ (f >> 11)) & 1;                 // SF != OF
  else r = (f & ZF) || (((f >> 7) ^ (f >> 11)) & 1);                                // ZF or SF != OF
  return (CC & 1) ? !r : r;
}

}  // namespace ring1::flags
