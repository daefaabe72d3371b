// Encoding: turns each abstract instruction (a ZydisEncoderRequest) into two byte strings with the Zydis
// encoder: IA-32 (LEGACY_32) for ring1, and LONG_64 with a 32-bit address size (0x67) for the host. Jcc
// displacements are computed per side because the 0x67 prefix makes the 64-bit encodings longer. Both
// encodings are decoded back and must disassemble to the same text, so a generator or encoder surprise shows
// up as a tester error rather than as a bogus ring1 mismatch. The 32-bit decode also yields Zydis's EFLAGS
// masks (tested/modified/undefined) that the flags model starts from.
#include <cstring>

#include "difftest.h"

namespace difftest {

namespace {

bool encode_one(ZydisEncoderRequest req, ZydisMachineMode mode, u8* out, u8& len) {
  req.machine_mode = mode;
  if (mode == ZYDIS_MACHINE_MODE_LONG_64) req.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
  ZyanUSize n = 16;
  if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstruction(&req, out, &n))) return false;
  len = u8(n);
  return true;
}

std::string disasm(ZydisMachineMode mode, const u8* b, u8 len, u64 at = 0) {
  ZydisDisassembledInstruction d;
  if (!ZYAN_SUCCESS(ZydisDisassembleIntel(mode, at, b, len, &d))) return "(bad)";
  return d.text;
}

const ZydisDecoder& decoder32() {
  static ZydisDecoder d = [] {
    ZydisDecoder x;
    ZydisDecoderInit(&x, ZYDIS_MACHINE_MODE_LEGACY_32, ZYDIS_STACK_WIDTH_32);
    return x;
  }();
  return d;
}

}  // namespace

std::string disassemble32(const u8* bytes, u8 len) { return disasm(ZYDIS_MACHINE_MODE_LEGACY_32, bytes, len); }

bool encode_sequence(Sequence& s, std::string* error) {
  auto fail = [&](const GenInsn& g, const char* what) {
    if (error) *error = std::string(what) + " (" + ZydisMnemonicGetString(g.req.mnemonic) + ")";
    return false;
  };
  // Pass 1: everything but branches; branches are short (2 bytes) on both sides.
  for (GenInsn& g : s.insns) {
    if (g.kind == Kind::Branch) {
      g.len32 = g.len64 = 2;
      continue;
    }
    if (!encode_one(g.req, ZYDIS_MACHINE_MODE_LEGACY_32, g.b32, g.len32)) return fail(g, "encode32 failed");
    if (!encode_one(g.req, ZYDIS_MACHINE_MODE_LONG_64, g.b64, g.len64)) return fail(g, "encode64 failed");
    // The encoder prefers the one-byte INC/DEC (0x40-0x4F), which are REX prefixes in 64-bit mode. The
    // 64-bit encoding of a register INC/DEC (FE/FF /0 /1) has no REX here and means the same in IA-32.
    u8 k = g.b32[0] == 0x66 ? 1 : 0;
    if (g.b32[k] >= 0x40 && g.b32[k] <= 0x4F) {
      std::memcpy(g.b32, g.b64, g.len64);
      g.len32 = g.len64;
    }
  }
  // Pass 2: branch displacements, per side.
  const size_t n = s.insns.size();
  std::vector<u32> off32(n + 1, 0), off64(n + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    off32[i + 1] = off32[i] + s.insns[i].len32;
    off64[i + 1] = off64[i] + s.insns[i].len64;
  }
  for (size_t i = 0; i < n; ++i) {
    GenInsn& g = s.insns[i];
    if (g.kind != Kind::Branch) continue;
    ZydisEncoderRequest r = g.req;
    r.branch_type = ZYDIS_BRANCH_TYPE_SHORT;
    r.operand_count = 1;
    r.operands[0].type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
    r.operands[0].imm.s = std::int64_t(off32[g.jcc_target]) - std::int64_t(off32[i + 1]);
    if (!encode_one(r, ZYDIS_MACHINE_MODE_LEGACY_32, g.b32, g.len32) || g.len32 != 2) return fail(g, "jcc32");
    r.operands[0].imm.s = std::int64_t(off64[g.jcc_target]) - std::int64_t(off64[i + 1]);
    if (!encode_one(r, ZYDIS_MACHINE_MODE_LONG_64, g.b64, g.len64) || g.len64 != 2) return fail(g, "jcc64");
  }
  // Decode back: same meaning on both sides, and the flag masks.
  for (size_t i = 0; i < n; ++i) {
    GenInsn& g = s.insns[i];
    // Branch targets print as offsets from the start of the sequence.
    g.text = disasm(ZYDIS_MACHINE_MODE_LEGACY_32, g.b32, g.len32, off32[i]);
    if (g.kind != Kind::Branch && g.text != disasm(ZYDIS_MACHINE_MODE_LONG_64, g.b64, g.len64))
      return fail(g, ("32/64-bit encodings differ: " + g.text + " vs " +
                      disasm(ZYDIS_MACHINE_MODE_LONG_64, g.b64, g.len64)).c_str());
    ZydisDecodedInstruction d;
    ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
    if (!ZYAN_SUCCESS(ZydisDecoderDecodeFull(&decoder32(), g.b32, g.len32, &d, ops)) || d.length != g.len32)
      return fail(g, "decode32 failed");
    if (d.cpu_flags) {
      g.tested = d.cpu_flags->tested;
      g.modified = d.cpu_flags->modified | d.cpu_flags->set_0 | d.cpu_flags->set_1;
      g.undefined = d.cpu_flags->undefined;
    }
  }
  return true;
}

}  // namespace difftest
