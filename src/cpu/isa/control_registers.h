// MOV to and from control and debug registers (SDM vol. 2, MOV--Move to/from Control Registers and Debug
// Registers). Zydis names these MOV, so the data-movement builder hands them here.
#pragma once
#include "cpu/isa/build.h"

namespace ring1 {

bool build_mov_control(const DecodedInsn& d, Insn& i, BuildInfo& info);

}  // namespace ring1
