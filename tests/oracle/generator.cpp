// The sequence generator (see generator.h). Every family is a function that appends one instruction (or a
// short fixed group: POPF after a PUSH of a safe value, a shift by CL after MOV CL, imm8) encoded by hand,
// or declines when the machine state it tracks makes the instruction unsafe (no usable stack, no pointer).
#include "oracle/generator.h"

#include <stdexcept>

namespace ring1::oracle {

namespace {

enum : u8 { rEAX = 0, rECX, rEDX, rEBX, rESP, rEBP, rESI, rEDI };

const std::vector<FamilyInfo> kFamilies = {
    {Family::IncDec, "incdec", false, true},      {Family::PushPop, "pushpop", false, true},
    {Family::PushSeg, "pushseg", false, true},    {Family::Pusha, "pusha", false, false},
    {Family::Bcd, "bcd", false, false},           {Family::Bound, "bound", false, true},
    {Family::Into, "into", false, true},          {Family::Alu16, "alu16", false, true},
    {Family::Addr16, "addr16", false, true},      {Family::Op82, "op82", false, true},
    {Family::Pushf, "pushf", false, false},       {Family::EnterLeave, "enterleave", false, false},
    {Family::Alu32, "alu32", true, true},         {Family::Shift, "shift", true, false},
};

u8 modrm(u8 mod, u8 reg, u8 rm) { return u8(mod << 6 | (reg & 7) << 3 | (rm & 7)); }

struct Gen {
  Rng& rng;
  Sequence& seq;
  bool ptr_ok[8] = {};  // holds a pointer into the data window: usable as a 32-bit base
  bool known[8] = {};   // still holds its initial value
  bool esp_ok = true;   // ESP still points into the stack window
  std::vector<u8> b;    // the instruction being built

  Gen(Rng& r, Sequence& s) : rng(r), seq(s) {}

  void invalidate(u8 r) {
    ptr_ok[r] = false;
    known[r] = false;
    if (r == rESP) esp_ok = false;
  }
  void put16(u32 v) { b.push_back(u8(v)), b.push_back(u8(v >> 8)); }
  void put32(u32 v) { put16(v), put16(v >> 16); }
  void imm(u8 size, u32 v) { size == 1 ? b.push_back(u8(v)) : size == 2 ? put16(v) : put32(v); }

  u32 bcd_byte() {
    if (rng.chance(70)) return rng.below(10) << 4 | rng.below(10);
    return rng.below(256);
  }
  u32 interesting() {
    static constexpr u32 edges[] = {0,          1,          0x7F,       0x80,      0xFF,
                                    0x7FFF,     0x8000,     0xFFFF,     0x7FFFFFFF, 0x80000000,
                                    0xFFFFFFFF, 0xFFFFFFFE, 0x00000100, 0x0000FF00, 0x99};
    switch (rng.below(6)) {
      case 0: return rng.below(0x100);
      case 1: return edges[rng.below(std::size(edges))];
      case 2: return (rng.u32_() & 0xFFFFFF00u) | bcd_byte();
      case 3: return (rng.u32_() & 0xFFFF0000u) | (edges[rng.below(std::size(edges))] & 0xFFFF);
      default: return rng.u32_();
    }
  }
  u32 pointer() { return Tm::kData + 0x2000 + rng.below(0x6000); }

  void init_state() {
    InitialState& s = seq.init;
    for (u8 r : {rEAX, rECX, rEDX}) s.gpr[r] = interesting();
    for (u8 r : {rEBX, rEBP, rESI, rEDI}) {
      ptr_ok[r] = rng.chance(85);
      s.gpr[r] = ptr_ok[r] ? pointer() : interesting();
    }
    s.gpr[rESP] = Tm::kStackTop - (rng.chance(25) ? rng.below(128) : 0);
    for (int r = 0; r < 8; ++r) known[r] = true;
    s.eflags = 2;
    for (u32 f : {kCF, kPF, kAF, kZF, kSF, kOF})
      if (rng.chance(50)) s.eflags |= f;
    s.mem_seed = rng.next();
  }

  // ---- operands ----
  // A destination register: mostly EAX/ECX/EDX so pointers survive; never ESP (byte registers: any).
  u8 dst_reg(u8 size) {
    static constexpr u8 others[] = {rEBX, rEBP, rESI, rEDI};
    u8 r = size == 1 ? u8(rng.below(8)) : rng.chance(75) ? u8(rng.below(3)) : others[rng.below(4)];
    invalidate(size == 1 ? (r & 3) : r);
    return r;
  }
  u8 src_reg() { return u8(rng.below(8)); }

  // ModRM (+SIB, +disp) for a memory operand with 32-bit addressing: [disp32] in the data window,
  // [ESP+disp8], or [pointer register (+SIB without index) + disp].
  void mem32(u8 regf) {
    u8 bases[8];
    int n = 0;
    for (u8 r : {rEBX, rEBP, rESI, rEDI})
      if (ptr_ok[r]) bases[n++] = r;
    u32 choice = rng.below(10);
    if (esp_ok && (choice < 2 || (n == 0 && choice < 5))) {
      b.push_back(modrm(1, regf, 4));
      b.push_back(0x24);
      b.push_back(u8(rng.u32_()));
    } else if (n == 0 || choice < 4) {
      b.push_back(modrm(0, regf, 5));
      put32(Tm::kData + rng.below(0x10000 - 8));
    } else {
      u8 base = bases[rng.below(n)];
      u8 mod = u8(rng.below(3));
      if (base == rEBP && mod == 0) mod = 1;
      if (rng.chance(20)) {  // SIB with no index: the scale bits are ignored
        b.push_back(modrm(mod, regf, 4));
        b.push_back(u8(rng.below(4) << 6 | 4 << 3 | base));
      } else {
        b.push_back(modrm(mod, regf, base));
      }
      if (mod == 1) b.push_back(u8(rng.u32_()));
      if (mod == 2) put32(u32(int32_t(rng.below(0x2000)) - 0x1000));
    }
  }
  // ModRM (+disp) with 16-bit addressing (the caller emits 0x67): any form; every 16-bit address is mapped.
  void mem16(u8 regf) {
    u8 mod = u8(rng.below(3)), rm = u8(rng.below(8));
    b.push_back(modrm(mod, regf, rm));
    if (mod == 0 && rm == 6) put16(0x2000 + rng.below(0xE000));
    if (mod == 1) b.push_back(u8(rng.u32_()));
    if (mod == 2) put16(rng.chance(50) ? rng.u32_() : u32(int32_t(rng.below(0x200)) - 0x100));
  }
  void mem(u8 regf, bool a16) { a16 ? mem16(regf) : mem32(regf); }
  // An r/m operand: memory with probability mem_pct, else a register (a destination if rm_dst).
  void rm(u8 regf, u8 size, bool a16, u32 mem_pct, bool rm_dst) {
    if (rng.chance(mem_pct)) return mem(regf, a16);
    b.push_back(modrm(3, regf, rm_dst ? dst_reg(size) : src_reg()));
  }

  // Operand/address-size prefixes in either order, sometimes with a segment override (all bases are 0 in
  // the flat state: decoding is what is tested). Never CS: a store through CS must #GP on ring1 while
  // QEMU's TCG does not check segment types for data accesses.
  void prefixes(u8 size, bool a16) {
    static constexpr u8 overrides[] = {0x26, 0x36, 0x3E, 0x64, 0x65};
    if (rng.chance(10)) b.push_back(overrides[rng.below(5)]);
    bool p66 = size == 2, p67 = a16;
    if (p66 && p67 && rng.chance(50)) {
      b.push_back(0x67), b.push_back(0x66);
      return;
    }
    if (p66) b.push_back(0x66);
    if (p67) b.push_back(0x67);
  }

  void emit(Family f) {
    seq.insns.push_back(GenInsn{std::move(b), f});
    b.clear();
  }

  // ---- the ALU/MOV/LEA/... group shared by alu16, addr16 and alu32 ----
  // size 1/2/4; a16: 16-bit addressing; mem_pct: how often the r/m operand is memory.
  void alu_like(u8 size, bool a16, u32 mem_pct, bool allow_lea_movx) {
    prefixes(size, a16);
    u8 w = size == 1 ? 0 : 1;
    u8 op = u8(rng.below(8));  // ADD OR ADC SBB AND SUB XOR CMP
    switch (rng.below(allow_lea_movx ? 12 : 10)) {
      case 0: case 1:  // ALU r/m, reg
        b.push_back(u8(op * 8 + w));
        return rm(src_reg(), size, a16, mem_pct, true);
      case 2: {  // ALU reg, r/m
        b.push_back(u8(op * 8 + 2 + w));
        u8 r = dst_reg(size);
        return rm(r, size, a16, mem_pct, false);
      }
      case 3: {  // ALU r/m, imm (80 / 81 / 83)
        u8 opc = size == 1 ? 0x80 : rng.chance(50) ? 0x83 : 0x81;
        b.push_back(opc);
        rm(op, size, a16, mem_pct, true);
        return imm(opc == 0x81 ? size : 1, interesting());
      }
      case 4: {  // MOV in all three directions
        u32 k = rng.below(3);
        if (k == 0) {
          b.push_back(u8(0x88 + w));
          rm(src_reg(), size, a16, mem_pct, true);
        } else if (k == 1) {
          b.push_back(u8(0x8A + w));
          u8 r = dst_reg(size);
          rm(r, size, a16, mem_pct, false);
        } else {
          b.push_back(u8(0xC6 + w));
          rm(0, size, a16, mem_pct, true);
          imm(size, interesting());
        }
        return;
      }
      case 5:  // TEST r/m, reg / r/m, imm
        if (rng.chance(50)) {
          b.push_back(u8(0x84 + w));
          return rm(src_reg(), size, a16, mem_pct, false);
        }
        b.push_back(u8(0xF6 + w));
        rm(0, size, a16, mem_pct, false);
        return imm(size, interesting());
      case 6: {  // NOT NEG (F6/F7 /2 /3), INC DEC (FE/FF /0 /1)
        static constexpr u8 forms[4][2] = {{0xF6, 2}, {0xF6, 3}, {0xFE, 0}, {0xFE, 1}};
        const u8* f = forms[rng.below(4)];
        b.push_back(u8(f[0] + w));
        return rm(f[1], size, a16, mem_pct, true);
      }
      case 7: {  // XCHG r/m, reg: both are written
        b.push_back(u8(0x86 + w));
        u8 r = dst_reg(size);
        return rm(r, size, a16, mem_pct, true);
      }
      case 8: case 9: {  // AL/eAX, imm short form
        b.push_back(u8(op * 8 + 4 + w));
        if (op != 7) invalidate(rEAX);
        return imm(size, interesting());
      }
      case 10: {  // LEA reg, m (operand size 16/32 against address size 16/32)
        if (size == 1) b.insert(b.begin(), 0x66), size = 2;
        b.push_back(0x8D);
        u8 r = dst_reg(size);
        return mem(r, a16);
      }
      default: {  // MOVZX/MOVSX reg, r/m8 or r/m16
        if (size == 1) b.insert(b.begin(), 0x66), size = 2;
        b.push_back(0x0F);
        b.push_back(u8((rng.chance(50) ? 0xB6 : 0xBE) + rng.below(2)));
        u8 r = dst_reg(size);
        return rm(r, 1, a16, mem_pct, false);
      }
    }
  }

  // ---- families; each returns false when it cannot emit safely now ----
  bool incdec() {
    bool p66 = rng.chance(25);
    u8 r = u8(rng.below(8));
    if (p66) b.push_back(0x66);
    b.push_back(u8((rng.chance(50) ? 0x40 : 0x48) + r));
    if (r == rESP) {
      if (p66) esp_ok = false;  // SP may wrap out of the stack window
    } else {
      known[r] = false;  // INC/DEC keeps a pointer a pointer
      if (p66) ptr_ok[r] = false;
    }
    emit(Family::IncDec);
    return true;
  }

  bool pushpop() {
    if (!esp_ok) return false;
    bool p66 = rng.chance(25);
    if (p66) b.push_back(0x66);
    switch (rng.below(7)) {
      case 0: case 1: b.push_back(u8(0x50 + rng.below(8))); break;  // PUSH r
      case 2: case 3: {  // POP r (POP ESP rarely: it ends the stack's usefulness)
        u8 r = rng.chance(5) ? u8(rESP) : dst_reg(4);
        if (r == rESP) invalidate(rESP);
        else if (p66) ptr_ok[r] = false;
        b.push_back(u8(0x58 + r));
        break;
      }
      case 4:  // PUSH imm
        if (rng.chance(50)) {
          b.push_back(0x68);
          imm(p66 ? 2 : 4, interesting());
        } else {
          b.push_back(0x6A);
          b.push_back(u8(interesting()));
        }
        break;
      case 5:  // PUSH r/m (memory)
        b.push_back(0xFF);
        mem32(6);
        break;
      default:  // POP r/m (memory; [ESP+disp] uses ESP after the increment)
        b.push_back(0x8F);
        mem32(0);
        break;
    }
    emit(Family::PushPop);
    return true;
  }

  bool pushseg() {
    if (!esp_ok) return false;
    if (rng.chance(25)) b.push_back(0x66);
    static constexpr u8 ops[] = {0x06, 0x0E, 0x16, 0x1E};
    if (rng.chance(15)) {
      b.push_back(0x0F);
      b.push_back(rng.chance(50) ? 0xA0 : 0xA8);  // PUSH FS / PUSH GS
    } else {
      b.push_back(ops[rng.below(4)]);
    }
    emit(Family::PushSeg);
    return true;
  }

  bool pusha() {
    if (!esp_ok) return false;
    bool p66 = rng.chance(25);
    if (p66) b.push_back(0x66);
    if (rng.chance(50)) {
      b.push_back(0x60);
    } else {
      b.push_back(0x61);
      for (u8 r = 0; r < 8; ++r)
        if (r != rESP) invalidate(r);
    }
    emit(Family::Pusha);
    return true;
  }

  bool bcd() {
    switch (rng.below(6)) {
      case 0: b.push_back(0x27); break;  // DAA
      case 1: b.push_back(0x2F); break;  // DAS
      case 2: b.push_back(0x37); break;  // AAA
      case 3: b.push_back(0x3F); break;  // AAS
      case 4:                            // AAM ib (0: #DE)
        b.push_back(0xD4);
        b.push_back(u8(rng.chance(70) ? 10 : rng.chance(90) ? 1 + rng.below(255) : 0));
        break;
      default:  // AAD ib
        b.push_back(0xD5);
        b.push_back(u8(rng.chance(70) ? 10 : rng.below(256)));
        break;
    }
    invalidate(rEAX);
    emit(Family::Bcd);
    return true;
  }

  bool bound() {
    u8 size = rng.chance(30) ? 2 : 4;
    u8 r = src_reg();
    bool a16 = rng.chance(40);
    prefixes(size, a16);
    b.push_back(0x62);
    if (rng.chance(20)) {  // a register-based address: limits are whatever the memory holds
      mem(r, a16);
    } else {
      u32 addr;
      if (a16) {
        // Sometimes at the top of the 16-bit offset space: the upper limit then lies past offset 0xFFFF,
        // read linearly (the operand is one m16&16/m32&32 operand; only the EA wraps, not its bytes).
        addr = rng.chance(15) ? 0xFFF8 + rng.below(8) : 0x2000 + rng.below(0xE000 - 8);
        b.push_back(modrm(0, r, 6));
        put16(addr);
      } else {
        addr = Tm::kData + rng.below(0x10000 - 8);
        b.push_back(modrm(0, r, 5));
        put32(addr);
      }
      int64_t lo, hi;
      int64_t mn = size == 2 ? INT16_MIN : INT32_MIN, mx = size == 2 ? INT16_MAX : INT32_MAX;
      u32 k = rng.below(10);
      u32 v = seq.init.gpr[r];
      int64_t sv = size == 2 ? int64_t(int16_t(v)) : int64_t(int32_t(v));
      if (k < 4) {
        lo = mn, hi = mx;  // always in range
      } else if (k < 8 && known[r]) {  // around the register's value: in range or just outside
        lo = sv - rng.below(4), hi = sv + rng.below(4);
        if (rng.chance(30)) lo = sv + 1;
        if (rng.chance(30)) hi = sv - 1;
      } else {
        lo = int64_t(interesting()), hi = int64_t(interesting());
        if (rng.chance(50) && lo > hi) std::swap(lo, hi);
      }
      MemPatch p{addr, {}};
      for (int64_t x : {lo, hi})
        for (u8 i = 0; i < size; ++i) p.bytes.push_back(u8(u64(x) >> (8 * i)));
      seq.init.patches.push_back(std::move(p));
    }
    emit(Family::Bound);
    return true;
  }

  bool into() {
    b.push_back(0xCE);
    emit(Family::Into);
    return true;
  }

  bool alu16() {
    alu_like(2, false, 80, true);
    emit(Family::Alu16);
    return true;
  }

  bool addr16() {
    static constexpr u8 sizes[] = {1, 2, 4};
    u8 size = sizes[rng.below(3)];
    if (rng.chance(12)) {  // MOV AL/eAX <-> moffs16
      prefixes(size, true);
      bool store = rng.chance(50);
      b.push_back(u8((store ? 0xA2 : 0xA0) + (size == 1 ? 0 : 1)));
      put16(0x2000 + rng.below(0xE000 - 4));
      if (!store) invalidate(rEAX);
    } else {
      alu_like(size, true, 100, true);
    }
    emit(Family::Addr16);
    return true;
  }

  bool op82() {
    b.push_back(0x82);
    rm(u8(rng.below(8)), 1, false, 50, true);
    b.push_back(u8(interesting()));
    emit(Family::Op82);
    return true;
  }

  bool pushf() {
    if (!esp_ok) return false;
    bool p66 = rng.chance(25);
    if (rng.chance(50)) {
      if (p66) b.push_back(0x66);
      b.push_back(0x9C);
      emit(Family::Pushf);
      return true;
    }
    // POPF of a value with only status flags and DF: TF/IF/IOPL/AC/ID would change what follows.
    u32 v = 2 | (rng.u32_() & kStatusFlags) | (rng.chance(20) ? kDF : 0);
    if (p66) b.push_back(0x66);
    b.push_back(0x68);
    imm(p66 ? 2 : 4, v);
    emit(Family::Pushf);
    if (p66) b.push_back(0x66);
    b.push_back(0x9D);
    emit(Family::Pushf);
    return true;
  }

  bool enterleave() {
    if (!esp_ok) return false;
    if (rng.chance(50)) {
      if (!ptr_ok[rEBP]) return false;
      if (rng.chance(20)) b.push_back(0x66);
      b.push_back(0xC9);  // LEAVE: ESP = EBP, then EBP = pop
      invalidate(rEBP);
      esp_ok = true;
    } else {
      u32 level = rng.chance(90) ? rng.below(4) : 32 + rng.below(3);  // the level is taken mod 32
      if ((level & 31) >= 2 && !ptr_ok[rEBP]) level = rng.below(2);
      b.push_back(0xC8);
      put16(rng.chance(30) ? 0 : rng.below(0x100));
      b.push_back(u8(level));
      known[rEBP] = false;
      ptr_ok[rEBP] = true;  // the new frame pointer is in the stack window
    }
    emit(Family::EnterLeave);
    return true;
  }

  bool alu32() {
    alu_like(rng.chance(30) ? 1 : 4, false, 30, false);
    emit(Family::Alu32);
    return true;
  }

  // SHL SHR SAR ROL ROR RCL RCR. The flags they define depend on the count, so the generator records
  // them itself; a shift by CL is preceded by MOV CL, imm8 so the count is known.
  bool shift() {
    static constexpr u8 ops[] = {0, 1, 2, 3, 4, 5, 7};
    u8 op = ops[rng.below(7)];
    static constexpr u8 sizes[] = {1, 2, 4};
    u8 size = sizes[rng.below(3)];
    u8 w = size == 1 ? 0 : 1;
    u32 form = rng.below(3), count = 1;
    if (form == 2) {
      count = rng.chance(70) ? rng.below(34) : rng.below(256);
      b.push_back(0xB1);
      b.push_back(u8(count));
      invalidate(rECX);
      emit(Family::Shift);
    }
    prefixes(size, false);
    b.push_back(u8((form == 0 ? 0xD0 : form == 1 ? 0xC0 : 0xD2) + w));
    rm(op, size, false, 30, true);
    if (form == 0) count = 1;
    if (form == 1) {
      count = rng.chance(70) ? rng.below(34) : rng.below(256);
      b.push_back(u8(count));
    }
    GenInsn g{std::move(b), Family::Shift, true, 0, 0};
    b.clear();
    u32 c = count & 31, bits = size * 8u;
    if (c != 0) {
      if (op <= 1) {  // ROL ROR: CF (and OF for a count of 1)
        g.written = kCF | kOF;
        g.undefined = c == 1 ? 0 : kOF;
      } else if (op <= 3) {  // RCL RCR: the rotation is mod size+1; no rotation leaves CF alone
        u32 t = c % (bits + 1);
        g.written = t ? kCF | kOF : 0;
        g.undefined = c == 1 ? 0 : kOF;
      } else {  // SHL SHR SAR
        g.written = kStatusFlags;
        g.undefined = kAF | (c == 1 ? 0 : kOF) | (op != 7 && c >= bits ? kCF : 0);
      }
    }
    seq.insns.push_back(std::move(g));
    return true;
  }

  bool one(Family f) {
    switch (f) {
      case Family::IncDec: return incdec();
      case Family::PushPop: return pushpop();
      case Family::PushSeg: return pushseg();
      case Family::Pusha: return pusha();
      case Family::Bcd: return bcd();
      case Family::Bound: return bound();
      case Family::Into: return into();
      case Family::Alu16: return alu16();
      case Family::Addr16: return addr16();
      case Family::Op82: return op82();
      case Family::Pushf: return pushf();
      case Family::EnterLeave: return enterleave();
      case Family::Alu32: return alu32();
      case Family::Shift: return shift();
      case Family::Count: break;
    }
    return false;
  }
};

}  // namespace

const std::vector<FamilyInfo>& all_families() { return kFamilies; }

const char* family_name(Family f) {
  for (const auto& i : kFamilies)
    if (i.f == f) return i.name;
  return "?";
}

std::vector<Family> parse_families(const std::string& list) {
  std::vector<Family> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t end = list.find(',', pos);
    if (end == std::string::npos) end = list.size();
    std::string name = list.substr(pos, end - pos);
    pos = end + 1;
    if (name.empty()) continue;
    bool found = false;
    for (const auto& i : kFamilies) {
      if (name == i.name || name == "all" || (name == "default" && i.in_default)) {
        out.push_back(i.f);
        found = true;
      }
    }
    if (!found) throw std::invalid_argument("unknown family '" + name + "'");
  }
  return out;
}

std::vector<u8> Sequence::code() const {
  std::vector<u8> c;
  for (const auto& i : insns) c.insert(c.end(), i.bytes.begin(), i.bytes.end());
  return c;
}

// Relative weights: instructions that usually end the run (an out-of-range BOUND, INTO with OF set) are
// drawn less often, so most sequences run to their end and exercise what follows.
u32 weight(Family f) { return f == Family::Into ? 1 : f == Family::Bound ? 2 : 4; }

Family pick(Rng& rng, const std::vector<Family>& families) {
  u32 total = 0;
  for (Family f : families) total += weight(f);
  u32 x = rng.below(total);
  for (Family f : families) {
    if (x < weight(f)) return f;
    x -= weight(f);
  }
  return families.back();
}

Sequence generate(Rng& rng, const std::vector<Family>& families, u32 max_len) {
  Sequence seq;
  Gen g(rng, seq);
  g.init_state();
  u32 len = 1 + rng.below(max_len);
  while (seq.insns.size() < len) {
    bool done = false;
    for (int attempt = 0; attempt < 6 && !done; ++attempt) {
      g.b.clear();
      done = g.one(pick(rng, families));
    }
    if (!done) {  // nothing is possible (no stack left): fill with NOP
      g.b = {0x90};
      g.emit(families[0]);
    }
  }
  return seq;
}

}  // namespace ring1::oracle
