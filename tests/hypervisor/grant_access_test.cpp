// The grant rules of grant_access.h, one test each, on two domains of a real frame table: domain 2 grants
// frames from its grant table, domain 1 (running, with a validated address space) maps them, and the control
// domain's back-ends reach them through the same acquire/release path.
#include <gtest/gtest.h>

#include "hypervisor/grant_access.h"
#include "hypervisor/hv_fixture.h"

namespace ring1::hv {
namespace {

using test::kDom2First;
using test::kWindowL1;
using test::kWindowVa;

constexpr Mfn kDom2GrantFrame{0x5F0};
constexpr Mfn kGranted{0x510}, kGranted2{0x511};
constexpr u32 kMapSlot = 20;  // a free slot of the window's page table
constexpr u32 kMapVa = kWindowVa + kMapSlot * kPageSize;

struct GrantFixture : test::RunningDomainFixture {
  std::vector<Mfn> dom2_grants{kDom2GrantFrame};
  std::vector<Mfn> dom1_grants{};
  GrantAccess grants{frames, &GrantFixture::frames_of, this};

  static const std::vector<Mfn>* frames_of(void* self, DomainId d) {
    auto* f = static_cast<GrantFixture*>(self);
    if (d == f->dom1.id) return &f->dom1_grants;
    if (d == f->dom2.id) return &f->dom2_grants;
    return nullptr;
  }
  // Domain 2 writes grant entry `ref` (the guest's side: frame and domid first, then the flags).
  void grant(u32 ref, u16 flags, u16 to, Mfn frame) {
    const xen::GrantEntryV1 e{flags, to, frame.value};
    ram.write_bytes(machine_addr(kDom2GrantFrame, ref * 8).value, &e, sizeof e);
  }
  u16 flags_of(u32 ref) {
    xen::GrantEntryV1 e;
    EXPECT_TRUE(grants.read_entry(dom2.id, ref, e));
    return e.flags;
  }
  xen::GnttabMapGrantRef map(u32 ref, u32 flags, u64 host_addr = kMapVa, u16 dom = 2) {
    xen::GnttabMapGrantRef op{host_addr, flags, ref, dom, 0x7777, 0, 0};
    grants.map(dom1, op);
    return op;
  }
  xen::GnttabUnmapGrantRef unmap(u32 handle, u64 host_addr = kMapVa) {
    xen::GnttabUnmapGrantRef op{host_addr, 0, handle, 0x7777};
    std::optional<u32> flush;
    grants.unmap(dom1, op, flush);
    if (flush) mmu.invlpg(*flush);
    return op;
  }
  bool guest_write(u32 va, u32 v) { return mem.write(LinearAddr{va}, v); }
  bool guest_read(u32 va, u32& v) { return mem.read(LinearAddr{va}, v); }
};

constexpr u16 kPermit = xen::gtf::kPermitAccess;
constexpr u16 kPermitRo = xen::gtf::kPermitAccess | xen::gtf::kReadonly;
constexpr u32 kHost = xen::gntmap::kHostMap;
constexpr u32 kHostRo = xen::gntmap::kHostMap | xen::gntmap::kReadonly;

TEST_F(GrantFixture, AWritableGrantMapsAtTheHostAddressAndMarksTheEntryReadingAndWriting) {
  grant(3, kPermit, 1, kGranted);
  const u32 marker = 0xC0FFEE;
  ram.write_bytes(machine_addr(kGranted).value, &marker, 4);
  const u32 refs_before = f(kGranted.value).ref_count;
  const auto op = map(3, kHost);
  ASSERT_EQ(op.status, xen::kGntstOkay);
  EXPECT_EQ(peek(kWindowL1, kMapSlot), machine_addr(kGranted).value | pte::Present | pte::Writable | pte::Accessed | pte::Dirty);
  EXPECT_EQ(flags_of(3), kPermit | xen::gtf::kReading | xen::gtf::kWriting);
  // The grant's references and the entry's, both in the owner's name; the frame has the writable type.
  EXPECT_EQ(f(kGranted.value).ref_count, refs_before + 2);
  EXPECT_EQ(f(kGranted.value).type, FrameType::Writable);
  EXPECT_EQ(f(kGranted.value).owner, dom2.id);
  u32 v = 0;
  ASSERT_TRUE(guest_read(kMapVa, v));
  EXPECT_EQ(v, marker);
  ASSERT_TRUE(guest_write(kMapVa + 4, 0x1234));
  u32 back;
  ram.read_bytes(machine_addr(kGranted).value + 4, &back, 4);
  EXPECT_EQ(back, 0x1234u);
  EXPECT_EQ(grants.active_mappings(), 1u);
}

TEST_F(GrantFixture, MappingAnEntryThatWasNeverGrantedIsRefusedAndChangesNothing) {
  const u32 refs_before = f(kGranted.value).ref_count;
  const auto op = map(5, kHost);  // entry 5: all zero, GTF_invalid
  EXPECT_EQ(op.status, xen::kGntstGeneralError);
  EXPECT_EQ(peek(kWindowL1, kMapSlot), 0u);
  EXPECT_EQ(flags_of(5), 0u);
  EXPECT_EQ(f(kGranted.value).ref_count, refs_before);
  EXPECT_EQ(grants.active_mappings(), 0u);
}

TEST_F(GrantFixture, AGrantToAnotherDomainCannotBeMappedByThisOne) {
  grant(3, kPermit, 7, kGranted);
  EXPECT_EQ(map(3, kHost).status, xen::kGntstGeneralError);
  EXPECT_EQ(flags_of(3), kPermit);
  // Nor can the control domain's back-end use it.
  EXPECT_EQ(grants.acquire(kControlDomain, dom2.id, 3, true).status, xen::kGntstGeneralError);
}

TEST_F(GrantFixture, AReferencePastTheTableAndAnUnknownDomainAreRefusedWithTheirOwnStatuses) {
  EXPECT_EQ(map(xen::kGrantEntriesPerFrame, kHost).status, xen::kGntstBadGntref);
  EXPECT_EQ(map(0, kHost, kMapVa, 9).status, xen::kGntstBadDomain);
  EXPECT_EQ(map(0, 0).status, xen::kGntstBadGntref);  // neither host nor device mapping asked for
}

TEST_F(GrantFixture, AReadOnlyGrantIsRefusedAWritableMappingAndMapsReadOnly) {
  grant(4, kPermitRo, 1, kGranted);
  EXPECT_EQ(map(4, kHost).status, xen::kGntstGeneralError);
  EXPECT_EQ(flags_of(4), kPermitRo);
  const auto op = map(4, kHostRo);
  ASSERT_EQ(op.status, xen::kGntstOkay);
  EXPECT_EQ(peek(kWindowL1, kMapSlot) & pte::Writable, 0u);
  EXPECT_EQ(flags_of(4), kPermitRo | xen::gtf::kReading);  // reading, not writing
  EXPECT_EQ(f(kGranted.value).type_count, 0u);            // no writable type taken
  // Writing through the mapping faults (ring 0 with CR0.WP, as the hypervisor and a ring-1 kernel write).
  u32 v;
  EXPECT_TRUE(guest_read(kMapVa, v));
  EXPECT_FALSE(guest_write(kMapVa, 1));
  // A second, writable use of the mapped entry is still refused.
  EXPECT_EQ(grants.acquire(dom1.id, dom2.id, 4, false).status, xen::kGntstGeneralError);
  // And a copy into it, or a back-end's write, cannot get around that.
  xen::GnttabCopy c{{kGranted2.value, xen::kDomidSelf, 0}, {4, 2, 0}, 16, xen::gntcopy::kDestGref, 0};
  grant(6, kPermit, 1, kGranted2);
  c.source = {6, 2, 0};
  c.flags = xen::gntcopy::kSourceGref | xen::gntcopy::kDestGref;
  grants.copy(dom1.id, c);
  EXPECT_EQ(c.status, xen::kGntstGeneralError);
}

TEST_F(GrantFixture, UnmappingClearsTheEntryTheBusyBitsAndTheReferencesThenTheGrantCanBeRevoked) {
  grant(3, kPermit, 1, kGranted);
  const u32 refs_before = f(kGranted.value).ref_count;
  const auto op = map(3, kHost);
  ASSERT_EQ(op.status, xen::kGntstOkay);
  u32 v;
  ASSERT_TRUE(guest_read(kMapVa, v));  // the translation is cached now
  EXPECT_EQ(unmap(op.handle).status, xen::kGntstOkay);
  EXPECT_EQ(peek(kWindowL1, kMapSlot), 0u);
  EXPECT_EQ(flags_of(3), kPermit);
  EXPECT_EQ(f(kGranted.value).ref_count, refs_before);
  EXPECT_EQ(f(kGranted.value).type_count, 0u);
  EXPECT_FALSE(guest_read(kMapVa, v));  // flushed: no stale translation reaches the frame
  EXPECT_EQ(grants.active_mappings(), 0u);
  // The guest revokes it (gnttab_end_foreign_access: the flags go to 0 once neither busy bit is set) and
  // the next map fails.
  grant(3, 0, 1, kGranted);
  EXPECT_EQ(map(3, kHost).status, xen::kGntstGeneralError);
}

TEST_F(GrantFixture, WhileMappedTheEntryStaysBusyAndAnotherMappingOfTheSameFrameUsesTheFrameFirstRead) {
  grant(3, kPermit, 1, kGranted);
  const auto a = map(3, kHost);
  ASSERT_EQ(a.status, xen::kGntstOkay);
  // The guest rewrites the entry while it is mapped: the busy bits tell it not to; the mapping is unaffected.
  grant(3, kPermit, 1, kGranted2);
  const auto b = grants.acquire(dom1.id, dom2.id, 3, true);
  ASSERT_EQ(b.status, xen::kGntstOkay);
  EXPECT_EQ(b.frame, kGranted);
  EXPECT_EQ(grants.release(dom1.id, b.handle), xen::kGntstOkay);
  EXPECT_EQ(unmap(a.handle).status, xen::kGntstOkay);
}

TEST_F(GrantFixture, TheOwnerCannotFreeOrRetypeAFrameAnotherDomainStillMaps) {
  grant(3, kPermit, 1, kGranted);
  const auto op = map(3, kHost);
  ASSERT_EQ(op.status, xen::kGntstOkay);
  // Domain 2 gives the frame back (decrease_reservation drops the allocation reference): it is not freed.
  EXPECT_TRUE(frames.release(kGranted, dom2.id));
  EXPECT_EQ(f(kGranted.value).owner, dom2.id);
  EXPECT_GT(f(kGranted.value).ref_count, 0u);
  EXPECT_FALSE(frames.assign(kGranted, dom1.id));  // not free, so not handed to anyone
  // Nor can it become one of its page tables while writable elsewhere.
  grant(4, kPermit, 1, kGranted2);
  const auto op2 = map(4, kHost, kMapVa + kPageSize);
  ASSERT_EQ(op2.status, xen::kGntstOkay);
  EXPECT_FALSE(frames.pin(kGranted2, dom2.id, FrameType::L1PageTable));
  // Once unmapped, the released frame is free.
  EXPECT_EQ(unmap(op.handle).status, xen::kGntstOkay);
  EXPECT_EQ(f(kGranted.value).owner, kNoOwner);
  EXPECT_EQ(f(kGranted.value).ref_count, 0u);
}

TEST_F(GrantFixture, AnUnmapWithAnotherDomainsHandleOrTheWrongAddressIsRefused) {
  grant(3, kPermit, 1, kGranted);
  const auto op = map(3, kHost);
  ASSERT_EQ(op.status, xen::kGntstOkay);
  EXPECT_EQ(unmap(op.handle + 1).status, xen::kGntstBadHandle);
  EXPECT_EQ(unmap(op.handle, kMapVa + kPageSize).status, xen::kGntstGeneralError);
  xen::GnttabUnmapGrantRef other{kMapVa, 0, op.handle, 0};
  std::optional<u32> flush;
  grants.unmap(dom2, other, flush);
  EXPECT_EQ(other.status, xen::kGntstBadHandle);
  EXPECT_EQ(grants.release(dom1.id, op.handle), xen::kGntstBadHandle);  // a host mapping goes by unmap only
  // The guest replaced the entry itself: the grant cannot be undone through it and stays mapped.
  ASSERT_TRUE(frames.mod_l1_entry(kWindowL1, kMapSlot, 0, dom1.id));
  EXPECT_EQ(unmap(op.handle).status, xen::kGntstGeneralError);
  EXPECT_EQ(flags_of(3) & xen::gtf::kWriting, xen::gtf::kWriting);
}

TEST_F(GrantFixture, AHostMappingOutsideTheGuestsAddressSpaceIsRefused) {
  grant(3, kPermit, 1, kGranted);
  EXPECT_EQ(map(3, kHost, xen::kHypervisorVirtStart).status, xen::kGntstGeneralError);
  EXPECT_EQ(map(3, kHost, 0x40000000).status, xen::kGntstGeneralError);  // no page table there
  EXPECT_EQ(flags_of(3), kPermit);
}

TEST_F(GrantFixture, ADeviceMappingGivesTheBusAddressAndNoPageTableEntry) {
  grant(3, kPermit, 1, kGranted);
  const auto op = map(3, xen::gntmap::kDeviceMap, 0);
  ASSERT_EQ(op.status, xen::kGntstOkay);
  EXPECT_EQ(op.dev_bus_addr, machine_addr(kGranted).value);
  EXPECT_EQ(peek(kWindowL1, kMapSlot), 0u);
  xen::GnttabUnmapGrantRef u{0, machine_addr(kGranted).value, op.handle, 0};
  std::optional<u32> flush;
  grants.unmap(dom1, u, flush);
  EXPECT_EQ(u.status, xen::kGntstOkay);
  EXPECT_FALSE(flush);
  EXPECT_EQ(flags_of(3), kPermit);
}

TEST_F(GrantFixture, CopyMovesBytesBetweenAGrantAndTheCallersOwnFrameWithinOnePage) {
  grant(3, kPermit, 1, kGranted);
  const char text[] = "granted bytes";
  ram.write_bytes(machine_addr(Mfn{test::kWindowFirstFrame}).value + 100, text, sizeof text);
  xen::GnttabCopy c{{test::kWindowFirstFrame, xen::kDomidSelf, 100}, {3, 2, 200}, sizeof text,
                    xen::gntcopy::kDestGref, 0x7777};
  grants.copy(dom1.id, c);
  ASSERT_EQ(c.status, xen::kGntstOkay);
  char back[sizeof text];
  ram.read_bytes(machine_addr(kGranted).value + 200, back, sizeof back);
  EXPECT_STREQ(back, text);
  EXPECT_EQ(flags_of(3), kPermit);  // the copy's own mapping is gone again
  c.dest.offset = kPageSize - 4;     // crosses the page
  grants.copy(dom1.id, c);
  EXPECT_EQ(c.status, xen::kGntstBadCopyArg);
  c.dest.offset = 0;
  c.source.domid = 2;  // a frame named by number must be the caller's own
  grants.copy(dom1.id, c);
  EXPECT_EQ(c.status, xen::kGntstPermissionDenied);
  c.source.domid = xen::kDomidSelf;
  c.source.ref_or_gmfn = kGranted2.value;  // domain 2's frame, named as if it were domain 1's
  grants.copy(dom1.id, c);
  EXPECT_EQ(c.status, xen::kGntstGeneralError);
  EXPECT_EQ(grants.stats().copies, 1u);
}

TEST_F(GrantFixture, TheControlDomainsBackEndsReachOnlyWhatWasGrantedToThem) {
  grant(8, kPermit, 0, kGranted);
  grant(9, kPermitRo, 0, kGranted2);
  const char msg[] = "from the back end";
  EXPECT_EQ(grants.copy_to_grant(kControlDomain, dom2.id, 8, 16, msg, sizeof msg), xen::kGntstOkay);
  char back[sizeof msg];
  ram.read_bytes(machine_addr(kGranted).value + 16, back, sizeof back);
  EXPECT_STREQ(back, msg);
  EXPECT_EQ(grants.copy_to_grant(kControlDomain, dom2.id, 9, 0, msg, sizeof msg), xen::kGntstGeneralError);
  EXPECT_EQ(grants.copy_from_grant(kControlDomain, dom2.id, 9, 0, back, sizeof back), xen::kGntstOkay);
  EXPECT_EQ(grants.copy_to_grant(kControlDomain, dom2.id, 8, kPageSize - 2, msg, sizeof msg), xen::kGntstBadCopyArg);
  // Domain 1 may not use the back end's grants.
  EXPECT_EQ(map(8, kHost).status, xen::kGntstGeneralError);
  EXPECT_EQ(grants.active_mappings(), 0u);
  EXPECT_EQ(flags_of(8), kPermit);
}

TEST_F(GrantFixture, ReleasingEveryMappingAtTeardownDropsTheReferencesAndTheBusyBits) {
  // A destroyed domain's table (Xen's gnttab_release_mappings): the back end's writable device mapping and a
  // read-only one go, their frames keep only their owner's references, and the entries are no longer busy.
  grant(5, kPermit, 0, kGranted);
  grant(6, kPermitRo, 0, kGranted2);
  const u32 refs = f(kGranted.value).ref_count, refs2 = f(kGranted2.value).ref_count;
  ASSERT_EQ(grants.acquire(kControlDomain, dom2.id, 5, false).status, xen::kGntstOkay);
  ASSERT_EQ(grants.acquire(kControlDomain, dom2.id, 6, true).status, xen::kGntstOkay);
  EXPECT_EQ(f(kGranted.value).type, FrameType::Writable);
  EXPECT_GT(f(kGranted.value).ref_count, refs);
  EXPECT_EQ(grants.release_all(), 2u);
  EXPECT_EQ(grants.active_mappings(), 0u);
  EXPECT_EQ(f(kGranted.value).ref_count, refs);
  EXPECT_EQ(f(kGranted.value).type_count, 0u);
  EXPECT_EQ(f(kGranted2.value).ref_count, refs2);
  EXPECT_EQ(flags_of(5), kPermit);
  EXPECT_EQ(flags_of(6), kPermitRo);
  // Nothing is left to release, and the frame goes back to the free pool with its allocation.
  EXPECT_EQ(grants.release_all(), 0u);
  EXPECT_TRUE(frames.release(kGranted, dom2.id));
  EXPECT_EQ(f(kGranted.value).owner, kNoOwner);
}

}  // namespace
}  // namespace ring1::hv
