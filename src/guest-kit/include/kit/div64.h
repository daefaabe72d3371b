// div64.h: 64-bit by 32-bit division inline, without a call into libgcc's __udivdi3/__umoddi3 (which a 64-bit
// `/` or `%` on i386 compiles to, and which also works). This is Linux's do_div: two 32-bit DIVs, the first on
// the high half, the second on the remainder and the low half (EDX < divisor, so the second DIV cannot
// overflow; SDM vol. 2, DIV). Inline, so user code can use it too.
#pragma once
#include <stdint.h>

// Divides *n by d in place and returns the remainder.
static inline uint32_t div64_u32(uint64_t *n, uint32_t d) {
  uint32_t hi = (uint32_t)(*n >> 32), lo = (uint32_t)*n;
  uint32_t q_hi = hi / d, r = hi % d, q_lo;
  __asm__("divl %4" : "=a"(q_lo), "=d"(r) : "a"(lo), "d"(r), "rm"(d));
  *n = (uint64_t)q_hi << 32 | q_lo;
  return r;
}
