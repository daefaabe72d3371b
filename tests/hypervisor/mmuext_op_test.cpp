// HYPERVISOR_mmuext_op: pinning, the base pointer and TLB flush requests, with Xen's error codes.
#include "hv_fixture.h"

namespace ring1::hv::test {
namespace {

using MmuextOp = RunningDomainFixture;
namespace cmd = xen::mmuext;
constexpr Mfn kTable{0x200}, kDir{0x201}, kPage{0x202};

TEST_F(MmuextOp, PinningAFrameThatDoesNotValidateFails) {
  poke(kTable, 7, rw(kWindowL1));  // would make a page table writable
  const MmuOutcome out = mmuext({ext(cmd::kPinL1Table, kTable.value)});
  EXPECT_EQ(out.rc, -xen::err::kEINVAL);
  EXPECT_EQ(done_word(), 0u);
  EXPECT_FALSE(f(kTable.value).pinned);
  EXPECT_EQ(f(kTable.value).type_count, 0u);
  EXPECT_EQ(mmuext({ext(cmd::kPinL1Table, kDom2First)}).rc, -xen::err::kEINVAL);  // not ours
  EXPECT_EQ(mmuext({ext(cmd::kPinL1Table, 0xFFFFFFFF)}).rc, -xen::err::kEINVAL);  // wild mfn
}

TEST_F(MmuextOp, PinningTwiceIsEinvalAndLeavesOnePin) {
  EXPECT_EQ(mmuext({ext(cmd::kPinL1Table, kTable.value)}).rc, 0);
  const MmuOutcome out = mmuext({ext(cmd::kPinL1Table, kTable.value)});
  EXPECT_EQ(out.rc, -xen::err::kEINVAL);
  EXPECT_TRUE(f(kTable.value).pinned);
  EXPECT_EQ(f(kTable.value).type_count, 1u);
  EXPECT_EQ(f(kTable.value).ref_count, 2u);
  EXPECT_EQ(mmuext({ext(cmd::kPinL2Table, kTable.value)}).rc, -xen::err::kEINVAL);  // an L1 is not an L2
}

TEST_F(MmuextOp, UnpinningATableInUseAsTheBaseKeepsItValidatedUntilTheBaseMoves) {
  // The running base is pinned; unpinning is allowed (Xen: the base pointer holds its own type reference).
  EXPECT_EQ(mmuext({ext(cmd::kUnpinTable, kBaseL2.value)}).rc, 0);
  EXPECT_FALSE(f(kBaseL2.value).pinned);
  EXPECT_TRUE(f(kBaseL2.value).validated);
  EXPECT_EQ(f(kBaseL2.value).type_count, 1u);
  // It is still a page table: it cannot be mapped writable.
  EXPECT_EQ(mmu_update({pt_update(kWindowL1, 30, rw(kBaseL2))}).rc, -xen::err::kEINVAL);
  // Unpinning again: it is not pinned.
  EXPECT_EQ(mmuext({ext(cmd::kUnpinTable, kBaseL2.value)}).rc, -xen::err::kEINVAL);
}

TEST_F(MmuextOp, NewBaseptrToANonL2Fails) {
  ASSERT_EQ(mmuext({ext(cmd::kPinL1Table, kTable.value)}).rc, 0);
  EXPECT_EQ(mmuext({ext(cmd::kNewBaseptr, kTable.value)}).rc, -xen::err::kEINVAL);  // an L1
  EXPECT_EQ(mmuext({ext(cmd::kNewBaseptr, kWindowFirstFrame)}).rc, -xen::err::kEINVAL);  // mapped writable
  EXPECT_EQ(mmuext({ext(cmd::kNewBaseptr, kDom2First)}).rc, -xen::err::kEINVAL);  // not ours
  EXPECT_EQ(dom1.guest_table, kBaseL2);
}

TEST_F(MmuextOp, NewBaseptrSwitchesAddressSpaceAndReleasesTheOldBase) {
  // A second directory that maps the same window (so the guest keeps running), built and pinned by the guest.
  poke(kDir, kWindowVa >> 22, rw(kWindowL1));
  ASSERT_EQ(mmuext({ext(cmd::kPinL2Table, kDir.value)}).rc, 0);
  ASSERT_EQ(mmuext({ext(cmd::kUnpinTable, kBaseL2.value)}).rc, 0);
  const u64 explicit_flushes = flushes(FlushCause::Explicit), cr3_flushes = flushes(FlushCause::Cr3Write);
  const MmuOutcome out = mmuext({ext(cmd::kTlbFlushLocal), ext(cmd::kNewBaseptr, kDir.value)});
  EXPECT_EQ(out.rc, 0);
  EXPECT_EQ(done_word(), 2u);
  ASSERT_TRUE(out.tlb.new_base);
  EXPECT_EQ(*out.tlb.new_base, kDir);
  EXPECT_TRUE(out.tlb.flush_all);  // still asked for; on this untagged TLB the CR3 load is that flush
  EXPECT_EQ(flushes(FlushCause::Cr3Write), cr3_flushes + 1);
  EXPECT_EQ(flushes(FlushCause::Explicit), explicit_flushes);
  EXPECT_EQ(dom1.guest_table, kDir);
  EXPECT_EQ(mmu.probe(kWindowVa).phys, machine_addr(Mfn{kWindowFirstFrame}).value);
  // The old directory lost its last type reference: no longer a validated table.
  EXPECT_EQ(f(kBaseL2.value).type_count, 0u);
  EXPECT_FALSE(f(kBaseL2.value).validated);
  EXPECT_EQ(f(kDir.value).type_count, 2u);  // pin + base
}

TEST_F(MmuextOp, FlushRequestsBecomeActionsForTheCpu) {
  mmu.read<u32>(kWindowVa, false);  // something in the TLB
  const u64 flushes = mmu.stats().flushes[static_cast<size_t>(FlushCause::Explicit)];
  const MmuOutcome out =
      mmuext({ext(cmd::kInvlpgLocal, 0x00401000), ext(cmd::kInvlpgAll, 0x00402000), ext(cmd::kTlbFlushAll)});
  EXPECT_EQ(out.rc, 0);
  EXPECT_TRUE(out.tlb.flush_all);
  ASSERT_EQ(out.tlb.invlpg.size(), 2u);
  EXPECT_EQ(out.tlb.invlpg[0], LinearAddr{0x00401000});
  EXPECT_EQ(mmu.stats().flushes[static_cast<size_t>(FlushCause::Explicit)], flushes + 1);
  EXPECT_EQ(hv.counters().invlpg_requested, 2u);
  EXPECT_EQ(hv.counters().flush_all_requested, 1u);
  EXPECT_EQ(hv.counters().mmuext_by_cmd[cmd::kInvlpgLocal], 1u);
}

TEST_F(MmuextOp, UnsupportedAndUnknownCommandsFailWithEinval) {
  for (u32 c : {cmd::kPinL3Table, cmd::kPinL4Table, cmd::kSetLdt, cmd::kFlushCache, cmd::kNewUserBaseptr,
                cmd::kCopyPage, 14u, 99u, 0xFFFFFFFFu})
    EXPECT_EQ(mmuext({ext(c, kTable.value)}).rc, -xen::err::kEINVAL) << c;
  EXPECT_EQ(hv.counters().mmuext_by_cmd[cmd::kCount], 2u);  // 99 and 0xFFFFFFFF; 14 is an unused number
}

TEST_F(MmuextOp, ABadOpInTheMiddleLeavesTheEarlierOnesDone) {
  const MmuOutcome out = mmuext({ext(cmd::kPinL1Table, kTable.value), ext(cmd::kPinL1Table, kTable.value),
                                 ext(cmd::kPinL1Table, kPage.value)});
  EXPECT_EQ(out.rc, -xen::err::kEINVAL);
  EXPECT_EQ(done_word(), 1u);
  EXPECT_TRUE(f(kTable.value).pinned);
  EXPECT_FALSE(f(kPage.value).pinned);
}

TEST_F(MmuextOp, RetypingAFrameTheGuestHadMappedWritableFlushesTheTlb) {
  // Map kPage writable, use it, unmap it without flushing: a stale writable TLB entry may remain.
  ASSERT_EQ(mmu_update({pt_update(kWindowL1, 40, rw(kPage))}).rc, 0);
  mmu.write<u32>(kWindowVa + 40 * kPageSize, 0, false);
  ASSERT_EQ(mmu_update({pt_update(kWindowL1, 40, 0)}).rc, 0);
  // Pinning it as a page table must come with a flush, or the guest could write its new page table.
  const MmuOutcome out = mmuext({ext(cmd::kPinL1Table, kPage.value)});
  EXPECT_EQ(out.rc, 0);
  EXPECT_FALSE(out.tlb.flush_all);  // the guest asked for nothing: the frame table flushed on its own account
  EXPECT_EQ(flushes(FlushCause::Coherence), 1u);
  EXPECT_EQ(frames.stats().retype_flushes, 1u);
  bool stale = false;
  mmu.for_each_tlb_entry([&](bool, bool, const TlbEntry& e) { stale |= (e.frame == machine_addr(kPage).value); });
  EXPECT_FALSE(stale);
}

}  // namespace
}  // namespace ring1::hv::test
