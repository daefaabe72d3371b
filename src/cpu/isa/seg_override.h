// The segment-override prefix of an instruction whose memory operands are implicit (MOVS, CMPS, LODS, XLAT).
// Zydis lists those operands as hidden, and DecodedInsn carries visible operands only, so a builder cannot see
// an override. Until the decoder reports it (see the strings family's report), a builder that cannot rule an
// override out stores kSegFromPrefixes and the handler reads the prefix bytes once per execution.
#pragma once
#include "cpu/cpu.h"
#include "cpu/decode/decoded_insn.h"

namespace ring1 {

inline constexpr u8 kSegFromPrefixes = 0xFF;

// The segment an implicit memory operand uses: DS unless a prefix overrides it. `base` is the operand's base
// register (ESI for string sources, EBX for XLAT), used if the decoder one day lists the operand.
inline u8 implicit_source_segment(const DecodedInsn& d, u8 base) {
  for (u8 k = 0; k < d.operand_count; ++k)
    if (d.op[k].kind == OpKind::Mem && d.op[k].base == base) return d.op[k].seg;
  // Prefixes that are certainly present: REP/REPNE. Anything beyond them might be a segment override
  // (or 66/67/redundant prefixes, which the handler's scan tells apart).
  u8 known = (d.rep || d.repne) ? 1 : 0;
  return d.length == 1 + known ? u8(DS) : kSegFromPrefixes;
}

// Scans the legacy prefixes of the instruction at CS:EIP (SDM vol. 2, 2.1.1); the last segment prefix wins.
// The bytes were fetched to decode this instruction, so reading them again cannot fault.
inline u8 scan_segment_prefix(Cpu& c) {
  u32 lin = c.seg[CS].base + c.eip;
  u8 s = DS;
  for (u32 k = 0; k < 14; ++k) {
    switch (c.mmu().read<u8>(lin + k)) {
      case 0x26: s = ES; break;
      case 0x2E: s = CS; break;
      case 0x36: s = SS; break;
      case 0x3E: s = DS; break;
      case 0x64: s = FS; break;
      case 0x65: s = GS; break;
      case 0x66: case 0x67: case 0xF0: case 0xF2: case 0xF3: break;
      default: return s;
    }
  }
  return s;
}

inline u8 resolve_segment(Cpu& c, u8 seg) { return seg != kSegFromPrefixes ? seg : scan_segment_prefix(c); }

}  // namespace ring1
