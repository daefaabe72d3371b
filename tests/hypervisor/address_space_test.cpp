// A guest builds a whole address space through hypercalls, as XenoLinux does for a new process (P §3.3.3,
// batched updates), switches to it, switches back, and tears it down; then the domain is destroyed. After
// teardown every count is zero: nothing leaks.
#include "hv_fixture.h"

namespace ring1::hv::test {
namespace {

using AddressSpace = RunningDomainFixture;
namespace cmd = xen::mmuext;

TEST_F(AddressSpace, BuildSwitchTearDownAndDestroyLeaveEveryCountAtZero) {
  const Mfn dir{0x300};
  const Mfn tables[] = {Mfn{0x301}, Mfn{0x302}, Mfn{0x303}};
  constexpr u32 kPagesPerTable = 512;
  const auto start = frames.totals(dom1.id);

  // 1. The new tables are mapped read-only into the window (the guest keeps reading them).
  std::vector<xen::MmuUpdate> maps;
  for (u32 i = 0; i < 3; ++i) maps.push_back(pt_update(kWindowL1, 200 + i, ro(tables[i])));
  maps.push_back(pt_update(kWindowL1, 203, ro(dir)));
  ASSERT_EQ(mmu_update(maps).rc, 0);

  // 2. Pin the empty L1s, fill them in one batch of 1536 updates, hook them into a new directory, pin it.
  std::vector<xen::MmuextOp> pins;
  for (Mfn t : tables) pins.push_back(ext(cmd::kPinL1Table, t.value));
  ASSERT_EQ(mmuext(pins).rc, 0);
  std::vector<xen::MmuUpdate> fill;
  for (u32 t = 0; t < 3; ++t)
    for (u32 i = 0; i < kPagesPerTable; ++i) fill.push_back(pt_update(tables[t], i, rw(Mfn{0x400 + (t * 512 + i) % 256})));
  const MmuOutcome filled = mmu_update(fill);
  ASSERT_EQ(filled.rc, 0);
  EXPECT_EQ(done_word(), 1536u);
  EXPECT_EQ(hv.counters().batch_sizes[batch_bucket(1536)], 1u);
  ASSERT_EQ(mmuext({ext(cmd::kPinL2Table, dir.value)}).rc, 0);
  std::vector<xen::MmuUpdate> hooks;
  for (u32 t = 0; t < 3; ++t) hooks.push_back(pt_update(dir, 16 + t, rw(tables[t])));  // 64 MiB and up
  hooks.push_back(pt_update(dir, kWindowVa >> 22, rw(kWindowL1)));  // keep the window
  ASSERT_EQ(mmu_update(hooks).rc, 0);

  // 3. Switch to it (one batch: flush queued updates' effect by the CR3 load), run there, switch back.
  ASSERT_EQ(mmuext({ext(cmd::kNewBaseptr, dir.value)}).rc, 0);
  EXPECT_EQ(dom1.guest_table, dir);
  mmu.write<u32>(0x04000000, 0x1234, false);
  EXPECT_EQ(mmu.read<u32>(0x04000000 + 256 * kPageSize, false), 0x1234u);  // two VAs, one frame
  ASSERT_EQ(mmuext({ext(cmd::kNewBaseptr, kBaseL2.value)}).rc, 0);
  EXPECT_EQ(f(dir.value).type_count, 1u);  // only the pin now: still validated, no re-validation needed
  EXPECT_TRUE(f(dir.value).validated);

  // 4. Tear the new space down: unpin the directory (its L1 references go), then the tables, then unmap
  //    the read-only views of them.
  std::vector<xen::MmuextOp> unpins{ext(cmd::kUnpinTable, dir.value)};
  for (Mfn t : tables) unpins.push_back(ext(cmd::kUnpinTable, t.value));
  ASSERT_EQ(mmuext(unpins).rc, 0);
  for (auto& m : maps) m.val = 0;
  ASSERT_EQ(mmu_update(maps).rc, 0);
  const auto back = frames.totals(dom1.id);
  EXPECT_EQ(back.ref_count, start.ref_count);
  EXPECT_EQ(back.type_count, start.type_count);
  EXPECT_EQ(back.pinned, start.pinned);
  for (u32 m = 0x400; m < 0x500; ++m) ASSERT_EQ(f(m).ref_count, 1u) << std::hex << m;

  // 5. Destroy the domain: the base goes, then everything it owned.
  hv.drop_base(dom1);
  frames.relinquish(dom1.id);
  const auto gone = frames.totals(dom1.id);
  EXPECT_EQ(gone.owned, 0u);
  EXPECT_EQ(gone.ref_count, 0u);
  EXPECT_EQ(gone.type_count, 0u);
  EXPECT_EQ(gone.pinned, 0u);
  for (u32 m = kDom1First; m <= kDom1Last; ++m) {
    ASSERT_EQ(f(m).owner, kNoOwner) << std::hex << m;
    ASSERT_EQ(f(m).ref_count, 0u) << std::hex << m;
    ASSERT_EQ(f(m).type_count, 0u) << std::hex << m;
  }
}

TEST_F(AddressSpace, DestroyingADomainWithPinnedTablesStillInPlaceFreesEverything) {
  // The guest leaves its tables pinned and hooked together: teardown must still account for every reference.
  poke(Mfn{0x301}, 0, rw(Mfn{0x302}));
  poke(Mfn{0x301}, 1, ro(Mfn{0x300}));
  poke(Mfn{0x300}, 5, rw(Mfn{0x301}));
  ASSERT_TRUE(frames.pin(Mfn{0x301}, dom1.id, FrameType::L1PageTable));
  ASSERT_TRUE(frames.pin(Mfn{0x300}, dom1.id, FrameType::L2PageTable));
  hv.drop_base(dom1);
  frames.relinquish(dom1.id);
  EXPECT_EQ(frames.totals(dom1.id).owned, 0u);
  // Only the hypervisor's M2P frames and domain 2's remain owned, each with its single allocation reference.
  const auto all = frames.totals_all();
  EXPECT_EQ(all.ref_count, all.owned);
  EXPECT_EQ(all.type_count, 0u);
}

}  // namespace
}  // namespace ring1::hv::test
