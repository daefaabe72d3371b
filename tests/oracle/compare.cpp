// See compare.h.
#include "oracle/compare.h"

#include <fmt/format.h>

namespace ring1::oracle {

namespace {

constexpr const char* kGprNames[8] = {"EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"};

struct FlagName {
  u32 mask;
  const char* name;
};
constexpr FlagName kFlagNames[] = {{kCF, "CF"}, {kPF, "PF"}, {kAF, "AF"}, {kZF, "ZF"},
                                   {kSF, "SF"}, {kDF, "DF"}, {kOF, "OF"}};

std::string flags_text(u32 f) {
  std::string s = fmt::format("{:#010x} [", f);
  for (const FlagName& n : kFlagNames)
    if (f & n.mask) s += std::string(" ") + n.name;
  return s + " ]";
}

const char* end_name(EndKind k) {
  switch (k) {
    case EndKind::End: return "end of code";
    case EndKind::Interrupt: return "exception/trap";
    case EndKind::Error: return "runner error";
  }
  return "?";
}

// ---- Unicorn (QEMU TCG 5.0.x) errors: cases where Unicorn, not ring1, departs from the SDM ----
// Each entry names the instruction bytes it applies to and the flags it excludes from the comparison.
// The table is empty: no Unicorn 2.0.1 departure from the SDM was found in the defined results of the
// generated instructions. Checked while writing the oracle: DAA DAS AAA AAS AAM AAD exhaustively over AL x
// {AF, CF} x four AH values (AAM/AAD with bases 10, 7, 255) against the SDM pseudo-code, and SHL SHR SAR
// ROL ROR RCL RCR (8/16/32 bits, counts 0-63 and random) against the host CPU; both agree wherever the SDM
// defines the flag. Flags the SDM leaves undefined (where QEMU computes its own values) are already
// excluded by the analysis. One Unicorn gap is avoided in the generator rather than listed here: QEMU's
// TCG does not check segment types, so a store with a CS override would succeed in Unicorn where the SDM
// (and ring1) raise #GP; the generator never emits a CS override.
struct Exclusion {
  bool (*applies)(const Sequence&);
  u32 flags;           // flags not compared when it applies
  const char* reason;  // why Unicorn is wrong here
};
constexpr Exclusion kUnicornExclusions[] = {
    {nullptr, 0, nullptr},
};

u32 excluded_flags(const Sequence& seq) {
  u32 f = 0;
  for (const Exclusion& e : kUnicornExclusions)
    if (e.applies && e.applies(seq)) f |= e.flags;
  return f;
}

}  // namespace

// Mismatches matching a known, not yet fixed ring1 bug print as such and fail only with --strict. None is
// pending: the one this oracle found (BOUND with 16-bit addressing wrapped its upper bound's address at
// 64 KiB) is fixed in src/cpu/isa/control.cpp, and CTest runs with --strict so a new one fails at once.
const char* known_ring1_bug(const Sequence&) { return nullptr; }

Differences compare(const Sequence& seq, const Analysis& a, const RunResult& uc, const RunResult& r1) {
  Differences d;
  auto add = [&](std::string s) { d.lines.push_back(std::move(s)); };
  if (uc.end != r1.end) add(fmt::format("end: unicorn {} vs ring1 {}", end_name(uc.end), end_name(r1.end)));
  if (uc.end == EndKind::Interrupt && r1.end == EndKind::Interrupt && uc.vector != r1.vector)
    add(fmt::format("vector: unicorn {} vs ring1 {}", uc.vector, r1.vector));
  if (!r1.error.empty()) add(fmt::format("ring1: {}", r1.error));
  if (uc.eip != r1.eip) add(fmt::format("EIP: unicorn {:#010x} vs ring1 {:#010x}", uc.eip, r1.eip));
  for (int r = 0; r < 8; ++r)
    if (uc.gpr[r] != r1.gpr[r])
      add(fmt::format("{}: unicorn {:#010x} vs ring1 {:#010x}", kGprNames[r], uc.gpr[r], r1.gpr[r]));
  u32 mask = kComparedFlags & ~a.undefined_at(uc.eip, Tm::kCode) & ~excluded_flags(seq);
  for (const FlagName& n : kFlagNames) {
    if (!(mask & n.mask)) continue;
    if ((uc.eflags ^ r1.eflags) & n.mask)
      add(fmt::format("{}: unicorn {} vs ring1 {}", n.name, (uc.eflags & n.mask) ? 1 : 0,
                      (r1.eflags & n.mask) ? 1 : 0));
  }
  if (uc.memory == r1.memory) {
  } else if (uc.memory.size() == r1.memory.size()) {
    int total = 0;
    for (size_t i = 0; i < uc.memory.size(); ++i) {
      if (uc.memory[i] == r1.memory[i]) continue;
      if (++total <= 16)
        add(fmt::format("mem[{:#08x}]: unicorn {:02x} vs ring1 {:02x}", window_address(u32(i)), uc.memory[i],
                        r1.memory[i]));
    }
    if (total > 16) add(fmt::format("... {} differing bytes in all", total));
  } else {
    add("memory: not captured by both runners");
  }
  return d;
}

std::string describe_sequence(const Sequence& seq, const Analysis& a) {
  std::string s;
  for (size_t k = 0; k < seq.insns.size(); ++k) {
    const GenInsn& g = seq.insns[k];
    std::string text = k < a.insns.size() ? a.insns[k].text : "?";
    u32 off = k < a.insns.size() ? a.insns[k].offset : 0;
    s += fmt::format("    {:#06x}: {:<36} {:<34} [{}]\n", Tm::kCode + off, fmt::format("{:02x}", fmt::join(g.bytes, " ")),
                     text, family_name(g.family));
  }
  const InitialState& in = seq.init;
  s += "  initial:";
  for (int r = 0; r < 8; ++r) s += fmt::format(" {}={:08x}", kGprNames[r], in.gpr[r]);
  s += fmt::format("\n           EFLAGS={} mem_seed={:#x}\n", flags_text(in.eflags), in.mem_seed);
  for (const MemPatch& p : in.patches)
    s += fmt::format("           mem[{:#08x}] = {:02x}\n", p.addr, fmt::join(p.bytes, " "));
  if (a.valid) s += fmt::format("  flags undefined at the end: {}\n", flags_text(a.undef_after.back()));
  return s;
}

std::string describe_result(const char* who, const RunResult& r) {
  std::string s = fmt::format("  {:<8} {}", who, end_name(r.end));
  if (r.end == EndKind::Interrupt) s += fmt::format(" vector {}", r.vector);
  if (!r.error.empty()) s += " (" + r.error + ")";
  s += fmt::format(" EIP={:08x} EFLAGS={}\n          ", r.eip, flags_text(r.eflags));
  for (int i = 0; i < 8; ++i) s += fmt::format(" {}={:08x}", kGprNames[i], r.gpr[i]);
  return s + "\n";
}

}  // namespace ring1::oracle
