// Shared types of the host-CPU differential tester (ring1-difftest).
// A Sequence is a short list of generated instructions plus the initial machine state (registers, EFLAGS,
// the data buffer). Each instruction is kept as an abstract Zydis encoder request and encoded twice: for
// IA-32 (run by ring1) and for 64-bit mode with 32-bit addressing (run natively on the host). The runners
// turn a Sequence into an Outcome, and compare.cpp diffs two Outcomes.
#pragma once
#include <Zydis/Zydis.h>

#include "common/types.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace difftest {

using ring1::u16;
using ring1::u32;
using ring1::u64;
using ring1::u8;

// The data buffer every memory operand points into: the same linear address natively and in ring1.
inline constexpr u32 kBufAddr = 0x100000;
inline constexpr u32 kBufSize = 0x1000;

// EFLAGS bits the tester drives and compares.
inline constexpr u32 kCF = 1u << 0, kPF = 1u << 2, kAF = 1u << 4, kZF = 1u << 6, kSF = 1u << 7,
                     kDF = 1u << 10, kOF = 1u << 11;
inline constexpr u32 kStatus = kCF | kPF | kAF | kZF | kSF | kOF;
inline constexpr u32 kCompared = kStatus | kDF;

// Registers in encoding order; index 4 (ESP) is never used by generated code.
enum Reg : u8 { EAX = 0, ECX, EDX, EBX, ESP, EBP, ESI, EDI };
inline constexpr int kRegs = 8;

// The architectural state both runners take in and give back. Layout is shared with native_entry.S.
struct State {
  u32 gpr[kRegs];  // gpr[ESP] is ignored
  u32 eflags;
};
static_assert(sizeof(State) == 36);

// How the flags model refines an instruction at run time (see flags_model.cpp).
enum class Kind : u8 {
  Plain,        // static Zydis masks are exact
  Shift,        // SHL/SAL/SHR/SAR
  Rotate,       // ROL/ROR
  RotateCarry,  // RCL/RCR
  DoubleShift,  // SHLD/SHRD
  BitScan,      // BSF/BSR: destination undefined if the source is zero
  BitTest,      // BT/BTS/BTR/BTC (a register bit offset can reach outside the operand)
  String,       // MOVS/CMPS/SCAS/LODS/STOS, possibly with REP
  Branch,       // Jcc
};

struct GenInsn {
  ZydisEncoderRequest req{};  // machine_mode and relative targets are filled in by encode()
  Kind kind = Kind::Plain;
  u8 opsize = 4;              // operand size in bytes
  int jcc_target = -1;        // Jcc: index of the instruction it jumps to (== size() means the end)
  // Filled by encode_sequence():
  u8 b32[16]{}, b64[16]{};
  u8 len32 = 0, len64 = 0;
  std::string text;  // Intel-syntax disassembly of the IA-32 bytes
  u32 tested = 0, modified = 0, undefined = 0;  // Zydis's EFLAGS masks (set_0/set_1 folded into modified)
};

struct Sequence {
  u64 seed = 0, number = 0;
  std::vector<GenInsn> insns;
  State init{};
  std::vector<u8> buf;  // initial contents of the data buffer (kBufSize bytes)
};

// What a run produced.
struct Outcome {
  bool valid = true;        // false: the sequence hit an undefined result (see why) and is skipped
  std::string why;
  State state{};
  std::vector<u8> buf;
  int fault_index = -1;     // index of the instruction that faulted, or -1
  int fault_vector = -1;    // exception vector (ring1) / 0 for SIGFPE (native); other signals: 100+signo
  u32 undefined_flags = 0;  // status flags undefined at the end of the executed path (ring1 side)
  std::vector<int> path;    // instruction indices executed, in order (ring1 side)
};

// encode.cpp
bool encode_sequence(Sequence& s, std::string* error);
std::string disassemble32(const u8* bytes, u8 len);

// flags_model.cpp
struct RuntimeEffect {
  bool valid = true;       // false: the result would be undefined or memory would leave the buffer
  const char* why = "";
  bool flags_untouched = false;  // e.g. a shift by zero: EFLAGS are not written at all
  u32 tested = 0, modified = 0, undefined = 0;
};
RuntimeEffect runtime_effect(const GenInsn& in, const State& pre, const u8* buf);
u32 reg_value(ZydisRegister r, const State& s);
u32 host_quirk_mask(const GenInsn& in);

}  // namespace difftest
