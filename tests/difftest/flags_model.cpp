// The flags-and-validity model: which EFLAGS an instruction reads, writes and leaves undefined, refined with
// the values it actually sees. Zydis's static masks are exact for most instructions; shifts and rotates
// depend on the count (a zero count writes no flag, OF is defined only for a count of 1, SHL/SHR leave CF
// undefined once the count reaches the operand width, SHLD/SHRD have an undefined result past it), BSF/BSR
// leave the destination undefined for a zero source, and REP strings with ECX = 0 do nothing. The ring1
// runner calls runtime_effect() before each instruction with the state ring1 is in; a sequence whose result
// would be undefined, or that would touch memory outside the shared buffer, is skipped and regenerated.
// host_quirk_mask() is the table of flags masked because the host CPU disagrees with the SDM.
#include <cstring>

#include "difftest.h"

namespace difftest {

u32 reg_value(ZydisRegister r, const State& s) {
  if (r >= ZYDIS_REGISTER_EAX && r <= ZYDIS_REGISTER_EDI) return s.gpr[r - ZYDIS_REGISTER_EAX];
  if (r >= ZYDIS_REGISTER_AX && r <= ZYDIS_REGISTER_DI) return s.gpr[r - ZYDIS_REGISTER_AX] & 0xFFFF;
  if (r >= ZYDIS_REGISTER_AL && r <= ZYDIS_REGISTER_BL) return s.gpr[r - ZYDIS_REGISTER_AL] & 0xFF;
  if (r >= ZYDIS_REGISTER_AH && r <= ZYDIS_REGISTER_BH) return (s.gpr[r - ZYDIS_REGISTER_AH] >> 8) & 0xFF;
  return 0;
}

namespace {

u32 effective_address(const ZydisEncoderOperand& op, const State& s) {
  u32 a = u32(op.mem.displacement);
  if (op.mem.base != ZYDIS_REGISTER_NONE) a += reg_value(op.mem.base, s);
  if (op.mem.index != ZYDIS_REGISTER_NONE) a += reg_value(op.mem.index, s) * op.mem.scale;
  return a;
}

bool in_buf(u32 addr, u64 len) { return addr >= kBufAddr && u64(addr) + len <= u64(kBufAddr) + kBufSize; }

u32 read_buf(const u8* buf, u32 addr, u32 size) {
  u32 v = 0;
  std::memcpy(&v, buf + (addr - kBufAddr), size);
  return v;
}

bool has_rep(const GenInsn& in) {
  return in.req.prefixes & (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | ZYDIS_ATTRIB_HAS_REPNE);
}

}  // namespace

RuntimeEffect runtime_effect(const GenInsn& in, const State& pre, const u8* buf) {
  RuntimeEffect e;
  e.tested = in.tested;
  e.modified = in.modified;
  e.undefined = in.undefined;
  const ZydisEncoderRequest& r = in.req;
  const ZydisMnemonic m = r.mnemonic;

  // Memory operands stay inside the buffer.
  for (int k = 0; k < r.operand_count; ++k) {
    const ZydisEncoderOperand& op = r.operands[k];
    if (op.type != ZYDIS_OPERAND_TYPE_MEMORY || m == ZYDIS_MNEMONIC_LEA) continue;
    u32 ea = effective_address(op, pre);
    if (in.kind == Kind::BitTest && r.operands[1].type == ZYDIS_OPERAND_TYPE_REGISTER) {
      // A register bit offset is signed and addresses whole operands away from the base (SDM BT).
      int32_t off = in.opsize == 2 ? int32_t(int16_t(reg_value(r.operands[1].reg.value, pre)))
                                   : int32_t(reg_value(r.operands[1].reg.value, pre));
      int32_t units = in.opsize == 2 ? (off >> 4) : (off >> 5);
      ea += u32(units * int32_t(in.opsize));
    }
    if (!in_buf(ea, op.mem.size)) {
      e.valid = false;
      e.why = "memory operand outside the buffer";
      return e;
    }
  }

  switch (in.kind) {
    case Kind::Shift:
    case Kind::Rotate:
    case Kind::RotateCarry:
    case Kind::DoubleShift: {
      const ZydisEncoderOperand& cnt = r.operands[r.operand_count - 1];
      u32 c = (cnt.type == ZYDIS_OPERAND_TYPE_IMMEDIATE ? u32(cnt.imm.u) : reg_value(cnt.reg.value, pre)) & 31;
      const u32 bits = in.opsize * 8u;
      if (c == 0) {  // "If the count is 0, the flags are not affected" (SDM SAL/SAR/SHL/SHR, ROL..., SHLD)
        e.flags_untouched = true;
        e.modified = e.undefined = 0;
        e.tested = 0;
        return e;
      }
      const u32 of_undef = c != 1 ? kOF : 0;
      if (in.kind == Kind::Shift) {
        e.modified = kCF | kPF | kZF | kSF | kOF | kAF;
        e.undefined = kAF | of_undef;
        if ((m == ZYDIS_MNEMONIC_SHL || m == ZYDIS_MNEMONIC_SHR) && c >= bits) e.undefined |= kCF;
      } else if (in.kind == Kind::DoubleShift) {
        if (c > bits) {
          e.valid = false;
          e.why = "SHLD/SHRD count larger than the operand size (result undefined)";
          return e;
        }
        e.modified = kCF | kPF | kZF | kSF | kOF | kAF;
        e.undefined = kAF | of_undef;
      } else {  // ROL/ROR/RCL/RCR: CF and OF only
        e.modified = kCF | kOF;
        e.undefined = of_undef;
      }
      e.modified &= ~e.undefined;
      return e;
    }
    case Kind::BitScan: {
      const ZydisEncoderOperand& src = r.operands[1];
      u32 v = src.type == ZYDIS_OPERAND_TYPE_REGISTER ? reg_value(src.reg.value, pre)
                                                      : read_buf(buf, effective_address(src, pre), in.opsize);
      if (v == 0) {
        e.valid = false;
        e.why = "BSF/BSR of zero (destination undefined)";
      }
      return e;
    }
    case Kind::String: {
      const bool rep = has_rep(in);
      const u32 count = rep ? pre.gpr[ECX] : 1;
      // REPE/REPNE end on the ZF their own compare wrote; the incoming ZF is not an input.
      e.tested &= ~kZF;
      if (count == 0) {
        e.flags_untouched = true;
        e.modified = e.undefined = e.tested = 0;
        return e;
      }
      const u32 sz = in.opsize;
      const bool down = pre.eflags & kDF;
      auto range_ok = [&](u32 start) {
        u64 lo = down ? u64(start) - u64(count - 1) * sz : start;
        return lo <= 0xFFFFFFFFu && in_buf(u32(lo), u64(count) * sz);
      };
      const bool src = m == ZYDIS_MNEMONIC_MOVSB || m == ZYDIS_MNEMONIC_MOVSW || m == ZYDIS_MNEMONIC_MOVSD ||
                       m == ZYDIS_MNEMONIC_CMPSB || m == ZYDIS_MNEMONIC_CMPSW || m == ZYDIS_MNEMONIC_CMPSD ||
                       m == ZYDIS_MNEMONIC_LODSB || m == ZYDIS_MNEMONIC_LODSW || m == ZYDIS_MNEMONIC_LODSD;
      const bool dst = !(m == ZYDIS_MNEMONIC_LODSB || m == ZYDIS_MNEMONIC_LODSW || m == ZYDIS_MNEMONIC_LODSD);
      if ((src && !range_ok(pre.gpr[ESI])) || (dst && !range_ok(pre.gpr[EDI]))) {
        e.valid = false;
        e.why = "string operands outside the buffer";
      }
      return e;
    }
    default:
      return e;
  }
}

// Flags the host CPU (AMD EPYC) computes differently from the SDM where the SDM defines them. Each entry
// masks only the named flags of that one instruction, and is reported by the tester's author.
// (Empty: no disagreement found so far.)
struct HostQuirk {
  ZydisMnemonic mnemonic;
  u32 flags;
  const char* note;
};
static constexpr HostQuirk kHostQuirks[] = {
    {ZYDIS_MNEMONIC_INVALID, 0, "placeholder"},
};

u32 host_quirk_mask(const GenInsn& in) {
  u32 mask = 0;
  for (const HostQuirk& q : kHostQuirks)
    if (q.mnemonic == in.req.mnemonic) mask |= q.flags;
  return mask;
}

}  // namespace difftest
