// Xen's TLB-coherence rule as a spec (mm.c _get_page_type and alloc_heap_pages with tlbflush_timestamp,
// arch/x86/flushtlb.c): a frame whose last writable mapping went, or which was freed, since the last flush of
// every address space's entries may still be reachable through a stale TLB entry, so the TLB is flushed
// before the frame becomes a page table or is handed out again; once a flush of every tag has happened
// since, nothing is flushed. The same holds for an untagged and a tagged TLB (where a CR3 write flushes
// nothing and so does not count). Flushes are counted under their own cause, Coherence.
#include "hv_fixture.h"

namespace ring1::hv::test {
namespace {

using Rule = FrameTableFixture;
struct TaggedRule : FrameTableFixture {
  TaggedRule() : FrameTableFixture(TlbMode::Tagged) {}
};
struct Coherence : RunningDomainFixture {
  explicit Coherence(TlbMode mode = TlbMode::Untagged) : RunningDomainFixture(mode) {}
  u64 coherence_flushes_in_scenario = 0;
};
struct TaggedCoherence : Coherence {
  TaggedCoherence() : Coherence(TlbMode::Tagged) {}
};

// A frame that was mapped writable and no longer is.
void was_writable(FrameTable& frames, Mfn m, DomainId d) {
  ASSERT_TRUE(frames.get_page_and_type(m, d, FrameType::Writable));
  frames.put_page_and_type(m);
}

TEST_F(Rule, AFrameNeverMappedWritableBecomesAPageTableWithoutAFlush) {
  ASSERT_TRUE(frames.pin(Mfn{0x200}, dom1.id, FrameType::L1PageTable));
  EXPECT_EQ(flushes(FlushCause::Coherence), 0u);
}

TEST_F(Rule, AFrameWhoseWritableMappingWentIsFlushedFromTheTlbBeforeItBecomesAPageTable) {
  was_writable(frames, Mfn{0x200}, dom1.id);
  EXPECT_TRUE(frames.may_be_cached(Mfn{0x200}));
  ASSERT_TRUE(frames.pin(Mfn{0x200}, dom1.id, FrameType::L1PageTable));
  EXPECT_EQ(flushes(FlushCause::Coherence), 1u);
  EXPECT_EQ(frames.stats().retype_flushes, 1u);
  EXPECT_FALSE(frames.may_be_cached(Mfn{0x200}));
}

TEST_F(Rule, OneFlushCoversEveryFrameStampedBeforeIt) {
  was_writable(frames, Mfn{0x200}, dom1.id);
  was_writable(frames, Mfn{0x201}, dom1.id);
  ASSERT_TRUE(frames.pin(Mfn{0x200}, dom1.id, FrameType::L1PageTable));
  ASSERT_TRUE(frames.pin(Mfn{0x201}, dom1.id, FrameType::L1PageTable));
  EXPECT_EQ(flushes(FlushCause::Coherence), 1u);
}

TEST_F(Rule, AGuestFlushSinceTheMappingWentMakesTheRetypeFree) {
  was_writable(frames, Mfn{0x200}, dom1.id);
  mmu.flush(/*include_global=*/false, FlushCause::Explicit);
  ASSERT_TRUE(frames.pin(Mfn{0x200}, dom1.id, FrameType::L1PageTable));
  EXPECT_EQ(flushes(FlushCause::Coherence), 0u);
}

TEST_F(Rule, AnUntaggedCr3WriteSinceTheMappingWentCountsAsAFlush) {
  was_writable(frames, Mfn{0x200}, dom1.id);
  mmu.set_cr3(machine_addr(Mfn{0x300}).value);
  ASSERT_TRUE(frames.pin(Mfn{0x200}, dom1.id, FrameType::L1PageTable));
  EXPECT_EQ(flushes(FlushCause::Coherence), 0u);
}

TEST_F(TaggedRule, ATaggedCr3WriteSinceTheMappingWentDoesNotCount) {
  was_writable(frames, Mfn{0x200}, dom1.id);
  mmu.set_cr3(machine_addr(Mfn{0x300}).value);  // switches tags; the old tag's entries stay
  ASSERT_TRUE(frames.pin(Mfn{0x200}, dom1.id, FrameType::L1PageTable));
  EXPECT_EQ(flushes(FlushCause::Coherence), 1u);
}

TEST_F(Rule, InvlpgSinceTheMappingWentDoesNotCount) {
  was_writable(frames, Mfn{0x200}, dom1.id);
  mmu.invlpg(0x1000);  // one page of the current address space: the frame may be cached elsewhere
  ASSERT_TRUE(frames.pin(Mfn{0x200}, dom1.id, FrameType::L1PageTable));
  EXPECT_EQ(flushes(FlushCause::Coherence), 1u);
}

TEST_F(Rule, AFailedValidationStillFlushedFirst) {
  poke(Mfn{0x200}, 0, rw(Mfn{0x500}));  // maps domain 2's frame: not a valid L1 for domain 1
  was_writable(frames, Mfn{0x200}, dom1.id);
  EXPECT_FALSE(frames.pin(Mfn{0x200}, dom1.id, FrameType::L1PageTable));
  EXPECT_EQ(flushes(FlushCause::Coherence), 1u);
}

TEST_F(Rule, AFreedFrameIsFlushedFromTheTlbBeforeItIsHandedOutAgain) {
  const Mfn m{0x200};
  ASSERT_TRUE(frames.get_page(m, dom1.id));  // a read-only mapping is enough to be cached
  ASSERT_TRUE(frames.release(m, dom1.id));
  frames.put_page(m);  // the last reference: the frame is free
  ASSERT_EQ(f(0x200).owner, kNoOwner);
  ASSERT_TRUE(frames.assign(m, dom2.id));
  EXPECT_EQ(flushes(FlushCause::Coherence), 1u);
  EXPECT_EQ(frames.stats().reuse_flushes, 1u);
}

TEST_F(Rule, AFreedFrameReusedAfterAFlushNeedsNone) {
  const Mfn m{0x200};
  ASSERT_TRUE(frames.release(m, dom1.id));
  mmu.flush(/*include_global=*/false, FlushCause::Explicit);
  ASSERT_TRUE(frames.assign(m, dom2.id));
  EXPECT_EQ(flushes(FlushCause::Coherence), 0u);
}

// Through the hypercalls and the real MMU: the guest writes a frame through a writable mapping (a dirty
// entry in the TLB), removes the mapping without a flush, and has the frame pinned as a page table; its
// next store through the old address must walk again and fault.
template <class F>
void stale_write_faults(F& t, bool switch_away) {
  const u32 va = kWindowVa + 5 * kPageSize;
  const Mfn frame{kWindowFirstFrame + 5};
  t.mmu.template write<u32>(va, 0, false);
  const u32 base = machine_addr(kBaseL2).value;
  // Another address space that maps the same window, so the hypercalls' arguments are reachable from it.
  const Mfn other{0x180};
  t.poke(other, kWindowVa >> 22, rw(kWindowL1));
  ASSERT_EQ(t.mmuext({F::ext(xen::mmuext::kPinL2Table, other.value)}).rc, 0);
  const u64 before = t.flushes(FlushCause::Coherence);
  if (switch_away) t.mmu.set_cr3(machine_addr(other).value);
  ASSERT_EQ(t.mmu_update({F::pt_update(kWindowL1, 5, 0)}).rc, 0);
  ASSERT_EQ(t.mmuext({F::ext(xen::mmuext::kPinL1Table, frame.value)}).rc, 0);
  if (switch_away) t.mmu.set_cr3(base);
  EXPECT_THROW(t.mmu.template write<u32>(va, rw(Mfn{kWindowFirstFrame}), false), CpuFault);
  EXPECT_EQ(t.peek(frame, 0), 0u);
  t.coherence_flushes_in_scenario = t.flushes(FlushCause::Coherence) - before;
}

TEST_F(Coherence, AStaleWriteToANewPageTableFaultsOnAnUntaggedTlb) {
  stale_write_faults(*this, false);
  EXPECT_EQ(coherence_flushes_in_scenario, 1u);
}
TEST_F(TaggedCoherence, AStaleWriteToANewPageTableFaultsOnATaggedTlb) {
  stale_write_faults(*this, false);
  EXPECT_EQ(coherence_flushes_in_scenario, 1u);
}
TEST_F(Coherence, TheRuleFlushesWhenTheMappingWentAfterTheLastFlushEvenIfNothingIsCached) {
  // The untagged CR3 write dropped the entry already, but the mapping went after it: the clock cannot tell.
  stale_write_faults(*this, true);
  EXPECT_EQ(coherence_flushes_in_scenario, 1u);
}
TEST_F(TaggedCoherence, AStaleEntryOfAnAddressSpaceThatIsNotCurrentIsFlushedToo) {
  stale_write_faults(*this, true);
  EXPECT_EQ(coherence_flushes_in_scenario, 1u);
}

}  // namespace
}  // namespace ring1::hv::test
