// Test support for the translation tier: the same machine twice, one interpreting and one translating every
// block on its first full run, set up alike, run alike, and compared on everything a run leaves behind
// (registers, EIP, all of EFLAGS, the counts and cycles by ring, deliveries, TLB counters, the stop).
#pragma once
#include <functional>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "jit/translator.h"
#include "support/test_machine.h"

namespace ring1::test {

// Everything a run leaves that the two tiers must agree on, as one line (gtest prints it on a mismatch).
inline std::string outcome(const TestMachine& m, StopReason r) {
  const Cpu& c = m.cpu;
  std::string s = fmt::format("stop {} eip {:#x} eflags {:#x} cpl {} instret {} steps {} cycles {}",
                              stop_reason_name(r), c.eip, c.eflags, c.cpl, c.instret, c.steps(), c.cycles);
  for (int g = 0; g < 8; ++g) s += fmt::format(" r{}={:#x}", g, c.gpr[g]);
  for (int ring = 0; ring < 4; ++ring)
    s += fmt::format(" ring{}={}/{}", ring, c.insns_by_ring[ring], c.cycles_by_ring[ring]);
  u64 delivered = 0;
  for (const u64 n : c.interrupt_stats.by_vector) delivered += n;
  const MmuStats& t = m.mmu.stats();
  s += fmt::format(" delivered {} itlb {}/{} dtlb {}/{} cr2 {:#x}", delivered, t.itlb.lookups, t.itlb.misses,
                   t.dtlb.lookups, t.dtlb.misses, c.cr2);
  return s;
}

// Makes `m` interpret (jit = false) or translate every block the first time it runs in full.
inline void choose_tier(TestMachine& m, bool jit) {
  m.translator.reset();
  if (jit) m.translator = std::make_unique<jit::Translator>(m.cpu, jit::TranslatorOptions{.hot_after = 1});
}

}  // namespace ring1::test
