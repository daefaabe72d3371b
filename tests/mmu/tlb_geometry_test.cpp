// --tlb-geometry (TlbProfile::with_geometry): a what-if TLB is the profile with its 4 KiB arrays replaced,
// and anything that is not a power-of-two geometry within bounds is refused with a message.
#include <gtest/gtest.h>

#include "mmu/tlb_profile.h"

namespace ring1 {
namespace {

TEST(TlbGeometry, ReplacesTheSmallPageArraysAndKeepsTheLargeOnes) {
  std::string error;
  auto p = TlbProfile::with_geometry(TlbProfile::p3(), "itlb=16x2,dtlb=256x8,policy=fifo", error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->itlb_small.sets, 8u);
  EXPECT_EQ(p->itlb_small.ways, 2u);
  EXPECT_EQ(p->dtlb_small.entries(), 256u);
  EXPECT_EQ(p->dtlb_small.ways, 8u);
  EXPECT_EQ(p->dtlb_large.entries(), TlbProfile::p3().dtlb_large.entries());
  EXPECT_EQ(p->dtlb_large.replacement, TlbReplacement::Fifo);
  EXPECT_EQ(p->name, "p3:itlb=16x2,dtlb=256x8,fifo");
}

TEST(TlbGeometry, EachKeyIsOptional) {
  std::string error;
  auto p = TlbProfile::with_geometry(TlbProfile::p3(), "dtlb=4x4", error);
  ASSERT_TRUE(p) << error;
  EXPECT_EQ(p->itlb_small.entries(), TlbProfile::p3().itlb_small.entries());
  EXPECT_EQ(p->dtlb_small.sets, 1u) << "4 entries, 4 ways: fully associative";
}

TEST(TlbGeometry, RefusesWhatIsNotAPowerOfTwoGeometryWithinBounds) {
  for (const char* bad : {"", "itlb=48x4", "itlb=64x3", "dtlb=4x8", "dtlb=8192x4", "dtlb=4096x512", "dtlb=0x0",
                          "dtlb=64", "dtlb=x4", "dtlb=64x4x2", "dtlb=-64x4", "policy=random", "ways=4", "itlb",
                          "dtlb=64x4,", "dtlb=99999999999x4"}) {
    std::string error;
    EXPECT_FALSE(TlbProfile::with_geometry(TlbProfile::p3(), bad, error)) << bad;
    EXPECT_EQ(error.rfind("--tlb-geometry", 0), 0u) << bad << ": " << error;
    EXPECT_EQ(error.find('\n'), std::string::npos) << bad;
  }
}

TEST(TlbGeometry, AcceptsTheBounds) {
  std::string error;
  EXPECT_TRUE(TlbProfile::with_geometry(TlbProfile::p3(), "itlb=1x1,dtlb=4096x256", error)) << error;
}

}  // namespace
}  // namespace ring1
