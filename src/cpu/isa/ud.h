// The handler for bytes that are not an instruction ring1 executes: #UD (SDM vol. 3, 6.15, interrupt 6).
// Insn::op tells the report whether the opcode is invalid or valid but outside this core.
#pragma once
#include "cpu/insn.h"

namespace ring1 {

inline constexpr u8 kUdInvalid = 0;
inline constexpr u8 kUdNotImplemented = 1;
inline constexpr u8 kUdExplicit = 2;  // UD2

void exec_ud(Cpu& c, const Insn& i);
// An x87 (ESC, D8-DF) instruction ring1 does not execute: #NM under CR0.EM or CR0.TS, #UD otherwise
// (fpu_absent.cpp).
void exec_esc_absent(Cpu& c, const Insn& i);

}  // namespace ring1
