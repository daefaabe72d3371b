// The sequence generator: random straight-line sequences of 1-8 instructions, hand-encoded byte by byte
// (the set is small and the interesting cases are encodings: short INC/DEC, 0x66/0x67 prefixes, 16-bit
// ModRM forms, 0x82), grouped in families that --families selects. Families are tagged 32-bit-only (their
// disagreements fail the run) or shared (also valid in 64-bit mode: the host-CPU tester is the authority,
// disagreements are only reported). The generator keeps track of which registers still hold pointers into
// the mapped windows and whether ESP is still usable, so most sequences stay inside mapped memory.
#pragma once
#include <string>
#include <vector>

#include "oracle/layout.h"

namespace ring1::oracle {

enum class Family : u8 {
  IncDec,      // 40-4F short INC/DEC r32/r16
  PushPop,     // PUSH/POP r32/r16, PUSH imm, PUSH/POP r/m (32-bit stack)
  PushSeg,     // PUSH ES/CS/SS/DS (and FS/GS)
  Pusha,       // PUSHA/POPA (D and W)
  Bcd,         // DAA DAS AAA AAS AAM AAD
  Bound,       // BOUND r32/r16, m (in range and #BR)
  Into,        // INTO (no trap / #OF trap)
  Alu16,       // 0x66 ALU/MOV/LEA/TEST/XCHG/MOVZX with memory operands, 32-bit addressing
  Addr16,      // 0x67 ALU/MOV/LEA/... with 16-bit ModRM ([BX+SI+disp] ...), and moffs16
  Op82,        // 82 /op ib: the 32-bit-only alias of 80 /op ib
  Pushf,       // PUSHFD/PUSHFW, POPFD/POPFW (after a PUSH of a safe value)
  EnterLeave,  // ENTER/LEAVE on a 32-bit stack
  Alu32,       // shared: plain 8/32-bit ALU, reg/imm/mem
  Shift,       // shared: SHL SHR SAR ROL ROR RCL RCR by 1, imm8, CL
  Count
};

struct FamilyInfo {
  Family f;
  const char* name;
  bool shared;      // also valid in 64-bit mode: reported, never fails the run
  bool in_default;  // implemented in ring1 at the time of writing (widen after merging the other branches)
};
const std::vector<FamilyInfo>& all_families();
// Parses "a,b,c", "default" or "all"; throws std::invalid_argument on an unknown name.
std::vector<Family> parse_families(const std::string& list);
const char* family_name(Family f);

struct GenInsn {
  std::vector<u8> bytes;
  Family family;
  // Flags written by the instruction and left undefined by it, when the generator knows better than the
  // decoder's static table (shifts and rotates, whose effect depends on the count); else has_flags = false.
  bool has_flags = false;
  u32 written = 0, undefined = 0;
};

struct Sequence {
  std::vector<GenInsn> insns;
  InitialState init;
  bool shared = false;
  std::vector<u8> code() const;
};

class Rng {
 public:
  explicit Rng(u64 seed) : s_(seed) {}
  u64 next() {  // splitmix64
    u64 z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  u32 below(u32 n) { return u32(next() % n); }
  bool chance(u32 percent) { return below(100) < percent; }
  u32 u32_() { return u32(next()); }

 private:
  u64 s_;
};

// One sequence of 1..max_len instructions drawn from `families` (all of the same kind: shared or not).
Sequence generate(Rng& rng, const std::vector<Family>& families, u32 max_len);

}  // namespace ring1::oracle
