// ring1-difftest --against jit: each generated sequence (generator.cpp) is loaded into two test machines,
// one interpreting and one with the translation tier compiling every block on its first full run, and run
// to its end in one go (so the translated blocks are the ones that execute). Everything either tier could
// leave differently is compared: all of EAX..EDI, EIP, the whole EFLAGS (undefined flags included: both
// tiers keep one lazy record), the instruction and cycle counts, why the run stopped, the fault record, and
// the data buffer. Twice per sequence: the second run starts from the first's end state with the blocks
// already translated (and, in the interpreting machine, already decoded).
#include "tiers.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "compare.h"
#include "support/test_machine.h"

namespace difftest {
namespace {

using ring1::test::TestMachine;

struct Tier {
  TestMachine m;
  explicit Tier(bool jit) {
    m.translator.reset();
    if (jit) m.translator = std::make_unique<ring1::jit::Translator>(m.cpu, ring1::jit::TranslatorOptions{.hot_after = 1});
  }
  void load(const std::vector<u8>& code, const Sequence& s) {
    auto& cpu = m.cpu;
    cpu.reset_flat32();
    m.load(code, TestMachine::kCode);
    m.ram.write_bytes(kBufAddr, s.buf.data(), kBufSize);
    for (int r = 0; r < kRegs; ++r) cpu.gpr[r] = s.init.gpr[r];
    cpu.gpr[ring1::ESP] = TestMachine::kStackTop;
    cpu.eflags = (s.init.eflags & kCompared) | ring1::eflags::Reserved1;
  }
  std::string run() {
    const ring1::StopReason r = m.run(10'000);
    const auto& c = m.cpu;
    const auto& f = c.last_fault();
    std::string out = fmt::format("stop {} eip {:#x} eflags {:#x} instret {} cycles {} steps {}",
                                  ring1::stop_reason_name(r), c.eip, c.eflags, c.instret, c.cycles, c.steps());
    for (int g = 0; g < 8; ++g) out += fmt::format(" r{}={:#x}", g, c.gpr[g]);
    if (r == ring1::StopReason::UnhandledFault)
      out += fmt::format(" fault {} err {:#x} at {:#x}", f.vector, f.error_code, f.eip);
    u64 h = 1469598103934665603ull;  // FNV-1a of the data buffer and the stack page below kStackTop
    for (u32 a = kBufAddr; a < kBufAddr + kBufSize; ++a) h = (h ^ *m.ram.host(a)) * 1099511628211ull;
    for (u32 a = TestMachine::kStackTop - 256; a < TestMachine::kStackTop; ++a)
      h = (h ^ *m.ram.host(a)) * 1099511628211ull;
    out += fmt::format(" memory {:#018x}", h);
    return out;
  }
};

}  // namespace

u64 run_tiers(const GenConfig& cfg, u64 seed, u64 start, u64 count, u64 max_reports, u64& compared) {
  Tier interp(false), jit(true);
  u64 mismatches = 0;
  compared = 0;
  for (u64 n = start; n < start + count; ++n) {
    Sequence s = generate(cfg, seed, n, 0);
    std::string err;
    if (!encode_sequence(s, &err)) {
      std::fprintf(stderr, "ring1-difftest: tester error at sequence %llu: %s\n", (unsigned long long)n, err.c_str());
      return ~u64(0);
    }
    std::vector<u8> code;
    for (const GenInsn& g : s.insns) code.insert(code.end(), g.b32, g.b32 + g.len32);
    // A JMP to the next byte ends the last block where the code ends, so the stop address lies outside it
    // and the whole block runs translated (with the stop address inside, the run loop steps it instead).
    code.insert(code.end(), {0xE9, 0, 0, 0, 0});
    interp.load(code, s);
    jit.load(code, s);
    for (int pass = 0; pass < 2; ++pass) {
      const std::string a = interp.run(), b = jit.run();
      ++compared;
      if (a != b) {
        if (++mismatches <= max_reports)
          std::printf("TIERS DIFFER at sequence %llu pass %d\n  interp: %s\n  jit:    %s\n%s\n",
                      (unsigned long long)n, pass, a.c_str(), b.c_str(), describe(s).c_str());
        break;
      }
      interp.m.cpu.eip = TestMachine::kCode;
      jit.m.cpu.eip = TestMachine::kCode;
    }
  }
  const auto& st = jit.m.translator->stats();
  std::printf("translation tier: %llu blocks compiled (%llu instructions inline, %llu handler calls), %llu entered\n",
              (unsigned long long)st.compiled.blocks, (unsigned long long)st.compiled.inline_insns,
              (unsigned long long)st.compiled.call_insns, (unsigned long long)st.entries);
  return mismatches;
}

}  // namespace difftest
