// Two-level paging and the modelled TLB (SDM vol. 3, chapter 4): translation, #PF error codes and CR2,
// U/S and R/W with CR0.WP, accessed and dirty flags, 4 MiB pages, global pages, stale entries, and the
// exact TLB counts flushes produce in untagged and tagged mode.
#include <gtest/gtest.h>

#include "support/snippets.h"
#include "support/test_machine.h"

namespace ring1::test {
namespace {

constexpr u32 P = 1, RW = 2, US = 4, A = 0x20, D = 0x40, PS = 0x80, G = 0x100;
constexpr u32 kPd = 0x200000;  // page directory
constexpr u32 kPt = 0x201000;  // page table for 0..4 MiB
constexpr u32 kPt2 = 0x202000; // page table for 4..8 MiB

// A machine whose first 4 MiB are identity-mapped, supervisor read/write, with paging on.
struct Paged : TestMachine {
  explicit Paged(TlbMode mode = TlbMode::Untagged, const TlbProfile& profile = TlbProfile::p3())
      : TestMachine(mode, profile) {
    poke<u32>(kPd, kPt | P | RW | US);
    for (u32 i = 0; i < 1024; ++i) poke<u32>(kPt + 4 * i, (i << 12) | P | RW);
    cpu.set_cr3(kPd);
    cpu.set_cr0(cpu.cr0 | 0x80000000u);
  }
  void map(u32 lin, u32 entry) {  // in 4..8 MiB, through the second page table
    poke<u32>(kPd + 4, kPt2 | P | RW | US);
    poke<u32>(kPt2 + 4 * ((lin >> 12) & 1023), entry);
  }
  u32 pte(u32 lin) { return mem<u32>(kPt2 + 4 * ((lin >> 12) & 1023)); }
  // Lets CPL 3 fetch the test code (page 1), so a user-mode test faults on its data access, not on fetch.
  void user_code() { poke<u32>(kPt + 4, (1u << 12) | P | RW | US); }
  const MmuStats& stats() { return mmu.stats(); }
  const FaultRecord& fault() { return cpu.last_fault(); }
};

TEST(Paging, IdentityMappedCodeRunsWithPagingOn) {
  Paged m;
  EXPECT_EQ(m.exec("mov eax, 7\n mov [0x100000], eax\n mov ebx, [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EBX), 7u);
  EXPECT_EQ(m.stats().dtlb.misses, 1u);  // one data page, walked once
  EXPECT_EQ(m.stats().dtlb.hits(), 1u);
  EXPECT_EQ(m.stats().itlb.misses, 1u);
}

TEST(Paging, AMappedPageReachesItsFrame) {
  Paged m;
  m.map(0x400000, 0x123000 | P | RW);
  m.poke<u32>(0x123010, 0xfeedface);
  m.exec("mov eax, [0x400010]");
  EXPECT_EQ(m.r(EAX), 0xfeedfaceu);
}

TEST(Paging, NotPresentReadFaultsWithCr2AndErrorCodeZero) {
  Paged m;
  EXPECT_EQ(m.exec("mov eax, [0x400abc]"), StopReason::UnhandledFault);
  EXPECT_EQ(m.fault().vector, 14);
  EXPECT_EQ(m.fault().error_code, 0u);
  EXPECT_EQ(m.cpu.cr2, 0x400abcu);
  EXPECT_EQ(m.fault().eip, TestMachine::kCode);  // a fault: the instruction restarts
}

TEST(Paging, ErrorCodesNameWriteUserAndProtection) {
  struct Case {
    const char* asm_;
    u8 cpl;
    u32 pte;
    u32 error;
  } cases[] = {
      {"mov [0x400000], eax", 0, 0, 0x2},               // supervisor write, not present
      {"mov eax, [0x400000]", 3, 0, 0x4},               // user read, not present
      {"mov [0x400000], eax", 3, 0, 0x6},               // user write, not present
      {"mov eax, [0x400000]", 3, 0x123000 | P, 0x5},    // user read of a supervisor page
      {"mov [0x400000], eax", 3, 0x123000 | P | US, 0x7},  // user write to a read-only user page
      {"mov [0x400000], eax", 3, 0x123000 | P | RW, 0x7},  // user write to a supervisor page
  };
  for (const Case& c : cases) {
    Paged m;
    m.map(0x400000, c.pte);
    m.user_code();
    m.cpu.cpl = c.cpl;
    EXPECT_EQ(m.exec(c.asm_), StopReason::UnhandledFault) << c.asm_;
    EXPECT_EQ(m.fault().vector, 14) << c.asm_;
    EXPECT_EQ(m.fault().error_code, c.error) << c.asm_ << " at CPL " << int(c.cpl);
  }
}

TEST(Paging, RingsZeroToTwoAreSupervisor) {
  for (u8 ring : {0, 1, 2}) {
    Paged m;
    m.map(0x400000, 0x123000 | P | RW);  // supervisor-only page
    m.cpu.cpl = ring;
    EXPECT_EQ(m.exec("mov dword ptr [0x400000], 5"), StopReason::Breakpoint) << "ring " << int(ring);
  }
}

TEST(Paging, SupervisorWritesIgnoreReadOnlyUnlessCr0WpIsSet) {
  Paged m;
  m.map(0x400000, 0x123000 | P);
  EXPECT_EQ(m.exec("mov dword ptr [0x400000], 5"), StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u32>(0x123000), 5u);
  m.cpu.set_cr0(m.cpu.cr0 | (1u << 16));
  EXPECT_EQ(m.exec("mov dword ptr [0x400000], 6"), StopReason::UnhandledFault);
  EXPECT_EQ(m.fault().error_code, 0x3u);
  EXPECT_EQ(m.mem<u32>(0x123000), 5u);
}

TEST(Paging, AccessedAndDirtyFlagsAreSetInTheTables) {
  Paged m;
  m.map(0x400000, 0x123000 | P | RW);
  m.exec("mov eax, [0x400000]");
  EXPECT_EQ(m.pte(0x400000) & (A | D), A);
  EXPECT_TRUE(m.mem<u32>(kPd + 4) & A);
  m.exec("mov [0x400000], eax");  // the TLB entry is clean: the write sets D
  EXPECT_EQ(m.pte(0x400000) & (A | D), A | D);
}

TEST(Paging, FourMegabytePagesMapWithOneDirectoryEntry) {
  Paged m;
  m.cpu.set_cr4(1u << 4);  // PSE
  m.poke<u32>(kPd + 8, 0x400000 | P | RW | PS);  // 8..12 MiB -> 4..8 MiB
  m.poke<u32>(0x400000 + 0x12344, 77);
  m.exec("mov eax, [0x812344]");
  EXPECT_EQ(m.r(EAX), 77u);
  EXPECT_TRUE(m.mem<u32>(kPd + 8) & A);
}

TEST(Paging, ReservedBitsInALargePageFaultWithRsvd) {
  Paged m;
  m.cpu.set_cr4(1u << 4);
  m.poke<u32>(kPd + 8, 0x400000 | P | RW | PS | (1u << 13));
  EXPECT_EQ(m.exec("mov eax, [0x800000]"), StopReason::UnhandledFault);
  EXPECT_EQ(m.fault().error_code, 0x9u);  // P | RSVD
}

TEST(Paging, AStaleTlbEntryIsUsedUntilInvlpg) {
  Paged m;
  m.map(0x400000, 0x123000 | P | RW);
  m.poke<u32>(0x123000, 1);
  m.poke<u32>(0x124000, 2);
  m.exec("mov eax, [0x400000]");
  EXPECT_EQ(m.r(EAX), 1u);
  m.map(0x400000, 0x124000 | P | RW);  // the guest edits the PTE and does not flush
  m.exec("mov eax, [0x400000]");
  EXPECT_EQ(m.r(EAX), 1u);  // the old translation, as on hardware
  m.exec("invlpg [0x400000]\n mov eax, [0x400000]");
  EXPECT_EQ(m.r(EAX), 2u);
  EXPECT_EQ(m.stats().flushes[size_t(FlushCause::Invlpg)], 1u);
  EXPECT_EQ(m.stats().entries_dropped[size_t(FlushCause::Invlpg)], 1u);
}

TEST(Paging, ACr3WriteFlushesNonGlobalEntriesAndKeepsGlobalOnes) {
  Paged m;
  m.cpu.set_cr4(1u << 7);  // PGE
  m.map(0x400000, 0x123000 | P | RW | G);
  m.map(0x401000, 0x124000 | P | RW);
  m.exec("mov eax, [0x400000]\n mov eax, [0x401000]");
  u64 misses = m.stats().dtlb.misses;
  m.exec("mov eax, 0x200000\n mov cr3, eax\n mov eax, [0x400000]\n mov eax, [0x401000]");
  EXPECT_EQ(m.stats().dtlb.misses - misses, 1u);  // only the non-global page is walked again
  EXPECT_GE(m.stats().flushes[size_t(FlushCause::Cr3Write)], 1u);
}

TEST(Paging, AnAccessAcrossAPageBoundaryFaultsBeforeWritingEitherPage) {
  Paged m;
  m.map(0x400000, 0x123000 | P | RW);  // 0x401000 stays unmapped
  m.poke<u32>(0x123ffc, 0x11111111);
  EXPECT_EQ(m.exec("mov dword ptr [0x400ffe], 0x22222222"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.cr2, 0x401000u);
  EXPECT_EQ(m.mem<u32>(0x123ffc), 0x11111111u);
}

TEST(Paging, CodeOnAnUnmappedPageFaultsOnFetch) {
  Paged m;
  m.load_asm("jmp eax");
  m.cpu.gpr[EAX] = 0x400000;
  EXPECT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.fault().vector, 14);
  EXPECT_EQ(m.fault().eip, 0x400000u);
  EXPECT_EQ(m.cpu.cr2, 0x400000u);
  EXPECT_EQ(m.fault().error_code, 0u);  // I/D is only reported with PAE NX or SMEP (SDM vol. 3, 4.7)
}

TEST(Paging, MovToCr3IsPrivileged) {
  Paged m;
  m.cpu.cpl = 3;
  m.user_code();
  EXPECT_EQ(m.exec("mov cr3, eax"), StopReason::UnhandledFault);
  EXPECT_EQ(m.fault().vector, 13);
}

// A read-modify-write instruction makes a read access and then a write access (SDM vol. 3, 4.8): two DTLB
// lookups, the write's dirty-flag update, and a write fault after the read, whether or not the interpreter
// shares one translation between them.
TEST(Paging, AReadModifyWriteLooksUpTheDtlbTwice) {
  Paged m;
  m.map(0x400000, 0x123000 | P | RW);
  m.poke<u32>(0x123000, 5);
  m.exec("mov eax, [0x400000]");  // a clean entry: the first write below sets D through the rights check
  const TlbCounters before = m.stats().dtlb;
  m.exec("add dword ptr [0x400000], 2\n inc dword ptr [0x400000]");
  EXPECT_EQ(m.mem<u32>(0x123000), 8u);
  EXPECT_EQ(m.stats().dtlb.lookups - before.lookups, 4u);
  EXPECT_EQ(m.stats().dtlb.misses, before.misses);
  EXPECT_EQ(m.pte(0x400000) & (A | D), A | D);
}

TEST(Paging, AReadModifyWriteOfAReadOnlyPageFaultsAfterItsRead) {
  Paged m;
  m.cpu.set_cr0(m.cpu.cr0 | (1u << 16));  // WP: supervisor writes honour R/W
  m.map(0x400000, 0x123000 | P);
  m.poke<u32>(0x123000, 5);
  m.exec("mov eax, [0x400000]");
  const TlbCounters before = m.stats().dtlb;
  EXPECT_EQ(m.exec("add dword ptr [0x400000], 1"), StopReason::UnhandledFault);
  EXPECT_EQ(m.fault().error_code, 0x3u);  // present, write
  EXPECT_EQ(m.mem<u32>(0x123000), 5u);
  EXPECT_EQ(m.stats().dtlb.lookups - before.lookups, 2u);  // the read hit; the write's lookup faulted
  EXPECT_EQ(m.stats().dtlb.misses, before.misses);
}

TEST(Paging, AReadModifyWriteIntoCodeIsSeenByTheNextFetch) {
  Paged m;
  m.exec(rewriting_loop("add byte ptr [f + 1], 10"));
  EXPECT_EQ(m.r(EBX), 1u + 11u + 21u);
}

// The fetch unit holds its page's translation, and looks the ITLB up again when fetch enters another page:
// pages 1, 3 and 5 share set 1 of the tiny ITLB (2 sets x 2 ways), so a round trip through them evicts.
TEST(Paging, ItlbMissesFollowTheGeometry) {
  Paged m(TlbMode::Untagged, *TlbProfile::named("tiny"));
  std::vector<u8> p3 = assemble("mov eax, 0x5000\n jmp eax", Bits::b32, 0x3000);
  std::vector<u8> p5 = assemble("mov eax, 0x1007\n jmp eax", Bits::b32, 0x5000);
  m.ram.write_bytes(0x3000, p3.data(), u32(p3.size()));
  m.ram.write_bytes(0x5000, p5.data(), u32(p5.size()));
  EXPECT_EQ(m.exec("mov eax, 0x3000\n jmp eax\n nop"), StopReason::Breakpoint);  // the NOP is at 0x1007
  // Page 1, 3, 5 miss; 5 evicts 1 (LRU); back on page 1 it misses again and evicts 3.
  EXPECT_EQ(m.stats().itlb.lookups, 4u);
  EXPECT_EQ(m.stats().itlb.misses, 4u);
  EXPECT_EQ(m.stats().itlb.evictions, 2u);
}

// The paper's point in numbers: after every CR3 write an untagged TLB misses once per page touched again;
// a tagged TLB keeps the entries of the address space it switches back to.
u64 misses_for_loop(TlbMode mode) {
  Paged m(mode);
  for (u32 p = 0; p < 16; ++p) m.map(0x400000 + p * 0x1000, (0x300000 + p * 0x1000) | P | RW);
  m.exec(R"(
      mov ecx, 10
    again:
      mov eax, 0x200000
      mov cr3, eax
      mov esi, 0x400000
      mov edx, 16
    touch:
      mov eax, [esi]
      add esi, 0x1000
      dec edx
      jnz touch
      dec ecx
      jnz again
  )");
  return m.stats().dtlb.misses;
}

TEST(Paging, UntaggedTlbMissesOncePerPageAfterEveryCr3Write) {
  // 10 iterations x 16 pages, plus nothing else: the code page is in the ITLB.
  EXPECT_EQ(misses_for_loop(TlbMode::Untagged), 160u);
}

TEST(Paging, TaggedTlbMissesOnlyOnTheFirstTouch) {
  EXPECT_EQ(misses_for_loop(TlbMode::Tagged), 16u);
}

TEST(Paging, CapacityMissesFollowTheGeometry) {
  Paged m(TlbMode::Untagged, *TlbProfile::named("tiny"));  // DTLB: 2 sets x 2 ways
  for (u32 p = 0; p < 8; ++p) m.map(0x400000 + p * 0x1000, (0x300000 + p * 0x1000) | P | RW);
  m.exec("mov eax, [0x400000]\n mov eax, [0x402000]\n mov eax, [0x404000]\n mov eax, [0x400000]");
  // Pages 0, 2, 4 share set 0 of 2 ways: the third evicts the first (LRU), which then misses again.
  EXPECT_EQ(m.stats().dtlb.misses, 4u);
  EXPECT_EQ(m.stats().dtlb.evictions, 2u);  // page 4 evicts page 0, page 0 evicts page 2
}

TEST(Paging, AWalkChargesTheCostProfile) {
  Paged m;
  m.map(0x400000, 0x123000 | P | RW);
  m.exec("mov eax, [0x100000]");
  Cycles before = m.cpu.cycles;
  m.exec("mov eax, [0x400000]");
  const EventCosts& e = CostProfile::pentium3().events;
  EXPECT_EQ(m.cpu.cycles - before,
            Cycles(CostProfile::pentium3().cost(CostClass::Load) + 2 * e.walk_access + e.tlb_refill));
}

// SDM vol. 3, 4.8: a P6 sets a PDE's accessed flag as soon as it uses it; the 386 and 486 set both levels'
// flags only when the translation succeeds (test386.asm, POST 11). --cpu chooses.
TEST(Paging, APdeIsMarkedAccessedOnAWalkThatFaultsAtThePteOnlyOnAP6) {
  for (CpuModel model : {CpuModel::P6, CpuModel::I486, CpuModel::I386}) {
    Paged m;
    m.cpu.set_model(model);
    m.user_code();
    m.map(0x400000, 0x123000);  // PTE not present
    m.poke<u32>(kPd + 4, kPt2 | P | RW | US);  // PDE accessed flag clear
    EXPECT_EQ(m.exec("mov eax, [0x400000]"), StopReason::UnhandledFault);
    EXPECT_EQ(m.fault().vector, 14);
    EXPECT_EQ((m.mem<u32>(kPd + 4) & A) != 0, model == CpuModel::P6) << cpu_model_name(model);
    // A protection fault at the PTE: the same rule.
    m.map(0x400000, 0x123000 | P);  // read-only
    m.poke<u32>(kPd + 4, kPt2 | P | RW | US);
    m.cpu.cpl = 3;
    EXPECT_EQ(m.exec("mov [0x400000], eax"), StopReason::UnhandledFault);
    EXPECT_EQ(m.cpu.cr2, 0x400000u) << m.fault().error_code << " " << m.fault().vector;
    EXPECT_EQ((m.mem<u32>(kPd + 4) & A) != 0, model == CpuModel::P6) << cpu_model_name(model);
    // A walk that succeeds marks both, on every model.
    m.cpu.cpl = 0;
    EXPECT_EQ(m.exec("mov eax, [0x400000]"), StopReason::Breakpoint);
    EXPECT_TRUE(m.mem<u32>(kPd + 4) & A);
    EXPECT_TRUE(m.pte(0x400000) & A);
  }
}

// SDM vol. 2, ENTER: "#PF if ... a write using the final value of the stack pointer (within the current
// stack segment) would cause a page fault". test386.asm: ENTER 1,0 at ring 3 with ESP = 0x1004 on a user
// page above a supervisor one.
TEST(Paging, EnterFaultsOnTheWriteAtTheFinalStackPointer) {
  Paged m;
  m.map(0x401000, 0x124000 | P | RW | US);  // the user stack page
  m.map(0x400000, 0x123000 | P | RW);       // supervisor page below it
  m.user_code();
  m.cpu.cpl = 3;
  m.cpu.gpr[ESP] = 0x401004;
  m.cpu.gpr[EBP] = 0x5555;
  EXPECT_EQ(m.exec("enter 1, 0"), StopReason::UnhandledFault);
  EXPECT_EQ(m.fault().vector, 14);
  EXPECT_EQ(m.fault().error_code, pf_error::Present | pf_error::Write | pf_error::User);
  EXPECT_EQ(m.cpu.cr2, 0x400FFFu);
  EXPECT_EQ(m.fault().eip, TestMachine::kCode);  // a fault: the instruction restarts
  EXPECT_EQ(m.r(ESP), 0x401004u);                 // nothing committed
  EXPECT_EQ(m.r(EBP), 0x5555u);
  // Without the allocation byte the final ESP stays on the user page.
  m.cpu.gpr[ESP] = 0x401004;
  EXPECT_EQ(m.exec("enter 0, 0"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(ESP), 0x401000u);
}

}  // namespace
}  // namespace ring1::test
