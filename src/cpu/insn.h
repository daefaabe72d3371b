// The decoded-instruction record: what the decoder produces once per instruction and the run loop executes
// many times. It is deliberately small (32 bytes) and Zydis-free: the handler pointer already encodes the
// operation, operand size and operand kinds, so executing needs no further decoding.
#pragma once
#include "common/types.h"

namespace ring1 {

class Cpu;
struct Insn;

using Handler = void (*)(Cpu&, const Insn&);

// Prefix and property bits kept in Insn::flags.
namespace insn_flag {
inline constexpr u8 Rep = 1u << 0;     // F3: REP / REPE
inline constexpr u8 Repne = 1u << 1;   // F2: REPNE
inline constexpr u8 Lock = 1u << 2;    // F0
inline constexpr u8 Osize16 = 1u << 3; // effective operand size is 16 bits
inline constexpr u8 Asize16 = 1u << 4; // effective address size is 16 bits
inline constexpr u8 EndsBlock = 1u << 5; // may change EIP, CPL, CS or the mode: ends a decoded block
}  // namespace insn_flag

inline constexpr u8 kNoReg = 8;  // register number meaning "no base/index" (reads as zero)

struct Insn {
  Handler fn;
  u32 disp;      // memory-operand displacement
  u32 imm;       // immediate, or the branch displacement of a relative branch
  u32 amask;     // 0xFFFF with 16-bit addressing, 0xFFFFFFFF with 32-bit
  u16 imm2;      // second immediate (ENTER nesting level, far-pointer selector)
  u8 len;        // instruction length in bytes
  u8 cycles;     // modelled cost of this instruction, from the cost profile
  u8 r1;         // byte offset in the register file of the first register operand
  u8 r2;         // byte offset of the second register operand
  u8 base;       // memory operand: base register number, or kNoReg
  u8 index;      // memory operand: index register number, or kNoReg
  u8 scale;      // memory operand: index shift, 0..3
  u8 seg;        // memory operand: segment register (SegReg)
  u8 op;         // per-family sub-operation: condition code, count, ...
  u8 flags;      // insn_flag bits
};
static_assert(sizeof(Insn) == 32, "Insn is a hot-path record: keep it at 32 bytes");

}  // namespace ring1
