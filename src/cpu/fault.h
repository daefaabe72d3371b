// Architectural exceptions raised while executing an instruction (SDM vol. 3, 6.15).
// A fault is thrown as a C++ exception from wherever it is detected (deep inside a memory access, say)
// and caught once at the instruction boundary by the run loop; the hot path stays exception-free
// because nothing is thrown unless the guest really faults.
#pragma once
#include <string_view>

#include "cpu/types.h"

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

std::string_view vector_name(u8 vector);

struct CpuFault {
  u8 vector;
  bool has_error_code;
  u32 error_code;
  // A trap (INT n, INT3, INTO) reports the EIP of the next instruction; a fault the faulting one.
  bool trap = false;
};

[[noreturn]] inline void raise_fault(Vector v) { throw CpuFault{static_cast<u8>(v), false, 0}; }
[[noreturn]] inline void raise_fault(Vector v, u32 error_code) {
  throw CpuFault{static_cast<u8>(v), true, error_code};
}
[[noreturn]] inline void raise_trap(u8 vector) { throw CpuFault{vector, false, 0, true}; }

}  // namespace ring1
