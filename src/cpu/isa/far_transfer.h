// Builders for the far forms of JMP, CALL and RET (SDM vol. 2, JMP, CALL, RET), which change CS. The near
// builders in control.cpp route a pointer operand, an m16:16/m16:32 operand or RETF (CA/CB) here.
#pragma once
#include "cpu/isa/build.h"

namespace ring1 {

// A memory operand of JMP/CALL is a far pointer when it is two bytes wider than the operand size
// (m16:16 = 4 bytes with o16, m16:32 = 6 bytes with o32); the near forms are exactly the operand size.
inline bool is_far_pointer(const DecodedInsn& d, const Operand& o) {
  return o.kind == OpKind::Ptr || (o.kind == OpKind::Mem && o.size == d.operand_size + 2);
}

bool build_far_jmp(const DecodedInsn& d, Insn& i, BuildInfo& info);
bool build_far_call(const DecodedInsn& d, Insn& i, BuildInfo& info);
bool build_far_ret(const DecodedInsn& d, Insn& i, BuildInfo& info);

}  // namespace ring1
