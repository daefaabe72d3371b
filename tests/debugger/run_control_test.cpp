// The CPU and MMU support the debugger needs: the breakpoint set, single-step, watched pages kept off the
// fast path, and the guarantee that none of it changes the modelled counts.
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1 {
namespace {

using test::TestMachine;

constexpr std::string_view kLoop = R"(
  mov ecx, 50
again:
  mov eax, [0x100000]
  add eax, ecx
  mov [0x100000], eax
  dec ecx
  jnz again
)";

TEST(RunControl, ABreakpointStopsBeforeItsInstructionAndResumingGivesTheSameCounts) {
  TestMachine plain;
  plain.load_asm(kLoop);
  ASSERT_EQ(plain.run(), StopReason::Breakpoint);  // its stop_at_eip: the end of the code

  TestMachine m;
  m.load_asm(kLoop);
  BreakpointSet bps;
  const u32 again = TestMachine::kCode + 5;  // after `mov ecx, 50`
  bps.add(again + 5);                        // `add eax, ecx`
  RunLimits lim;
  lim.stop_at_eip = m.code_end;
  lim.breakpoints = &bps;
  ASSERT_EQ(m.cpu.run(lim), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.eip, again + 5);
  EXPECT_EQ(m.cpu.instret, 2u);
  // Step over it, then run on with the breakpoint removed.
  RunLimits step;
  step.single_step = true;
  ASSERT_EQ(m.cpu.run(step), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.instret, 3u);
  bps.clear();
  ASSERT_EQ(m.cpu.run(lim), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.eip, m.code_end);
  EXPECT_EQ(m.cpu.instret, plain.cpu.instret);
  EXPECT_EQ(m.cpu.cycles, plain.cpu.cycles);
  EXPECT_EQ(m.mem<u32>(0x100000), plain.mem<u32>(0x100000));
}

TEST(RunControl, SingleStepRunsExactlyOneInstructionOrOneDelivery) {
  TestMachine m;
  m.load_asm("nop\nnop\nnop");
  RunLimits step;
  step.single_step = true;
  for (u64 k = 1; k <= 3; ++k) {
    ASSERT_EQ(m.cpu.run(step), StopReason::Breakpoint);
    EXPECT_EQ(m.cpu.instret, k);
  }
}

// Counts a watched page's accesses.
struct Hits {
  int reads = 0, writes = 0;
  u32 last = 0;
  static void hook(void* ctx, u32 lin, u32, bool write) {
    auto* h = static_cast<Hits*>(ctx);
    (write ? h->writes : h->reads)++;
    h->last = lin;
  }
};

TEST(RunControl, AWatchedPageSeesEveryAccessFlatAndTheCountsDoNotChange) {
  TestMachine plain;
  plain.load_asm(kLoop);
  plain.run();
  TestMachine m;
  m.load_asm(kLoop);
  Hits h;
  m.mmu.set_data_watch(DataWatch{&Hits::hook, &h}, {0x100000 >> 12});
  m.run();
  EXPECT_EQ(h.reads, 50);
  EXPECT_EQ(h.writes, 50);
  EXPECT_EQ(h.last, 0x100000u);
  EXPECT_EQ(m.cpu.cycles, plain.cpu.cycles);
}

// Paging on over an identity map of the first 4 MiB (page table at 0x200000, directory at 0x201000).
void identity_paging(TestMachine& t) {
  for (u32 i = 0; i < 1024; ++i) t.poke<u32>(0x200000 + 4 * i, (i << 12) | 3);
  t.poke<u32>(0x201000, 0x200000 | 3);
  t.cpu.set_cr3(0x201000);
  t.cpu.set_cr0(t.cpu.cr0 | 0x80000000u);
}

TEST(RunControl, AWatchedPageSeesEveryAccessWithPagingAndTheTlbCountsDoNotChange) {
  auto setup = [](TestMachine& t) {
    identity_paging(t);
    t.load_asm(kLoop);
  };
  TestMachine plain;
  setup(plain);
  plain.run();
  TestMachine m;
  setup(m);
  Hits h;
  // Watch after the first pass filled the TLB too: the hint must be withdrawn from a live entry.
  m.run(3);
  m.mmu.set_data_watch(DataWatch{&Hits::hook, &h}, {0x100000 >> 12});
  m.run();
  EXPECT_EQ(h.reads, 49);  // the first read came before the watch
  EXPECT_EQ(h.writes, 50);
  EXPECT_EQ(m.cpu.cycles, plain.cpu.cycles);
  EXPECT_EQ(m.mmu.stats().dtlb.lookups, plain.mmu.stats().dtlb.lookups);
  EXPECT_EQ(m.mmu.stats().dtlb.misses, plain.mmu.stats().dtlb.misses);
  // Unwatching restores the fast path: no more hits.
  m.mmu.set_data_watch({}, {});
  m.load_asm(kLoop);
  m.run();
  EXPECT_EQ(h.writes, 50);
}


// Read-modify-write instructions share one translation on the fast path (Cpu::modify); a watched page must
// still see both halves, with paging off and on.
TEST(RunControl, AWatchedPageSeesBothHalvesOfAReadModifyWrite) {
  constexpr std::string_view kRmw = "mov eax, 3\n add [0x100000], eax\n inc dword ptr [0x100004]\n";
  for (bool paging : {false, true}) {
    TestMachine m;
    if (paging) identity_paging(m);
    m.load_asm(kRmw);
    Hits h;
    m.mmu.set_data_watch(DataWatch{&Hits::hook, &h}, {0x100000 >> 12});
    m.run();
    EXPECT_EQ(h.reads, 2) << "paging " << paging;
    EXPECT_EQ(h.writes, 2) << "paging " << paging;
    EXPECT_EQ(m.mem<u32>(0x100000), 3u);
    EXPECT_EQ(m.mem<u32>(0x100004), 1u);
  }
}

// Breakpoints live in a set the run loop checks, not in guest memory: a guest that rewrites the very
// instruction a breakpoint sits on stops there, and stepping off it runs the new bytes (the decode cache
// drops the old ones on the code write), exactly as without the debugger.
TEST(RunControl, ABreakpointOnSelfModifiedCodeStopsThereAndTheNewInstructionRuns) {
  constexpr std::string_view kPatch = R"(
  mov byte ptr [target + 1], 7   # mov eax, 1  ->  mov eax, 7
  nop
target:
  mov eax, 1
  mov ebx, eax
)";
  TestMachine plain;
  plain.load_asm(kPatch);
  ASSERT_EQ(plain.run(), StopReason::Breakpoint);
  ASSERT_EQ(plain.r(EAX), 7u);

  TestMachine m;
  m.load_asm(kPatch);
  // Decode the block first, so the breakpoint is on code the cache already holds.
  RunLimits warm;
  warm.max_instructions = 1;
  ASSERT_EQ(m.cpu.run(warm), StopReason::InsnLimit);
  BreakpointSet bps;
  const u32 target = TestMachine::kCode + 7 + 1;  // after the 7-byte store and the nop
  bps.add(target);
  RunLimits lim;
  lim.stop_at_eip = m.code_end;
  lim.breakpoints = &bps;
  ASSERT_EQ(m.cpu.run(lim), StopReason::Breakpoint);
  ASSERT_EQ(m.cpu.eip, target);
  EXPECT_EQ(m.mem<u8>(target), 0xB8);  // guest memory holds its own bytes, no INT3 planted
  RunLimits step;
  step.single_step = true;
  ASSERT_EQ(m.cpu.run(step), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 7u);
  bps.clear();
  ASSERT_EQ(m.cpu.run(lim), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EBX), 7u);
  EXPECT_EQ(m.cpu.instret, plain.cpu.instret);
  EXPECT_EQ(m.cpu.cycles, plain.cpu.cycles);
}

}  // namespace
}  // namespace ring1
