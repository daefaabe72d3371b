// HYPERVISOR_update_va_mapping: one L1 entry found by walking the current base, validated, with a flush.
#include "hv_fixture.h"

namespace ring1::hv::test {
namespace {

using UpdateVaMapping = RunningDomainFixture;
constexpr Mfn kData{0x200};
constexpr u32 kVa = kWindowVa + 50 * kPageSize;

TEST_F(UpdateVaMapping, MapsThroughTheCurrentBaseAndInvalidatesTheOneEntry) {
  const MmuOutcome out = update_va(kVa, rw(kData), xen::kUvmfInvlpg | xen::kUvmfLocal);
  EXPECT_EQ(out.rc, 0);
  EXPECT_EQ(peek(kWindowL1, 50), rw(kData));
  ASSERT_EQ(out.tlb.invlpg.size(), 1u);
  EXPECT_EQ(out.tlb.invlpg[0], LinearAddr{kVa});
  mmu.write<u32>(kVa, 0xCAFE, false);
  u32 v;
  ram.read_bytes(machine_addr(kData).value, &v, 4);
  EXPECT_EQ(v, 0xCAFEu);
}

TEST_F(UpdateVaMapping, WithoutAFlushTheOldTranslationStaysInTheTlb) {
  ASSERT_EQ(update_va(kVa, ro(kData), xen::kUvmfInvlpg).rc, 0);
  EXPECT_EQ(mmu.read<u32>(kVa, false), 0u);  // cached now
  ASSERT_EQ(update_va(kVa, ro(Mfn{kWindowFirstFrame}), xen::kUvmfNone).rc, 0);
  ram.write_bytes(machine_addr(Mfn{kWindowFirstFrame}).value, "\x11\x22\x33\x44", 4);
  EXPECT_EQ(mmu.read<u32>(kVa, false), 0u);  // stale, as on hardware
  ASSERT_EQ(update_va(kVa, ro(Mfn{kWindowFirstFrame}), xen::kUvmfTlbFlush | xen::kUvmfAll).rc, 0);
  EXPECT_EQ(mmu.read<u32>(kVa, false), 0x44332211u);
}

TEST_F(UpdateVaMapping, AnAddressWithNoPageTableOrABadEntryIsRejected) {
  EXPECT_EQ(update_va(0x00000000, ro(kData)).rc, -xen::err::kEINVAL);  // no L1 covers 0..4 MiB
  EXPECT_EQ(update_va(kVa, rw(kWindowL1)).rc, -xen::err::kEINVAL);     // a page table, writable
  EXPECT_EQ(update_va(kVa, ro(Mfn{kDom2First})).rc, -xen::err::kEINVAL);
  EXPECT_EQ(peek(kWindowL1, 50), 0u);
  Domain unbased{.id = DomainId{3}};
  EXPECT_EQ(hv.update_va_mapping(unbased, mem, LinearAddr{kVa}, 0, 0).rc, -xen::err::kEINVAL);
}

TEST_F(UpdateVaMapping, AVcpuMaskPointerThatFaultsIsEfault) {
  const MmuOutcome out = update_va(kVa, ro(kData), xen::kUvmfTlbFlush | 0x00000100);  // mask at 0x100: unmapped
  EXPECT_EQ(out.rc, -xen::err::kEFAULT);
  EXPECT_EQ(peek(kWindowL1, 50), ro(kData));  // the update itself was done (Xen flushes after updating)
}

TEST_F(UpdateVaMapping, RemovingAMappingDropsItsReferences) {
  ASSERT_EQ(update_va(kVa, rw(kData)).rc, 0);
  EXPECT_EQ(f(kData.value).type_count, 1u);
  ASSERT_EQ(update_va(kVa, 0, xen::kUvmfInvlpg).rc, 0);
  EXPECT_EQ(f(kData.value).type_count, 0u);
  EXPECT_EQ(f(kData.value).ref_count, 1u);
}

}  // namespace
}  // namespace ring1::hv::test
