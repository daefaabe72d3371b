// The one place ring1 decodes with Zydis: bytes in, a DecodedInsn (ring1's own terms) out.
// Also the Zydis formatter, for traces, reports and the debugger's disassembly. The class is InsnDecoder, not
// a name of Zydis's own (Zydis's C decoder type is ZydisDecoder), so that both can be named in one file.
#pragma once
#include <memory>
#include <string>

#include "cpu/decode/decoded_insn.h"

namespace ring1 {

enum class DecodeStatus : u8 { Ok, NeedMoreBytes, Invalid };

class InsnDecoder {
 public:
  InsnDecoder();
  ~InsnDecoder();
  InsnDecoder(const InsnDecoder&) = delete;
  InsnDecoder& operator=(const InsnDecoder&) = delete;

  // code32 selects the default operand/address size (CS.D). `avail` bytes are readable at `bytes`.
  DecodeStatus decode(const u8* bytes, u32 avail, bool code32, DecodedInsn& out) const;

  // Intel-syntax disassembly of one instruction at `eip`, or "(bad)".
  std::string disassemble(const u8* bytes, u32 avail, bool code32, u32 eip) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ring1
