// What drops which TLB entries, in the untagged and the tagged model (SDM vol. 3, 4.10.4.1; Mmu::set_cr0
// lists the rules): a CR3 write flushes every non-global entry untagged and none tagged; INVLPG drops the
// current address space's entry (and a global one) only; a CR4.PGE toggle or a CR0.PG change drops every
// entry of every tag, globals too; the hypervisor's flush drops every tag's non-global entries. The flush
// clock (Xen's tlbflush_clock) moves exactly on the flushes that drop every tag's entries.
#include <gtest/gtest.h>

#include "mmu/mmu.h"

namespace ring1 {
namespace {

constexpr u32 P = 1, RW = 2, G = 0x100;
constexpr u32 kCr0Pe = 1u, kCr0Pg = 1u << 31, kCr4Pge = 1u << 7;
constexpr u32 kPdA = 0x10000, kPdB = 0x11000, kPt = 0x12000;
constexpr u32 kData = 0x100000, kOther = 0x101000, kGlobal = 0x102000;

// Two address spaces, A and B, sharing one page table that maps the first 4 MiB; the page at kGlobal global.
struct Tags : ::testing::Test {
  PhysicalMemory ram{8u << 20};
  Mmu mmu;
  explicit Tags(TlbMode mode = TlbMode::Tagged) : mmu(ram, TlbProfile::p3(), mode) {
    for (u32 pd : {kPdA, kPdB}) poke(pd, kPt | P | RW);
    for (u32 i = 0; i < 1024; ++i) poke(kPt + 4 * i, (i << 12) | P | RW | ((i << 12) == kGlobal ? G : 0));
    poke(kData, 111);
    poke(kOther, 222);
    mmu.set_cr4(kCr4Pge);
    mmu.set_cr3(kPdA);
    mmu.set_cr0(kCr0Pe | kCr0Pg);
  }
  void poke(u32 pa, u32 v) { ram.write_bytes(pa, &v, 4); }
  void remap_data_to_other() { poke(kPt + 4 * (kData >> 12), kOther | P | RW); }  // no flush: entries go stale
  u32 read(u32 lin) { return mmu.read<u32>(lin, false); }
  u64 misses() const { return mmu.stats().dtlb.misses; }
};
struct UntaggedTags : Tags {
  UntaggedTags() : Tags(TlbMode::Untagged) {}
};

TEST_F(Tags, ACr3WriteKeepsEveryAddressSpacesEntriesAndMovesNoClock) {
  EXPECT_EQ(read(kData), 111u);  // cached under A
  const u64 clock = mmu.flush_clock();
  mmu.set_cr3(kPdB);
  mmu.set_cr3(kPdA);
  remap_data_to_other();
  EXPECT_EQ(read(kData), 111u);  // A's stale entry survived both CR3 writes
  EXPECT_EQ(mmu.flush_clock(), clock);
}

TEST_F(UntaggedTags, ACr3WriteFlushesEveryNonGlobalEntryAndMovesTheClock) {
  read(kData);
  read(kGlobal);
  const u64 clock = mmu.flush_clock();
  mmu.set_cr3(kPdB);
  EXPECT_EQ(mmu.flush_clock(), clock + 1);
  EXPECT_EQ(mmu.live_entries(), 1u);  // the global page's entry only
}

TEST_F(Tags, InvlpgDropsOnlyTheCurrentAddressSpacesEntry) {
  read(kData);  // A
  mmu.set_cr3(kPdB);
  read(kData);  // B
  mmu.invlpg(kData);
  EXPECT_EQ(mmu.stats().entries_dropped[size_t(FlushCause::Invlpg)], 1u);  // B's only
  mmu.set_cr3(kPdA);
  remap_data_to_other();
  EXPECT_EQ(read(kData), 111u);  // A's entry was not INVLPG's to drop
  mmu.set_cr3(kPdB);
  EXPECT_EQ(read(kData), 222u);  // B walks again
}

TEST_F(Tags, TogglingCr4PgeDropsEveryTagsEntriesAndGlobalOnes) {
  read(kData);
  read(kGlobal);
  mmu.set_cr3(kPdB);
  read(kData);
  const u64 clock = mmu.flush_clock();
  mmu.set_cr4(0);  // PGE off: everything goes
  EXPECT_EQ(mmu.live_entries(), 0u);
  EXPECT_EQ(mmu.stats().entries_dropped[size_t(FlushCause::ControlRegister)], 3u);
  mmu.set_cr4(kCr4Pge);
  EXPECT_EQ(mmu.flush_clock(), clock + 2);
  remap_data_to_other();
  mmu.set_cr3(kPdA);
  EXPECT_EQ(read(kData), 222u);
}

TEST_F(Tags, ACr0PagingChangeDropsEverything) {
  read(kData);
  read(kGlobal);
  mmu.set_cr0(kCr0Pe);
  EXPECT_EQ(mmu.live_entries(), 0u);
}

TEST_F(Tags, TheHypervisorsFlushDropsEveryTagsNonGlobalEntriesAndKeepsGlobalOnes) {
  read(kData);
  read(kGlobal);
  mmu.set_cr3(kPdB);
  read(kData);
  const u64 clock = mmu.flush_clock();
  mmu.flush(/*include_global=*/false, FlushCause::Coherence);
  EXPECT_EQ(mmu.flush_clock(), clock + 1);
  EXPECT_EQ(mmu.stats().flushes[size_t(FlushCause::Coherence)], 1u);
  EXPECT_EQ(mmu.stats().entries_dropped[size_t(FlushCause::Coherence)], 2u);  // A's and B's, not the global
  EXPECT_EQ(mmu.live_entries(), 1u);
  remap_data_to_other();
  mmu.set_cr3(kPdA);
  EXPECT_EQ(read(kData), 222u);
}

TEST_F(Tags, InvlpgNeverMovesTheFlushClock) {
  read(kData);
  const u64 clock = mmu.flush_clock();
  mmu.invlpg(kData);
  EXPECT_EQ(mmu.flush_clock(), clock);
}

}  // namespace
}  // namespace ring1
