// Preemptible batches as a spec (Xen's do_mmu_update with MMU_UPDATE_PREEMPTED, preemption.h): a batch
// longer than one entry's share of work stops with the rest of its list described, its done count so far
// written back; made again with (rest, remaining | MMU_UPDATE_PREEMPTED), it carries on from the done count
// it reported, and the pieces together do, count and check exactly what the unsplit call would.
#include "hv_fixture.h"

namespace ring1::hv::test {
namespace {

struct Preempted : RunningDomainFixture {
  Preemption preemption;
  Preempted() { hv.set_preemption(&preemption); }

  // n M2P updates of the window's frames (valid, and they change nothing), at the start of the window.
  LinearAddr m2p_requests(u32 n, u32 bad_at = ~0u) {
    std::vector<xen::MmuUpdate> reqs(n);
    for (u32 i = 0; i < n; ++i) {
      const u32 mfn = i == bad_at ? kDom2First : kWindowFirstFrame + (i & 15);
      reqs[i] = {u64(machine_addr(Mfn{mfn}).value) | xen::kMmuMachphysUpdate, mfn};
    }
    return put(reqs, kPageSize);  // after the done word at the end of the window's first page
  }
  MmuOutcome call(LinearAddr list, u32 count) {
    preemption.enter(xen::hypercall::kMmuUpdate, 0);
    MmuOutcome out = hv.mmu_update(dom1, mem, list, count, kDonePtr, xen::kDomidSelf);
    hv.complete(out, mmu, mem);
    return out;
  }
};

TEST_F(Preempted, ABatchWithinOneEntrysShareIsNotSplit) {
  const MmuOutcome out = call(m2p_requests(2048), 2048);
  EXPECT_FALSE(out.preempted);
  EXPECT_EQ(out.rc, 0);
  EXPECT_EQ(done_word(), 2048u);
}

TEST_F(Preempted, ALongerBatchStopsWithTheRestOfItsListAndItsDoneCountSoFar) {
  const LinearAddr list = m2p_requests(3000);
  const MmuOutcome first = call(list, 3000);
  ASSERT_TRUE(first.preempted);
  EXPECT_EQ(done_word(), 2048u);
  EXPECT_EQ(first.rest.value, list.value + 2048 * 16);
  EXPECT_EQ(first.remaining, 952u);
  const MmuOutcome second = call(first.rest, first.remaining | xen::kMmuUpdatePreempted);
  EXPECT_FALSE(second.preempted);
  EXPECT_EQ(second.rc, 0);
  EXPECT_EQ(done_word(), 3000u);
  // One call as far as the counters go: one mmu_update, one batch of 3000, 3000 requests done.
  EXPECT_EQ(hv.counters().mmu_update_calls, 1u);
  EXPECT_EQ(hv.counters().batch_sizes[batch_bucket(3000)], 1u);
  EXPECT_EQ(hv.counters().requests_done, 3000u);
}

TEST_F(Preempted, AFailureAfterTheSplitReportsTheDoneCountOverBothPieces) {
  const LinearAddr list = m2p_requests(3000, /*bad_at=*/2500);
  const MmuOutcome first = call(list, 3000);
  ASSERT_TRUE(first.preempted);
  const MmuOutcome second = call(first.rest, first.remaining | xen::kMmuUpdatePreempted);
  EXPECT_EQ(second.rc, -xen::err::kEINVAL);
  EXPECT_EQ(done_word(), 2500u);
  EXPECT_EQ(hv.counters().requests_failed, 1u);
}

TEST_F(Preempted, RequestsThatValidateTablesUseUpTheShareSooner) {
  // Hooking a fresh L1 into the directory validates its 1024 entries: 17 units of work instead of 1.
  const Mfn table{0x200};
  const LinearAddr list = put(std::vector<xen::MmuUpdate>{pt_update(kBaseL2, 0x300, rw(table))}, kPageSize);
  call(list, 1);
  EXPECT_EQ(preemption.work(), 1u + 1024u / Preemption::kEntriesPerRequest);
}

}  // namespace
}  // namespace ring1::hv::test
