// Helpers the instruction families use to turn a DecodedInsn into an Insn: register offsets, memory operand
// fields, and choosing a handler instantiation by operand size.
#pragma once
#include "common/cost_profile.h"
#include "cpu/decode/decoded_insn.h"
#include "cpu/insn.h"
#include "cpu/segment.h"

namespace ring1 {

// What a family's builder fills in besides the Insn itself.
struct BuildInfo {
  CostClass cost = CostClass::Simple;
};

// A builder returns false when the operand form is one it does not execute (the instruction becomes #UD).
using Builder = bool (*)(const DecodedInsn&, Insn&, BuildInfo&);

// Byte offset of a general register in Cpu::gpr, read through a little-endian view:
// AL..BL are bytes 0, 4, 8, 12; AH..BH bytes 1, 5, 9, 13; 16/32-bit registers start at 4*n.
inline u8 gpr_offset(const Operand& o) {
  if (o.reg_class == RegClass::Gpr8) return o.reg < 4 ? u8(o.reg * 4) : u8((o.reg - 4) * 4 + 1);
  return u8(o.reg * 4);
}
inline u8 gpr_offset(u8 reg32) { return u8(reg32 * 4); }

inline bool is_gpr(const Operand& o) {
  return o.kind == OpKind::Reg &&
         (o.reg_class == RegClass::Gpr8 || o.reg_class == RegClass::Gpr16 || o.reg_class == RegClass::Gpr32);
}

inline void set_mem(Insn& i, const Operand& o, const DecodedInsn& d) {
  i.base = o.base;
  i.index = o.index;
  i.scale = o.scale;
  i.disp = o.disp;
  i.seg = o.seg;
  i.amask = d.address_size == 2 ? 0xFFFFu : 0xFFFFFFFFu;
}

// The segment of an implicit source operand (MOVS/CMPS/LODS/OUTS source, XLAT): DS unless overridden.
inline u8 implicit_source_segment(const DecodedInsn& d) {
  return d.seg_override < kSegCount ? d.seg_override : u8(DS);
}

// Picks the u8/u16/u32 instantiation for an operand size in bytes; nullptr for other sizes.
inline Handler by_size(u8 size, Handler h8, Handler h16, Handler h32) {
  switch (size) {
    case 1: return h8;
    case 2: return h16;
    case 4: return h32;
    default: return nullptr;
  }
}

#define RING1_BY_SIZE(size, TEMPLATE, ...) \
  ::ring1::by_size((size), &TEMPLATE<u8 __VA_OPT__(, ) __VA_ARGS__>, &TEMPLATE<u16 __VA_OPT__(, ) __VA_ARGS__>, \
                   &TEMPLATE<u32 __VA_OPT__(, ) __VA_ARGS__>)
// Same for instructions that have no 8-bit form.
#define RING1_BY_SIZE_16_32(size, TEMPLATE, ...) \
  ::ring1::by_size((size), nullptr, &TEMPLATE<u16 __VA_OPT__(, ) __VA_ARGS__>, &TEMPLATE<u32 __VA_OPT__(, ) __VA_ARGS__>)

// The cost class of an instruction by whether it touches memory and how.
inline CostClass mem_cost(const DecodedInsn& d, bool writes_dest) {
  for (u8 k = 0; k < d.operand_count; ++k)
    if (d.op[k].kind == OpKind::Mem) return (k == 0 && writes_dest) ? CostClass::Store : CostClass::Load;
  return CostClass::Simple;
}

}  // namespace ring1
