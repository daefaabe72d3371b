// The random sequence generator. A sequence is 1 to 8 instructions drawn from the enabled families, with
// random operand sizes (8/16/32), register/memory/immediate forms and "interesting" values (0, 1, sign
// boundaries, all-ones, small counts). Memory operands always use one base register (and sometimes one
// index register) that the sequence never writes, so they stay inside the shared buffer; string sequences
// keep ESI/EDI pointing into it and ECX small. Registers that must hold such values are constrained when
// the initial state is drawn, after the instructions. What cannot be known statically (a register bit
// offset, a modified count) is checked at run time by flags_model.cpp, which skips the rare sequence that
// leaves the buffer or has an undefined result. Everything is derived from (seed, number, attempt) so a
// reported mismatch can be regenerated with --seed/--start/--count 1.
#include "generator.h"

#include <random>
#include <sstream>

namespace difftest {

namespace {

struct FamilyName {
  Family f;
  const char* name;
};
constexpr FamilyName kFamilyNames[] = {
    {kFamAlu, "alu"},       {kFamMov, "mov"},       {kFamCmov, "cmov"},     {kFamSetcc, "setcc"},
    {kFamJcc, "jcc"},       {kFamShift, "shift"},   {kFamMulDiv, "muldiv"}, {kFamBitOps, "bitops"},
    {kFamAtomic, "atomic"}, {kFamMisc, "misc"},     {kFamString, "string"},
};

constexpr ZydisMnemonic kJcc[16] = {
    ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_JB, ZYDIS_MNEMONIC_JNB,
    ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_JNBE,
    ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_JP, ZYDIS_MNEMONIC_JNP,
    ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_JNLE};
constexpr ZydisMnemonic kCmov[16] = {
    ZYDIS_MNEMONIC_CMOVO, ZYDIS_MNEMONIC_CMOVNO, ZYDIS_MNEMONIC_CMOVB, ZYDIS_MNEMONIC_CMOVNB,
    ZYDIS_MNEMONIC_CMOVZ, ZYDIS_MNEMONIC_CMOVNZ, ZYDIS_MNEMONIC_CMOVBE, ZYDIS_MNEMONIC_CMOVNBE,
    ZYDIS_MNEMONIC_CMOVS, ZYDIS_MNEMONIC_CMOVNS, ZYDIS_MNEMONIC_CMOVP, ZYDIS_MNEMONIC_CMOVNP,
    ZYDIS_MNEMONIC_CMOVL, ZYDIS_MNEMONIC_CMOVNL, ZYDIS_MNEMONIC_CMOVLE, ZYDIS_MNEMONIC_CMOVNLE};
constexpr ZydisMnemonic kSetcc[16] = {
    ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_SETB, ZYDIS_MNEMONIC_SETNB,
    ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_SETNBE,
    ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_SETNP,
    ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_SETNLE};

constexpr u32 kSpecial[] = {0,          1,          2,          0x7F,       0x80,       0xFF,
                            0x100,      0x7FFF,     0x8000,     0xFFFF,     0x10000,    0x7FFFFFFF,
                            0x80000000, 0xFFFFFFFF, 0xFFFFFFFE, 0x80000001, 0xFFFF8000, 0xFFFFFF80};

// What the initial state must hold in a register.
enum class Need : u8 { Any, Ptr, StrPtr, Index, Count, BitOff };

struct Ctx {
  std::mt19937_64 rng;
  const GenConfig& cfg;
  u32 no_write = 0;     // registers (bit per Reg) that no instruction may name as a written operand
  u32 no_implicit = 0;  // registers that no instruction may write implicitly (base/index of memory)
  Need need[kRegs] = {};
  Reg base = EBX;
  int index = -1;  // Reg or -1
  u8 scale = 1;
  bool strings = false;
  std::vector<GenInsn> out;

  Ctx(u64 s, const GenConfig& c) : rng(s), cfg(c) {}

  u32 below(u32 n) { return u32(rng() % n); }
  bool chance(u32 percent) { return below(100) < percent; }

  u32 value() {
    switch (below(10)) {
      case 0: case 1: case 2: case 3: return u32(rng());
      case 4: return below(17);
      case 5: return kSpecial[below(std::size(kSpecial))];
      case 6: return u32(-int32_t(below(17)));
      case 7: return below(256);
      case 8: return below(65536);
      default: {
        static constexpr u8 b[] = {0, 1, 0x7F, 0x80, 0xFF};
        return u32(b[below(5)]) | u32(b[below(5)]) << 8 | u32(b[below(5)]) << 16 | u32(b[below(5)]) << 24;
      }
    }
  }
  u8 opsize() {
    u32 r = below(4);
    return r == 0 ? 1 : r == 1 ? 2 : 4;
  }
  static ZydisRegister reg_of(int r, u8 size) {
    if (size == 4) return ZydisRegister(ZYDIS_REGISTER_EAX + r);
    if (size == 2) return ZydisRegister(ZYDIS_REGISTER_AX + r);
    return ZydisRegister(ZYDIS_REGISTER_AL + r);  // AL CL DL BL AH CH DH BH
  }
  // The 32-bit register a sub-register number of `size` lives in.
  static int parent(int r, u8 size) { return size == 1 ? (r & 3) : r; }

  // A register operand number; `write` excludes protected registers. -1 if none is possible.
  int pick_reg(u8 size, bool write) {
    for (int tries = 0; tries < 32; ++tries) {
      int r = int(below(8));
      if (size != 1 && r == ESP) continue;
      if (write && (no_write >> parent(r, size) & 1)) continue;
      return r;
    }
    return -1;
  }
  bool implicit_ok(std::initializer_list<Reg> regs) const {
    for (Reg r : regs)
      if (no_implicit >> r & 1) return false;
    return true;
  }

  ZydisEncoderOperand reg_op(int r, u8 size) {
    ZydisEncoderOperand o{};
    o.type = ZYDIS_OPERAND_TYPE_REGISTER;
    o.reg.value = reg_of(r, size);
    return o;
  }
  ZydisEncoderOperand mem_op(u8 size) {
    ZydisEncoderOperand o{};
    o.type = ZYDIS_OPERAND_TYPE_MEMORY;
    o.mem.base = reg_of(base, 4);
    o.mem.index = ZYDIS_REGISTER_NONE;
    if (index >= 0 && chance(50)) {
      o.mem.index = reg_of(index, 4);
      o.mem.scale = scale;
    }
    switch (below(4)) {
      case 0: o.mem.displacement = 0; break;
      case 1: o.mem.displacement = int(below(129)) - 64; break;
      case 2: o.mem.displacement = int(below(17)) - 8; break;
      default: o.mem.displacement = int(below(513)) - 256; break;
    }
    o.mem.size = size;
    return o;
  }
  ZydisEncoderOperand imm_op(u32 v) {
    ZydisEncoderOperand o{};
    o.type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
    o.imm.u = v;
    return o;
  }
  ZydisEncoderOperand imm_sized(u8 size) {
    u32 v = value();
    if (size == 1) return imm_op(u32(int32_t(int8_t(v))));  // the encoder wants the signed value
    if (size == 2) return imm_op(u32(int32_t(int16_t(v))));
    return imm_op(u32(int32_t(v)));
  }

  GenInsn& emit(ZydisMnemonic m, u8 size, std::initializer_list<ZydisEncoderOperand> ops, Kind k = Kind::Plain) {
    GenInsn g;
    g.req.mnemonic = m;
    g.req.operand_count = u8(ops.size());
    int i = 0;
    for (const auto& o : ops) {
      g.req.operands[i] = o;
      if (o.type == ZYDIS_OPERAND_TYPE_IMMEDIATE) g.req.operands[i].imm.s = int64_t(int32_t(u32(o.imm.u)));
      ++i;
    }
    g.opsize = size;
    g.kind = k;
    out.push_back(g);
    return out.back();
  }

  // A destination that is written: register (not protected) or memory. Returns false if impossible.
  bool dst(u8 size, ZydisEncoderOperand& o, bool memory_ok = true) {
    if (memory_ok && chance(35)) {
      o = mem_op(size);
      return true;
    }
    int r = pick_reg(size, true);
    if (r < 0) return false;
    o = reg_op(r, size);
    return true;
  }
  // A source: register, or memory if allowed.
  ZydisEncoderOperand src(u8 size, bool memory_ok) {
    if (memory_ok && chance(30)) return mem_op(size);
    return reg_op(pick_reg(size, false), size);
  }

  // ---- families; each returns false if it could not produce an instruction here ----
  bool gen_alu() {
    static constexpr ZydisMnemonic bin[] = {ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_ADC, ZYDIS_MNEMONIC_SUB,
                                            ZYDIS_MNEMONIC_SBB, ZYDIS_MNEMONIC_CMP, ZYDIS_MNEMONIC_AND,
                                            ZYDIS_MNEMONIC_OR,  ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_TEST};
    static constexpr ZydisMnemonic un[] = {ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC, ZYDIS_MNEMONIC_NEG,
                                           ZYDIS_MNEMONIC_NOT};
    u8 sz = opsize();
    if (chance(25)) {
      ZydisEncoderOperand d;
      if (!dst(sz, d)) return false;
      emit(un[below(4)], sz, {d});
      return true;
    }
    ZydisMnemonic m = bin[below(9)];
    const bool writes = m != ZYDIS_MNEMONIC_CMP && m != ZYDIS_MNEMONIC_TEST;
    ZydisEncoderOperand d;
    switch (below(5)) {
      case 0:  // r/m, r
        if (writes ? !dst(sz, d) : (d = src(sz, true), false)) return false;
        emit(m, sz, {d, reg_op(pick_reg(sz, false), sz)});
        return true;
      case 1: {  // r, m (TEST has no r, m form)
        if (m == ZYDIS_MNEMONIC_TEST) return false;
        int r = pick_reg(sz, writes);
        if (r < 0) return false;
        emit(m, sz, {reg_op(r, sz), mem_op(sz)});
        return true;
      }
      default:  // r/m, imm
        if (writes ? !dst(sz, d) : (d = src(sz, true), false)) return false;
        emit(m, sz, {d, imm_sized(sz)});
        return true;
    }
  }

  bool gen_mov() {
    u8 sz = opsize();
    ZydisEncoderOperand d;
    switch (below(6)) {
      case 0: case 1:
        if (!dst(sz, d)) return false;
        if (d.type == ZYDIS_OPERAND_TYPE_MEMORY || chance(50))
          emit(ZYDIS_MNEMONIC_MOV, sz, {d, chance(50) ? reg_op(pick_reg(sz, false), sz) : imm_sized(sz)});
        else
          emit(ZYDIS_MNEMONIC_MOV, sz, {d, src(sz, true)});
        return true;
      case 2: {  // MOVZX / MOVSX
        u8 dsz = chance(50) ? 4 : 2, ssz = dsz == 4 && chance(50) ? 2 : 1;
        int r = pick_reg(dsz, true);
        if (r < 0) return false;
        emit(chance(50) ? ZYDIS_MNEMONIC_MOVZX : ZYDIS_MNEMONIC_MOVSX, dsz, {reg_op(r, dsz), src(ssz, true)});
        return true;
      }
      case 3: {  // LEA: no memory access, so any base/index/displacement
        u8 dsz = chance(70) ? 4 : 2;
        int r = pick_reg(dsz, true);
        if (r < 0) return false;
        ZydisEncoderOperand m{};
        m.type = ZYDIS_OPERAND_TYPE_MEMORY;
        m.mem.base = chance(90) ? reg_of(pick_reg(4, false), 4) : ZYDIS_REGISTER_NONE;
        m.mem.index = ZYDIS_REGISTER_NONE;
        if (chance(50)) {
          m.mem.index = reg_of(pick_reg(4, false), 4);
          m.mem.scale = u8(1u << below(4));
        }
        m.mem.displacement = chance(30) ? 0 : int64_t(int32_t(value()));
        if (m.mem.base == ZYDIS_REGISTER_NONE && m.mem.index == ZYDIS_REGISTER_NONE) m.mem.base = ZYDIS_REGISTER_EAX;
        m.mem.size = 4;  // the encoder wants the address size for LEA
        emit(ZYDIS_MNEMONIC_LEA, dsz, {reg_op(r, dsz), m});
        return true;
      }
      default: {  // XCHG r/m, r: both operands are written
        int r = pick_reg(sz, true);
        if (r < 0 || !dst(sz, d)) return false;
        emit(ZYDIS_MNEMONIC_XCHG, sz, {d, reg_op(r, sz)});
        return true;
      }
    }
  }

  bool gen_cmov() {
    u8 sz = chance(50) ? 4 : 2;
    int r = pick_reg(sz, true);
    if (r < 0) return false;
    emit(kCmov[below(16)], sz, {reg_op(r, sz), src(sz, true)});
    return true;
  }

  bool gen_setcc() {
    ZydisEncoderOperand d;
    if (!dst(1, d)) return false;
    emit(kSetcc[below(16)], 1, {d});
    return true;
  }

  bool gen_jcc(size_t pos, size_t n) {
    GenInsn& g = emit(kJcc[below(16)], 4, {}, Kind::Branch);
    g.jcc_target = int(pos + 1 + below(u32(n - pos)));
    return true;
  }

  bool gen_shift() {
    static constexpr ZydisMnemonic sh[] = {ZYDIS_MNEMONIC_SHL, ZYDIS_MNEMONIC_SHR, ZYDIS_MNEMONIC_SAR,
                                           ZYDIS_MNEMONIC_ROL, ZYDIS_MNEMONIC_ROR, ZYDIS_MNEMONIC_RCL,
                                           ZYDIS_MNEMONIC_RCR, ZYDIS_MNEMONIC_SHLD, ZYDIS_MNEMONIC_SHRD};
    ZydisMnemonic m = sh[below(9)];
    const bool dbl = m == ZYDIS_MNEMONIC_SHLD || m == ZYDIS_MNEMONIC_SHRD;
    u8 sz = dbl ? (chance(50) ? 4 : 2) : opsize();
    ZydisEncoderOperand d, cnt;
    if (!dst(sz, d)) return false;
    u32 c = below(3);
    if (dbl && c == 0) c = 1 + below(2);  // SHLD/SHRD have no by-one form
    if (c == 0) cnt = imm_op(1);
    else if (c == 1) cnt = reg_op(ECX, 1);  // CL
    else cnt = imm_op(chance(80) ? below(33) : below(256));
    Kind k;
    switch (m) {
      case ZYDIS_MNEMONIC_ROL: case ZYDIS_MNEMONIC_ROR: k = Kind::Rotate; break;
      case ZYDIS_MNEMONIC_RCL: case ZYDIS_MNEMONIC_RCR: k = Kind::RotateCarry; break;
      case ZYDIS_MNEMONIC_SHLD: case ZYDIS_MNEMONIC_SHRD: k = Kind::DoubleShift; break;
      default: k = Kind::Shift;
    }
    if (dbl) emit(m, sz, {d, reg_op(pick_reg(sz, false), sz), cnt}, k);
    else emit(m, sz, {d, cnt}, k);
    return true;
  }

  bool gen_muldiv() {
    u8 sz = opsize();
    switch (below(4)) {
      case 0: {  // IMUL r, r/m  and  IMUL r, r/m, imm
        if (sz == 1) sz = 4;
        int r = pick_reg(sz, true);
        if (r < 0) return false;
        if (chance(50)) emit(ZYDIS_MNEMONIC_IMUL, sz, {reg_op(r, sz), src(sz, true)});
        else emit(ZYDIS_MNEMONIC_IMUL, sz, {reg_op(r, sz), src(sz, true), imm_sized(sz)});
        return true;
      }
      case 1:  // MUL / IMUL r/m: EDX:EAX (AX for bytes)
        if (!implicit_ok({EAX, EDX})) return false;
        emit(chance(50) ? ZYDIS_MNEMONIC_MUL : ZYDIS_MNEMONIC_IMUL, sz, {src(sz, true)});
        return true;
      default: {  // DIV / IDIV, usually after clearing the high half so the quotient fits
        if (!implicit_ok({EAX, EDX})) return false;
        if (chance(70)) {
          if (sz == 1) emit(ZYDIS_MNEMONIC_MOVZX, 4, {reg_op(EAX, 4), reg_op(EAX, 1)});
          else emit(ZYDIS_MNEMONIC_XOR, sz, {reg_op(EDX, sz), reg_op(EDX, sz)});
        }
        emit(chance(50) ? ZYDIS_MNEMONIC_DIV : ZYDIS_MNEMONIC_IDIV, sz, {src(sz, true)});
        return true;
      }
    }
  }

  bool gen_bitops() {
    u8 sz = chance(50) ? 4 : 2;
    if (chance(30)) {  // BSF / BSR r, r/m
      int r = pick_reg(sz, true);
      if (r < 0) return false;
      emit(chance(50) ? ZYDIS_MNEMONIC_BSF : ZYDIS_MNEMONIC_BSR, sz, {reg_op(r, sz), src(sz, true)},
           Kind::BitScan);
      return true;
    }
    static constexpr ZydisMnemonic bt[] = {ZYDIS_MNEMONIC_BT, ZYDIS_MNEMONIC_BTS, ZYDIS_MNEMONIC_BTR,
                                           ZYDIS_MNEMONIC_BTC};
    ZydisMnemonic m = bt[below(4)];
    ZydisEncoderOperand d;
    if (m == ZYDIS_MNEMONIC_BT) d = src(sz, true);
    else if (!dst(sz, d)) return false;
    if (chance(50)) {
      emit(m, sz, {d, imm_op(chance(80) ? below(sz * 8) : below(256))}, Kind::BitTest);
      return true;
    }
    int r;
    if (d.type == ZYDIS_OPERAND_TYPE_MEMORY) {
      // A register bit offset reaches +-2^31 bits from the operand: give it a small value up front.
      r = -1;
      for (int t = 0; t < 16 && r < 0; ++t) {
        int c = int(below(8));
        if (c != ESP && (need[c] == Need::Any || need[c] == Need::BitOff) && !(no_write >> c & 1)) r = c;
      }
      if (r < 0) return false;
      need[r] = Need::BitOff;
      no_write |= 1u << r;
    } else {
      r = pick_reg(sz, false);
    }
    emit(m, sz, {d, reg_op(r, sz)}, Kind::BitTest);
    return true;
  }

  bool gen_atomic() {
    u8 sz = opsize();
    ZydisEncoderOperand d;
    if (chance(50)) {  // XADD r/m, r: both written
      int r = pick_reg(sz, true);
      if (r < 0 || !dst(sz, d)) return false;
      emit(ZYDIS_MNEMONIC_XADD, sz, {d, reg_op(r, sz)});
    } else {  // CMPXCHG r/m, r: writes the accumulator
      if (!implicit_ok({EAX}) || (no_write & 1) || !dst(sz, d)) return false;
      emit(ZYDIS_MNEMONIC_CMPXCHG, sz, {d, reg_op(pick_reg(sz, false), sz)});
    }
    return true;
  }

  bool gen_misc() {
    switch (below(6)) {
      case 0: {
        int r = pick_reg(4, true);
        if (r < 0) return false;
        emit(ZYDIS_MNEMONIC_BSWAP, 4, {reg_op(r, 4)});
        return true;
      }
      case 1: {
        static constexpr ZydisMnemonic m[] = {ZYDIS_MNEMONIC_CBW, ZYDIS_MNEMONIC_CWDE, ZYDIS_MNEMONIC_CWD,
                                              ZYDIS_MNEMONIC_CDQ};
        u32 k = below(4);
        Reg w = k < 2 ? EAX : EDX;
        if (!implicit_ok({w}) || (no_write >> w & 1)) return false;
        emit(m[k], k == 0 || k == 2 ? 2 : 4, {});
        return true;
      }
      case 2: case 3: {
        static constexpr ZydisMnemonic m[] = {ZYDIS_MNEMONIC_CLC, ZYDIS_MNEMONIC_STC, ZYDIS_MNEMONIC_CMC};
        emit(m[below(3)], 4, {});
        return true;
      }
      default:
        if (!cfg.lahf_sahf) return false;
        if (chance(50)) {
          if (!implicit_ok({EAX}) || (no_write & 1)) return false;
          emit(ZYDIS_MNEMONIC_LAHF, 1, {});
        } else {
          emit(ZYDIS_MNEMONIC_SAHF, 1, {});
        }
        return true;
    }
  }

  bool gen_string() {
    if (!strings) return false;
    static constexpr ZydisMnemonic m[5][3] = {
        {ZYDIS_MNEMONIC_MOVSB, ZYDIS_MNEMONIC_MOVSW, ZYDIS_MNEMONIC_MOVSD},
        {ZYDIS_MNEMONIC_CMPSB, ZYDIS_MNEMONIC_CMPSW, ZYDIS_MNEMONIC_CMPSD},
        {ZYDIS_MNEMONIC_SCASB, ZYDIS_MNEMONIC_SCASW, ZYDIS_MNEMONIC_SCASD},
        {ZYDIS_MNEMONIC_LODSB, ZYDIS_MNEMONIC_LODSW, ZYDIS_MNEMONIC_LODSD},
        {ZYDIS_MNEMONIC_STOSB, ZYDIS_MNEMONIC_STOSW, ZYDIS_MNEMONIC_STOSD}};
    u32 op = below(5), s = below(3);
    u8 sz = u8(1u << s);
    if (op == 3 && !implicit_ok({EAX})) return false;  // LODS writes the accumulator
    GenInsn& g = emit(m[op][s], sz, {}, Kind::String);
    g.req.address_size_hint = ZYDIS_ADDRESS_SIZE_HINT_32;
    if (chance(60)) {
      if (op == 1 || op == 2) g.req.prefixes = chance(50) ? ZYDIS_ATTRIB_HAS_REPE : ZYDIS_ATTRIB_HAS_REPNE;
      else g.req.prefixes = ZYDIS_ATTRIB_HAS_REP;
    }
    return true;
  }

  bool gen_family(u32 fam, size_t pos, size_t n) {
    switch (fam) {
      case kFamAlu: return gen_alu();
      case kFamMov: return gen_mov();
      case kFamCmov: return gen_cmov();
      case kFamSetcc: return gen_setcc();
      case kFamJcc: return gen_jcc(pos, n);
      case kFamShift: return gen_shift();
      case kFamMulDiv: return gen_muldiv();
      case kFamBitOps: return gen_bitops();
      case kFamAtomic: return gen_atomic();
      case kFamMisc: return gen_misc();
      case kFamString: return gen_string();
    }
    return false;
  }

  u32 initial_value(Need n) {
    switch (n) {
      case Need::Ptr: return kBufAddr + 0x600 + below(0x400);
      case Need::StrPtr: return kBufAddr + 0x100 + below(kBufSize - 0x200);
      case Need::Index: return below(16);
      case Need::Count: return chance(10) ? 0 : below(17);
      case Need::BitOff: return u32(int32_t(below(8192)) - 4096);
      default: return value();
    }
  }
};

}  // namespace

bool parse_families(const std::string& list, u32& out, std::string& error) {
  out = 0;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if (item == "all") {
      out |= kFamAll;
      continue;
    }
    bool found = false;
    for (const auto& f : kFamilyNames)
      if (item == f.name) out |= f.f, found = true;
    if (!found) {
      error = "unknown family '" + item + "'";
      return false;
    }
  }
  if (!out) error = "no families selected";
  return out != 0;
}

std::string family_names(u32 fams) {
  std::string s;
  for (const auto& f : kFamilyNames)
    if (fams & f.f) {
      if (!s.empty()) s += ',';
      s += f.name;
    }
  return s;
}

Sequence generate(const GenConfig& cfg, u64 seed, u64 number, u32 attempt) {
  // splitmix64 of the triple: independent streams per sequence.
  u64 z = seed * 0x9E3779B97F4A7C15ull ^ (number + 1) * 0xBF58476D1CE4E5B9ull ^ u64(attempt) * 0x94D049BB133111EBull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  Ctx c(z ^ (z >> 31), cfg);

  std::vector<u32> fams;
  for (const auto& f : kFamilyNames)
    if (cfg.families & f.f) fams.push_back(f.f);

  // Addressing registers for this sequence.
  static constexpr Reg any[] = {EAX, ECX, EDX, EBX, EBP, ESI, EDI};
  static constexpr Reg nonstring[] = {EAX, EDX, EBX, EBP};
  c.strings = (cfg.families & kFamString) && c.chance(35);
  auto pick = [&](bool str) { return str ? nonstring[c.below(4)] : any[c.below(7)]; };
  c.base = pick(c.strings);
  c.need[c.base] = Need::Ptr;
  if (c.chance(40)) {
    Reg i;
    do i = pick(c.strings); while (i == c.base);
    c.index = i;
    c.scale = u8(1u << c.below(4));
    c.need[i] = Need::Index;
  }
  c.no_write = c.no_implicit = 1u << c.base | (c.index >= 0 ? 1u << c.index : 0u);
  if (c.strings) {
    c.need[ESI] = c.need[EDI] = Need::StrPtr;
    c.need[ECX] = Need::Count;
    c.no_write |= 1u << ESI | 1u << EDI | 1u << ECX;
  }

  const size_t n = 1 + c.below(u32(cfg.max_len));
  while (c.out.size() < n) {
    size_t before = c.out.size();
    bool ok = false;
    for (int t = 0; t < 20 && !ok; ++t) ok = c.gen_family(fams[c.below(u32(fams.size()))], c.out.size(), n);
    if (!ok || c.out.size() > n) {  // nothing fitted, or a two-instruction pattern overran: a filler
      c.out.resize(before);
      c.emit(ZYDIS_MNEMONIC_MOV, 4, {c.reg_op(EAX, 4), c.reg_op(EAX, 4)});
    }
  }
  // Jcc targets were drawn against n; the sequence has exactly n instructions.

  Sequence s;
  s.seed = seed;
  s.number = number;
  s.insns = std::move(c.out);
  for (int r = 0; r < kRegs; ++r) s.init.gpr[r] = r == ESP ? 0 : c.initial_value(c.need[r]);
  u32 fl = u32(c.rng()) & kStatus;
  if (c.chance(c.strings ? 35 : 10)) fl |= kDF;
  s.init.eflags = fl | 2;
  s.buf.resize(kBufSize);
  if (c.chance(50)) {
    static constexpr u8 alphabet[] = {0, 0, 0, 1, 0x80, 0xFF};
    for (auto& b : s.buf) b = alphabet[c.below(6)];
  } else {
    for (auto& b : s.buf) b = u8(c.rng());
  }
  return s;
}

}  // namespace difftest
