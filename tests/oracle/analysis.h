// Static analysis of a generated sequence with Zydis (independently of ring1's own decoder): the Intel
// disassembly for reports, a check that Zydis decodes each instruction at exactly the generated length,
// and EFLAGS definedness. A flag is undefined after instruction k if the last instruction up to k that
// wrote it left it undefined (Zydis's per-instruction undefined/modified masks, or the generator's own
// count-dependent masks for shifts). A sequence in which an instruction tests a flag that is undefined at
// that point is rejected (the generator makes another), since its outcome is architecturally unspecified.
#pragma once
#include <string>
#include <vector>

#include "oracle/generator.h"

namespace ring1::oracle {

struct InsnInfo {
  u32 offset = 0;  // from the start of the code
  std::string text;
  u32 tested = 0, written = 0, undefined = 0;
};

struct Analysis {
  bool valid = false;
  std::string reason;           // why not valid
  std::vector<InsnInfo> insns;
  std::vector<u32> undef_after;  // [k]: flags undefined after the first k instructions (size n + 1)
  u32 code_size = 0;
  // Flags undefined at the end of a run that stopped at `eip` (the end, or an exception/trap there).
  u32 undefined_at(u32 eip, u32 code_base) const;
};

Analysis analyze(const Sequence& seq);

}  // namespace ring1::oracle
