// Operand access shared by the instruction families. A handler is instantiated per operand size (T) and per
// operand kind, so at run time an operand is one register-file load, one immediate, or one memory access.
#pragma once
#include "cpu/cpu.h"

namespace ring1 {

// Where a source operand comes from.
enum class Src : u8 { Reg, Imm, Mem };

template <class T, Src S>
inline T source(Cpu& c, const Insn& i) {
  if constexpr (S == Src::Imm) return static_cast<T>(i.imm);
  else if constexpr (S == Src::Reg) return c.reg<T>(i.r2);
  else return c.read<T>(i.seg, c.effective_address(i));
}

// Operand-size mask for EIP: a 16-bit operand size truncates branch targets to 16 bits (SDM vol. 2, JMP).
template <class T>
inline constexpr u32 kIpMask = sizeof(T) == 2 ? 0xFFFFu : 0xFFFFFFFFu;

// Transfers control within the code segment, with the CS limit check the SDM requires of every near branch:
// #GP(0) if the target is outside the limit, raised at the branch (nothing has been committed yet).
inline void near_jump(Cpu& c, u32 target) {
  if (target > c.seg[CS].limit) [[unlikely]] raise_fault(Vector::GP, 0);
  c.next_eip = target;
}

}  // namespace ring1
