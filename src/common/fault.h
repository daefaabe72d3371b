// Architectural exceptions raised while executing an instruction (SDM vol. 3, 6.15).
// A fault is thrown as a C++ exception from wherever it is detected (deep inside a memory access, say)
// and caught once at the instruction boundary by the run loop; the hot path stays exception-free
// because nothing is thrown unless the guest really faults.
#pragma once
#include <string_view>

#include "common/types.h"

namespace ring1 {

enum class Vector : u8 {
  DE = 0,   // divide error
  DB = 1,   // debug
  NMI = 2,
  BP = 3,   // INT3
  OF = 4,   // INTO
  BR = 5,   // BOUND range exceeded
  UD = 6,   // invalid opcode
  NM = 7,   // device not available
  DF = 8,   // double fault
  TS = 10,  // invalid TSS
  NP = 11,  // segment not present
  SS = 12,  // stack-segment fault
  GP = 13,  // general protection
  PF = 14,  // page fault
  MF = 16,
  AC = 17,
};

// The exceptions for which the processor pushes an error code (SDM vol. 3, table 6-1): #DF, #TS, #NP, #SS,
// #GP, #PF, #AC.
inline constexpr bool pushes_error_code(u8 vector) {
  return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17;
}

std::string_view vector_name(u8 vector);

struct CpuFault {
  u8 vector;
  bool has_error_code;
  u32 error_code;
  // A trap (INT n, INT3, INTO) reports the EIP of the next instruction; a fault the faulting one.
  bool trap = false;
  // #PF: the faulting linear address, which the processor loads into CR2 (SDM vol. 3, 4.7).
  u32 address = 0;
  // INT n, INT3, INTO: delivery checks the gate's DPL and clears EXT (SDM vol. 3, 6.12.1.1, 6.13).
  bool software = false;
};

[[noreturn]] inline void raise_fault(Vector v) { throw CpuFault{static_cast<u8>(v), false, 0}; }
[[noreturn]] inline void raise_fault(Vector v, u32 error_code) {
  throw CpuFault{static_cast<u8>(v), true, error_code};
}
[[noreturn]] inline void raise_trap(u8 vector) { throw CpuFault{vector, false, 0, true}; }
[[noreturn]] inline void raise_software_interrupt(u8 vector) { throw CpuFault{vector, false, 0, true, 0, true}; }

// #PF error code bits (SDM vol. 3, 4.7).
namespace pf_error {
inline constexpr u32 Present = 1u << 0;  // 0: not-present page; 1: protection violation
inline constexpr u32 Write = 1u << 1;
inline constexpr u32 User = 1u << 2;
inline constexpr u32 Reserved = 1u << 3;
inline constexpr u32 Fetch = 1u << 4;  // only with PAE NX or SMEP, neither of which ring1 models: always 0
}  // namespace pf_error

[[noreturn]] inline void raise_page_fault(u32 linear, u32 error_code) {
  throw CpuFault{static_cast<u8>(Vector::PF), true, error_code, false, linear};
}

}  // namespace ring1
