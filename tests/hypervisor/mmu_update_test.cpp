// HYPERVISOR_mmu_update as a guest sees it: requests read from its memory, validated one by one, the first
// failure ending the batch with Xen's error and the done count saying how far it got.
#include "hv_fixture.h"

namespace ring1::hv::test {
namespace {

using MmuUpdate = RunningDomainFixture;
constexpr Mfn kData{0x200}, kData2{0x201};

TEST_F(MmuUpdate, ANormalUpdateValidatesTheNewEntryAndTheGuestSeesIt) {
  // Map the window's slot 20 (0x00414000) to a data frame, writable.
  const MmuOutcome out = mmu_update({pt_update(kWindowL1, 20, rw(kData))});
  EXPECT_EQ(out.rc, 0);
  EXPECT_EQ(done_word(), 1u);
  EXPECT_EQ(peek(kWindowL1, 20), rw(kData));
  EXPECT_EQ(f(0x200).type, FrameType::Writable);
  EXPECT_EQ(mmu.probe(kWindowVa + 20 * kPageSize).phys, machine_addr(kData).value);
  EXPECT_EQ(hv.counters().mmu_update_by_cmd[xen::kMmuNormalPtUpdate], 1u);
}

TEST_F(MmuUpdate, MappingAPageTableFrameWritableIsRejected) {
  const MmuOutcome out = mmu_update({pt_update(kWindowL1, 20, rw(kWindowL1))});
  EXPECT_EQ(out.rc, -xen::err::kEINVAL);
  EXPECT_EQ(done_word(), 0u);
  EXPECT_EQ(peek(kWindowL1, 20), 0u);
  // Read-only is how a guest looks at its page tables.
  EXPECT_EQ(mmu_update({pt_update(kWindowL1, 20, ro(kWindowL1))}).rc, 0);
}

TEST_F(MmuUpdate, WritingAnEntryInAFrameThatIsNotAPageTableIsRejected) {
  // The window's own frames are writable data; a "PTE" there is not the hypervisor's business to write.
  EXPECT_EQ(mmu_update({pt_update(Mfn{kWindowFirstFrame + 1}, 0, ro(kData))}).rc, -xen::err::kEINVAL);
  EXPECT_EQ(mmu_update({pt_update(kData, 0, ro(kData2))}).rc, -xen::err::kEINVAL);  // an unused frame
  EXPECT_EQ(peek(kData, 0), 0u);
}

TEST_F(MmuUpdate, MappingAnotherDomainsFrameOrTheHypervisorsIsRejected) {
  EXPECT_EQ(mmu_update({pt_update(kWindowL1, 20, ro(Mfn{kDom2First}))}).rc, -xen::err::kEINVAL);
  EXPECT_EQ(mmu_update({pt_update(kWindowL1, 20, ro(kM2pFrame))}).rc, -xen::err::kEINVAL);
  EXPECT_EQ(mmu_update({pt_update(kWindowL1, 20, ro(Mfn{0xFFFFF}))}).rc, -xen::err::kEINVAL);  // no such frame
  // Nor may it edit another domain's page table.
  const Mfn theirs{kDom2First};
  ASSERT_TRUE(frames.pin(theirs, dom2.id, FrameType::L1PageTable));
  EXPECT_EQ(mmu_update({pt_update(theirs, 0, ro(kData))}).rc, -xen::err::kEINVAL);
}

TEST_F(MmuUpdate, MappingIntoTheHypervisorAreaIsRejected) {
  // The L2 slots for 0xFC000000 and up are the hypervisor's.
  const u32 slot = xen::kHypervisorVirtStart >> 22;
  EXPECT_EQ(mmu_update({pt_update(kBaseL2, slot, 0)}).rc, -xen::err::kEINVAL);
  EXPECT_EQ(mmu_update({pt_update(kBaseL2, 1023, rw(kWindowL1))}).rc, -xen::err::kEINVAL);
  // And update_va_mapping refuses addresses there outright.
  EXPECT_EQ(update_va(xen::kHypervisorVirtStart, ro(kData)).rc, -xen::err::kEINVAL);
  EXPECT_EQ(update_va(0xFFFFF000, ro(kData)).rc, -xen::err::kEINVAL);
}

TEST_F(MmuUpdate, ABatchStopsAtItsFirstBadRequestAndReportsHowManyWereDone) {
  const MmuOutcome out = mmu_update({
      pt_update(kWindowL1, 20, rw(kData)),
      pt_update(kWindowL1, 21, ro(kData2)),
      pt_update(kWindowL1, 22, rw(kBaseL2)),  // bad: a page directory mapped writable
      pt_update(kWindowL1, 23, ro(kData2)),
  });
  EXPECT_EQ(out.rc, -xen::err::kEINVAL);
  EXPECT_EQ(out.done, 2u);
  EXPECT_EQ(done_word(), 2u);
  EXPECT_EQ(peek(kWindowL1, 20), rw(kData));
  EXPECT_EQ(peek(kWindowL1, 21), ro(kData2));
  EXPECT_EQ(peek(kWindowL1, 22), 0u);  // the bad one changed nothing
  EXPECT_EQ(peek(kWindowL1, 23), 0u);  // and the rest were not attempted
  EXPECT_EQ(f(0x201).ref_count, 2u);
  EXPECT_EQ(hv.counters().requests_failed, 1u);
}

TEST_F(MmuUpdate, WildPointersAndHugeCountsFailWithEfaultWithoutTouchingAnything) {
  const auto totals = frames.totals_all();
  // An array that would run into the hypervisor's 64 MB (or wrap) is refused before any request is read.
  EXPECT_EQ(hv.mmu_update(dom1, mem, LinearAddr{kWindowVa}, 0xFFFFFFF, kDonePtr, xen::kDomidSelf).rc,
            -xen::err::kEFAULT);
  EXPECT_EQ(hv.mmu_update(dom1, mem, LinearAddr{0xFBFFFFF0}, 2, kDonePtr, xen::kDomidSelf).rc, -xen::err::kEFAULT);
  EXPECT_EQ(hv.mmu_update(dom1, mem, LinearAddr{0xFFFFFFF0}, 1, kDonePtr, xen::kDomidSelf).rc, -xen::err::kEFAULT);
  // A huge count below the hole: requests are read until the first unmapped page faults.
  mmu_update({pt_update(kWindowL1, 20, ro(kData))});
  const MmuOutcome out = hv.mmu_update(dom1, mem, LinearAddr{0x00100000}, 0x7FFFFFF, kDonePtr, xen::kDomidSelf);
  EXPECT_EQ(out.rc, -xen::err::kEFAULT);
  EXPECT_EQ(out.done, 0u);
  // Pointers to machine addresses beyond RAM or above 4 GiB, and unknown commands.
  EXPECT_EQ(mmu_update({{0xFFFFFFFCull, ro(kData)}}).rc, -xen::err::kEINVAL);
  EXPECT_EQ(mmu_update({{0x100000000ull | machine_addr(kWindowL1).value, ro(kData)}}).rc, -xen::err::kEINVAL);
  EXPECT_EQ(mmu_update({{machine_addr(kWindowL1).value | 3ull, ro(kData)}}).rc, -xen::err::kEINVAL);
  // A foreign domain an unprivileged guest may not name.
  EXPECT_EQ(hv.mmu_update(dom1, mem, put(std::vector{pt_update(kWindowL1, 21, ro(kData))}), 1, kDonePtr, 2).rc,
            -xen::err::kEINVAL);
  const auto after = frames.totals_all();
  EXPECT_EQ(after.ref_count, totals.ref_count + 1);  // only the one good update above holds a reference
}

TEST_F(MmuUpdate, AGuestMayDescribeOnlyItsOwnFramesInTheMachToPhysTable) {
  const MmuOutcome out = mmu_update({{u64(machine_addr(kData).value) | xen::kMmuMachphysUpdate, 0x42}});
  EXPECT_EQ(out.rc, 0);
  EXPECT_EQ(m2p.get(kData).value, 0x42u);
  EXPECT_EQ(mmu_update({{u64(machine_addr(Mfn{kDom2First}).value) | xen::kMmuMachphysUpdate, 7}}).rc,
            -xen::err::kEINVAL);
  EXPECT_EQ(m2p.get(Mfn{kDom2First}).value, MachToPhys::kInvalidEntry);
}

TEST_F(MmuUpdate, AResumedCallAddsToTheDoneCountItHadReported) {
  const std::vector reqs{pt_update(kWindowL1, 20, ro(kData))};
  ram.write_bytes(machine_addr(Mfn{kWindowFirstFrame}).value + kPageSize - 4, "\x05\0\0\0", 4);
  MmuOutcome out = hv.mmu_update(dom1, mem, put(reqs), 1 | xen::kMmuUpdatePreempted, kDonePtr, xen::kDomidSelf);
  hv.complete(out, mmu, mem);
  EXPECT_EQ(out.rc, 0);
  EXPECT_EQ(done_word(), 6u);
}

TEST_F(MmuUpdate, BatchSizesAreCountedInPowerOfTwoBuckets) {
  std::vector<xen::MmuUpdate> reqs;
  for (u32 i = 0; i < 100; ++i) reqs.push_back(pt_update(kWindowL1, 100 + i, ro(kData)));
  EXPECT_EQ(mmu_update(reqs).rc, 0);
  EXPECT_EQ(done_word(), 100u);
  EXPECT_EQ(hv.counters().batch_sizes[batch_bucket(100)], 1u);
  EXPECT_EQ(batch_bucket(64), batch_bucket(127));
  EXPECT_NE(batch_bucket(127), batch_bucket(128));
  EXPECT_EQ(batch_bucket(0xFFFFFFFF), kBatchBuckets - 1);
  EXPECT_EQ(f(0x200).ref_count, 101u);
  EXPECT_GE(frames.stats().l1_entries_checked, 100u);
}

}  // namespace
}  // namespace ring1::hv::test
