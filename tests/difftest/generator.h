// The random sequence generator (see generator.cpp).
#pragma once
#include <string>
#include <vector>

#include "difftest.h"

namespace difftest {

// Instruction families; --families selects a subset by these names.
enum Family : u32 {
  kFamAlu = 1u << 0,     // ADD ADC SUB SBB CMP AND OR XOR TEST INC DEC NEG NOT
  kFamMov = 1u << 1,     // MOV MOVZX MOVSX LEA XCHG
  kFamCmov = 1u << 2,    // CMOVcc
  kFamSetcc = 1u << 3,   // SETcc
  kFamJcc = 1u << 4,     // Jcc forward inside the sequence
  kFamShift = 1u << 5,   // SHL SHR SAR ROL ROR RCL RCR SHLD SHRD
  kFamMulDiv = 1u << 6,  // MUL IMUL DIV IDIV
  kFamBitOps = 1u << 7,  // BT BTS BTR BTC BSF BSR
  kFamAtomic = 1u << 8,  // XADD CMPXCHG
  kFamMisc = 1u << 9,    // BSWAP CBW CWDE CWD CDQ CLC STC CMC LAHF SAHF
  kFamString = 1u << 10, // MOVS CMPS SCAS LODS STOS (+REP/REPE/REPNE)
  kFamAll = (1u << 11) - 1,
};

// Parses "alu,mov,..." or "all"; returns false and names the bad entry in `error`.
bool parse_families(const std::string& list, u32& out, std::string& error);
std::string family_names(u32 fams);

struct GenConfig {
  u32 families = kFamAll;
  bool lahf_sahf = true;  // the host supports LAHF/SAHF in 64-bit mode (CPUID 8000_0001h:ECX.LAHF-LM)
  int max_len = 8;
};

// Builds sequence `number` of the stream `seed`; `attempt` > 0 gives a different sequence for the same
// number (used when a sequence turns out to have an undefined result). Deterministic in all three.
Sequence generate(const GenConfig& cfg, u64 seed, u64 number, u32 attempt);

}  // namespace difftest
