// The shared vocabulary of the Unicorn oracle: the memory layout both machines use, the machine state a
// sequence starts from, and what a run leaves behind. Addresses follow ring1's TestMachine (code at kCode,
// stack below kStackTop, data at kData) so a sequence runs at the same addresses in both machines; only the
// windows below are mapped in Unicorn, and they are also the bytes compared after a run.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "support/test_machine.h"

namespace ring1::oracle {

using ring1::u8;
using ring1::u16;
using ring1::u32;
using ring1::u64;
using Tm = ring1::test::TestMachine;

struct Window {
  u32 base, size;
  const char* name;
};

// The code page (TestMachine::kCode) is mapped read+execute in Unicorn, so a generated store into the code
// is caught there (the sequence is then discarded and regenerated: self-modifying code is not the subject).
inline constexpr u32 kCodePage = Tm::kCode;
inline constexpr u32 kCodeSize = 0x1000;
// Data windows (read/write, compared byte for byte after every run):
//  low:   every address a 16-bit (0x67) address can form, plus the bytes a dword at 0xFFFF spills into;
//         split around the code page.
//  stack: 4 KiB on each side of TestMachine::kStackTop.
//  data:  64 KiB at TestMachine::kData, where 32-bit pointers in EBX/ESI/EDI/EBP point.
inline constexpr Window kWindows[] = {
    {0x0000, 0x1000, "low"},
    {0x2000, 0xF000, "low"},
    {Tm::kStackTop - 0x1000, 0x2000, "stack"},
    {Tm::kData, 0x10000, "data"},
};
// Unicorn only: a flat GDT so the selectors can be 0x08 (code) and 0x10 (data) as in ring1.
inline constexpr u32 kGdtBase = 0x200000;
inline constexpr u16 kCodeSel = 0x08, kDataSel = 0x10;

// EFLAGS bits the oracle compares: the six status flags and DF.
inline constexpr u32 kCF = 1u << 0, kPF = 1u << 2, kAF = 1u << 4, kZF = 1u << 6, kSF = 1u << 7,
                     kDF = 1u << 10, kOF = 1u << 11;
inline constexpr u32 kStatusFlags = kCF | kPF | kAF | kZF | kSF | kOF;
inline constexpr u32 kComparedFlags = kStatusFlags | kDF;

struct MemPatch {
  u32 addr;
  std::vector<u8> bytes;
};

// Where a sequence starts: registers, EFLAGS, and the memory windows (random bytes from mem_seed, then
// the patches a generator needs at known addresses, BOUND's limits say).
struct InitialState {
  u32 gpr[8] = {};
  u32 eflags = 2;
  u64 mem_seed = 0;
  std::vector<MemPatch> patches;
};

// How a run ended: at the end of the code, on an exception/interrupt (vector, EIP as reported), or with
// an error of the runner itself (an unmapped access in Unicorn, a host error in ring1).
enum class EndKind : u8 { End, Interrupt, Error };

struct RunResult {
  EndKind end = EndKind::Error;
  u8 vector = 0;
  std::string error;
  u32 gpr[8] = {};
  u32 eip = 0;
  u32 eflags = 0;
  std::vector<u8> memory;  // the windows, concatenated in kWindows order
};

// Fills the windows' initial contents (deterministic in mem_seed) into one buffer in kWindows order.
// `mem` is resized once and reused: sequences run by the thousand, and a fresh 136 KiB buffer each
// time costs more than the emulation.
void initial_memory(const InitialState& s, std::vector<u8>& mem);
u32 windows_total_size();
// Maps an offset in the concatenated window buffer back to a guest address.
u32 window_address(u32 offset);

}  // namespace ring1::oracle
