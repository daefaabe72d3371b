// A decoded instruction in ring1's own terms: the decoder's output and the ISA builders' input.
// Nothing here names a Zydis type, so the builders and handlers do not depend on the disassembler library.
#pragma once
#include <string_view>

#include "common/types.h"
#include "cpu/cpu_model.h"

namespace ring1 {

enum class Mnemonic : u16 {
  Invalid = 0,
#define X(name) name,
#include "cpu/isa/mnemonics.def"
#undef X
  Count
};

std::string_view mnemonic_name(Mnemonic m);

enum class OpKind : u8 { None, Reg, Mem, Imm, Ptr };
enum class RegClass : u8 { None, Gpr8, Gpr16, Gpr32, Seg, Cr, Dr, Other };

struct Operand {
  OpKind kind = OpKind::None;
  u8 size = 0;  // in bytes
  // Reg: the register number in its class (Gpr8: 0..7 = AL CL DL BL AH CH DH BH; Seg: ES CS SS DS FS GS).
  RegClass reg_class = RegClass::None;
  u8 reg = 0;
  // Mem
  u8 seg = 0;
  u8 base = 8, index = 8;  // 8 = none
  u8 scale = 0;            // shift count
  u32 disp = 0;
  // Imm (sign-extended to 32 bits where the encoding sign-extends) and Ptr
  u32 imm = 0;
  bool relative = false;
  u16 ptr_selector = 0;
};

inline constexpr u8 kNoSegOverride = 0xFF;

struct DecodedInsn {
  Mnemonic mnemonic = Mnemonic::Invalid;
  u8 length = 0;
  u8 operand_size = 4;  // bytes: 2 or 4 (effective)
  u8 address_size = 4;  // bytes: 2 or 4 (effective)
  bool rep = false, repne = false, lock = false;
  // The segment named by a segment-override prefix (SegReg order: ES CS SS DS FS GS), or kNoSegOverride.
  // Needed for instructions whose memory operands are implicit (MOVS, CMPS, LODS, OUTS, XLAT): Zydis lists
  // those operands as hidden, and only visible operands are copied into op[].
  u8 seg_override = 0xFF;
  u8 opcode = 0;        // the primary opcode byte (distinguishes forms Zydis gives one mnemonic)
  u8 escape = 0;        // the opcode map: 0 one-byte, 1 0F, 2 anything longer (0F38, 0F3A, VEX...)
  u8 operand_count = 0; // visible operands only
  Operand op[4];
  // The processor generation decoded for (the decode cache fills it in; builders of model-dependent forms
  // read it).
  CpuModel model = kDefaultCpuModel;
};

}  // namespace ring1
