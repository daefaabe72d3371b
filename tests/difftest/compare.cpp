// Comparison: two outcomes agree when both ran to the end, or both faulted at the same instruction with the
// same exception, and then EAX..EDI (ESP excluded), the status flags and DF, and every byte of the data
// buffer are equal. Status flags the flags model says are undefined at that point (tracked along ring1's
// executed path) are not compared. A mismatch report carries everything needed to reproduce and read it:
// seed and sequence number, each instruction's IA-32 and 64-bit bytes with its disassembly, the initial
// state, and each differing register, flag and memory byte, native value first.
#include "compare.h"

#include <fmt/format.h>

namespace difftest {

namespace {

constexpr const char* kRegNames[kRegs] = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};

struct FlagName {
  u32 bit;
  const char* name;
};
constexpr FlagName kFlagNames[] = {{kCF, "CF"}, {kPF, "PF"}, {kAF, "AF"}, {kZF, "ZF"},
                                   {kSF, "SF"}, {kDF, "DF"}, {kOF, "OF"}};

std::string hex(const u8* b, u8 n) {
  std::string s;
  for (u8 i = 0; i < n; ++i) s += fmt::format("{}{:02x}", i ? " " : "", b[i]);
  return s;
}

std::string flags_text(u32 f) {
  std::string s;
  for (const auto& fl : kFlagNames)
    if (f & fl.bit) {
      if (!s.empty()) s += ' ';
      s += fl.name;
    }
  return s.empty() ? "-" : s;
}

std::string fault_text(int vec) {
  if (vec < 0) return "none";
  if (vec == 0) return "#DE";
  if (vec == 6) return "#UD (invalid or not implemented)";
  if (vec == 200) return "ring1 stop";
  if (vec >= 100) return fmt::format("host signal {}", vec - 100);
  return fmt::format("vector {}", vec);
}

}  // namespace

std::string describe(const Sequence& s) {
  std::string r = fmt::format("  seed {} sequence {} ({} instructions)\n", s.seed, s.number, s.insns.size());
  for (size_t i = 0; i < s.insns.size(); ++i) {
    const GenInsn& g = s.insns[i];
    r += fmt::format("  [{}] {:<32} ia32: {:<26} x64: {}\n", i, g.text, hex(g.b32, g.len32), hex(g.b64, g.len64));
  }
  r += "  initial:";
  for (int k = 0; k < kRegs; ++k)
    if (k != ESP) r += fmt::format(" {}={:08x}", kRegNames[k], s.init.gpr[k]);
  r += fmt::format(" eflags={:08x} [{}]\n", s.init.eflags, flags_text(s.init.eflags & kCompared));
  return r;
}

bool compare(const Sequence& s, const Outcome& nat, const Outcome& r1, std::string& report) {
  std::string diffs;
  if (nat.fault_index != r1.fault_index || nat.fault_vector != r1.fault_vector)
    diffs += fmt::format("  fault: native {} at [{}], ring1 {} at [{}]{}\n", fault_text(nat.fault_vector),
                         nat.fault_index, fault_text(r1.fault_vector), r1.fault_index,
                         r1.why.empty() ? "" : " (" + r1.why + ")");
  for (int k = 0; k < kRegs; ++k)
    if (k != ESP && nat.state.gpr[k] != r1.state.gpr[k])
      diffs += fmt::format("  {}: native {:08x} ring1 {:08x}\n", kRegNames[k], nat.state.gpr[k], r1.state.gpr[k]);
  const u32 mask = kCompared & ~r1.undefined_flags;
  const u32 fd = (nat.state.eflags ^ r1.state.eflags) & mask;
  for (const auto& fl : kFlagNames)
    if (fd & fl.bit)
      diffs += fmt::format("  {}: native {} ring1 {}\n", fl.name, (nat.state.eflags & fl.bit) ? 1 : 0,
                           (r1.state.eflags & fl.bit) ? 1 : 0);
  int shown = 0;
  for (u32 i = 0; i < kBufSize; ++i)
    if (nat.buf[i] != r1.buf[i] && shown++ < 32)
      diffs += fmt::format("  mem[{:08x}]: native {:02x} ring1 {:02x} (initial {:02x})\n", kBufAddr + i, nat.buf[i],
                           r1.buf[i], s.buf[i]);
  if (shown > 32) diffs += fmt::format("  ... {} differing bytes in all\n", shown);
  if (diffs.empty()) return true;

  std::string path;
  for (int i : r1.path) path += fmt::format("{}{}", path.empty() ? "" : ",", i);
  report = "MISMATCH\n" + describe(s);
  report += fmt::format("  ring1 path: [{}]; flags undefined at the end (not compared): {}\n", path,
                        flags_text(r1.undefined_flags));
  report += fmt::format("  final eflags: native {:08x} [{}] ring1 {:08x} [{}]\n", nat.state.eflags,
                        flags_text(nat.state.eflags & mask), r1.state.eflags, flags_text(r1.state.eflags & mask));
  report += diffs;
  return false;
}

}  // namespace difftest
