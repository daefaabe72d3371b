// The frame table's rules, as Xen states them (xen/arch/x86/mm.c), one test per rule.
#include "hypervisor/frame_table.h"

#include "hv_fixture.h"

namespace ring1::hv::test {
namespace {

using FrameTable_ = FrameTableFixture;

TEST_F(FrameTable_, AFrameTakesATypeOnlyWhenItsTypeCountIsZeroOrTheTypeMatches) {
  const Mfn m{0x200};
  ASSERT_TRUE(frames.get_page_and_type(m, dom1.id, FrameType::Writable));
  EXPECT_TRUE(frames.get_page_and_type(m, dom1.id, FrameType::Writable));  // same type: another use
  EXPECT_FALSE(frames.get_page_and_type(m, dom1.id, FrameType::L1PageTable));  // in use as writable
  frames.put_page_and_type(m);
  frames.put_page_and_type(m);
  EXPECT_TRUE(frames.get_page_and_type(m, dom1.id, FrameType::L1PageTable));  // count was zero: retyped
  EXPECT_EQ(f(0x200).type, FrameType::L1PageTable);
  EXPECT_TRUE(f(0x200).validated);
  frames.put_page_and_type(m);
}

TEST_F(FrameTable_, AFrameOfAnotherDomainOrOfNobodyCannotBeReferenced) {
  EXPECT_FALSE(frames.get_page(Mfn{0x500}, dom1.id));   // domain 2's
  EXPECT_FALSE(frames.get_page(Mfn{0x800}, dom1.id));   // free
  EXPECT_FALSE(frames.get_page(kM2pFrame, dom1.id));    // the hypervisor's
  EXPECT_FALSE(frames.get_page(Mfn{0x100000}, dom1.id));  // beyond RAM
}

TEST_F(FrameTable_, AnL1ValidatesOnlyIfEveryEntryMapsAFrameOfTheSameDomain) {
  const Mfn l1{0x200};
  poke(l1, 0, rw(Mfn{0x201}));
  poke(l1, 1, ro(Mfn{0x202}));
  poke(l1, 1023, ro(Mfn{0x500}));  // domain 2's frame, in the last slot
  EXPECT_FALSE(frames.pin(l1, dom1.id, FrameType::L1PageTable));
  // Nothing leaked from the entries that had validated before the bad one.
  EXPECT_EQ(f(0x201).ref_count, 1u);
  EXPECT_EQ(f(0x201).type_count, 0u);
  EXPECT_EQ(f(0x202).ref_count, 1u);
  EXPECT_EQ(f(0x200).type, FrameType::None);
  EXPECT_EQ(frames.stats().validation_failures, 1u);
  poke(l1, 1023, 0);
  ASSERT_TRUE(frames.pin(l1, dom1.id, FrameType::L1PageTable));
  EXPECT_EQ(f(0x201).type, FrameType::Writable);
  EXPECT_EQ(f(0x201).ref_count, 2u);
  EXPECT_EQ(f(0x202).ref_count, 2u);
}

TEST_F(FrameTable_, APageTableIsNeverWritableAndAWritableFrameIsNeverAPageTable) {
  const Mfn l1{0x200}, other{0x201};
  ASSERT_TRUE(frames.pin(other, dom1.id, FrameType::L1PageTable));
  poke(l1, 5, rw(other));  // a writable mapping of a page table
  EXPECT_FALSE(frames.pin(l1, dom1.id, FrameType::L1PageTable));
  poke(l1, 5, ro(other));  // read-only is fine: a guest may read its page tables
  EXPECT_TRUE(frames.pin(l1, dom1.id, FrameType::L1PageTable));
  // And the other way round: a frame mapped writable cannot become a page table.
  const Mfn l1b{0x202};
  poke(l1b, 0, rw(Mfn{0x203}));
  ASSERT_TRUE(frames.pin(l1b, dom1.id, FrameType::L1PageTable));
  EXPECT_FALSE(frames.pin(Mfn{0x203}, dom1.id, FrameType::L1PageTable));
}

TEST_F(FrameTable_, DisallowedBitsAreRefusedInL1AndL2Entries) {
  const Mfn l1{0x200}, l2{0x201};
  poke(l1, 0, ro(Mfn{0x202}) | pte::Global);
  EXPECT_FALSE(frames.pin(l1, dom1.id, FrameType::L1PageTable));
  poke(l1, 0, ro(Mfn{0x202}) | pte::Pat);
  EXPECT_FALSE(frames.pin(l1, dom1.id, FrameType::L1PageTable));
  poke(l1, 0, ro(Mfn{0x202}) | pte::Accessed | pte::Dirty | pte::CacheDisable);
  EXPECT_TRUE(frames.pin(l1, dom1.id, FrameType::L1PageTable));
  // A 4 MiB superpage entry from a PV guest is refused, as Xen x86_32 does.
  poke(l2, 0, rw(Mfn{0x300}) | pte::LargePage);
  EXPECT_FALSE(frames.pin(l2, dom1.id, FrameType::L2PageTable));
}

TEST_F(FrameTable_, AnL2EntryMustReferenceAFrameThatValidatesAsAnL1) {
  const Mfn l2{0x200}, l1{0x201}, data{0x202};
  poke(l1, 0, rw(data));
  poke(l2, 0, rw(l1));
  poke(l2, 1, rw(Mfn{0x500}));  // domain 2's frame as a page table
  EXPECT_FALSE(frames.pin(l2, dom1.id, FrameType::L2PageTable));
  EXPECT_EQ(f(0x201).type_count, 0u);  // the L1 it had validated on the way was let go again
  EXPECT_FALSE(f(0x201).validated);
  poke(l2, 1, 0);
  ASSERT_TRUE(frames.pin(l2, dom1.id, FrameType::L2PageTable));
  EXPECT_EQ(f(0x201).type, FrameType::L1PageTable);
  EXPECT_EQ(f(0x201).type_count, 1u);  // held by the directory's entry
  EXPECT_EQ(f(0x202).type, FrameType::Writable);
}

TEST_F(FrameTable_, AnL2ThatPointsAtItselfAsAnL1DoesNotValidate) {
  const Mfn l2{0x200};
  poke(l2, 3, ro(l2));  // a guest linear page table; ring1 refuses it
  EXPECT_FALSE(frames.pin(l2, dom1.id, FrameType::L2PageTable));
  EXPECT_EQ(f(0x200).ref_count, 1u);
  EXPECT_EQ(f(0x200).type_count, 0u);
}

TEST_F(FrameTable_, TheHypervisorSlotsOfADirectoryAreFilledByTheHypervisor) {
  HypervisorL2Template t;
  t.entries[0] = machine_addr(kM2pFrame).value | pte::Present;  // e.g. the M2P at 0xFC000000
  t.linear_slot = 1022;
  frames.set_hypervisor_l2(t);
  const Mfn l2{0x200};
  poke(l2, 1010, rw(Mfn{0x201}));  // whatever the guest left there is not validated, it is overwritten
  ASSERT_TRUE(frames.pin(l2, dom1.id, FrameType::L2PageTable));
  EXPECT_EQ(peek(l2, 1008), t.entries[0]);
  EXPECT_EQ(peek(l2, 1010), 0u);
  EXPECT_EQ(peek(l2, 1022) & pte::FrameMask, machine_addr(l2).value);
  EXPECT_EQ(f(0x201).ref_count, 1u);  // nothing taken for the hypervisor's slots
  // And the guest cannot change them.
  EXPECT_FALSE(frames.mod_l2_entry(l2, 1008, 0, dom1.id));
  EXPECT_FALSE(frames.mod_l2_entry(l2, 1023, 0, dom1.id));
}

TEST_F(FrameTable_, ModL1EntryTakesTheNewReferenceBeforeDroppingTheOld) {
  const Mfn l1{0x200}, page{0x201};
  poke(l1, 0, rw(page));
  ASSERT_TRUE(frames.pin(l1, dom1.id, FrameType::L1PageTable));
  ASSERT_EQ(f(0x201).ref_count, 2u);
  // Re-point the entry at the same frame, read-only now: the frame never passes through a count of 1.
  ASSERT_TRUE(frames.mod_l1_entry(l1, 0, ro(page), dom1.id));
  EXPECT_EQ(f(0x201).ref_count, 2u);
  EXPECT_EQ(f(0x201).type_count, 0u);
  // A flags-only change (accessed, dirty) takes no new references.
  ASSERT_TRUE(frames.mod_l1_entry(l1, 0, ro(page) | pte::Accessed, dom1.id));
  EXPECT_EQ(f(0x201).ref_count, 2u);
  // A refused update changes nothing.
  EXPECT_FALSE(frames.mod_l1_entry(l1, 0, ro(Mfn{0x500}), dom1.id));
  EXPECT_EQ(peek(l1, 0), ro(page) | pte::Accessed);
  EXPECT_EQ(f(0x201).ref_count, 2u);
}

TEST_F(FrameTable_, PinningIsNotNestedAndUnpinningNeedsAPin) {
  const Mfn l1{0x200};
  ASSERT_TRUE(frames.pin(l1, dom1.id, FrameType::L1PageTable));
  EXPECT_FALSE(frames.pin(l1, dom1.id, FrameType::L1PageTable));
  EXPECT_EQ(f(0x200).type_count, 1u);
  EXPECT_EQ(f(0x200).ref_count, 2u);
  EXPECT_TRUE(frames.unpin(l1, dom1.id));
  EXPECT_FALSE(frames.unpin(l1, dom1.id));
  EXPECT_FALSE(frames.unpin(Mfn{0x500}, dom1.id));  // not ours
  EXPECT_EQ(f(0x200).ref_count, 1u);
}

TEST_F(FrameTable_, UnvalidatingATableDropsWhatItsEntriesHeld) {
  const Mfn l2{0x200}, l1{0x201};
  poke(l1, 0, rw(Mfn{0x202}));
  poke(l1, 1, ro(Mfn{0x203}));
  poke(l2, 0, rw(l1));
  ASSERT_TRUE(frames.pin(l2, dom1.id, FrameType::L2PageTable));
  ASSERT_TRUE(frames.unpin(l2, dom1.id));
  for (u32 m : {0x200u, 0x201u, 0x202u, 0x203u}) {
    EXPECT_EQ(f(m).ref_count, 1u) << std::hex << m;  // only the allocation's
    EXPECT_EQ(f(m).type_count, 0u) << std::hex << m;
    EXPECT_FALSE(f(m).validated && is_page_table(f(m).type)) << std::hex << m;
  }
  EXPECT_EQ(frames.stats().unvalidations, 2u);
}

TEST_F(FrameTable_, AReleasedFrameIsFreeOnlyWhenItsLastReferenceGoes) {
  const Mfn m{0x200};
  ASSERT_TRUE(frames.get_page(m, dom1.id));
  ASSERT_TRUE(frames.release(m, dom1.id));
  EXPECT_EQ(f(0x200).owner, dom1.id);  // still referenced
  frames.put_page(m);
  EXPECT_EQ(f(0x200).owner, kNoOwner);
  EXPECT_TRUE(frames.assign(m, dom2.id));
}

TEST_F(FrameTable_, DescriptorPagesRefuseRingZeroAndSegmentsReachingTheHypervisor) {
  // Flat 4 GiB ring-1 data segment: reaches the hypervisor.
  EXPECT_FALSE(check_descriptor(0x0000FFFF, 0x00CFB200));
  // Ring-1 data segment of 0xFC000 pages (ends right below 0xFC000000).
  EXPECT_TRUE(check_descriptor(0x0000BFFF, 0x00CFB200));
  // DPL 0 code.
  EXPECT_FALSE(check_descriptor(0x0000FFFF, 0x00409A00));
  // Not present: harmless whatever it says.
  EXPECT_TRUE(check_descriptor(0x0000FFFF, 0x00CF1A00));
  // A TSS descriptor (system, type 9) is refused.
  EXPECT_FALSE(check_descriptor(0x00000067, 0x0000A900));
  const Mfn gdt{0x200};
  u32 good[2] = {0x0000BFFF, 0x00CFB200};
  ram.write_bytes(machine_addr(gdt).value + 8, good, 8);
  EXPECT_TRUE(frames.get_page_and_type(gdt, dom1.id, FrameType::SegDesc));
  EXPECT_FALSE(frames.get_page_and_type(gdt, dom1.id, FrameType::Writable));  // descriptor pages are not writable
  frames.put_page_and_type(gdt);
}

TEST_F(FrameTable_, RelinquishFreesEverythingTheDomainHadAndLeavesOtherDomainsAlone) {
  const Mfn l2{0x200}, l1{0x201};
  poke(l1, 0, rw(Mfn{0x202}));
  poke(l1, 1, ro(l2));
  poke(l2, 0, rw(l1));
  ASSERT_TRUE(frames.pin(l2, dom1.id, FrameType::L2PageTable));
  ASSERT_TRUE(frames.pin(l1, dom1.id, FrameType::L1PageTable));
  const auto before2 = frames.totals(dom2.id);
  frames.relinquish(dom1.id);
  const auto t1 = frames.totals(dom1.id);
  EXPECT_EQ(t1.owned, 0u);
  EXPECT_EQ(t1.ref_count, 0u);
  const auto after2 = frames.totals(dom2.id);
  EXPECT_EQ(after2.owned, before2.owned);
  EXPECT_EQ(after2.ref_count, before2.ref_count);
  EXPECT_EQ(f(0x200).owner, kNoOwner);
  EXPECT_EQ(f(0x200).type, FrameType::None);
}

}  // namespace
}  // namespace ring1::hv::test
