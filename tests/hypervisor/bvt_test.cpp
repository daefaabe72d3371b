// Borrowed Virtual Time as a spec (Duda and Cheriton; Xen 2.0's sched_bvt.c): shares follow weights, the
// context-switch allowance bounds how often equal domains alternate, a woken domain starts at the system
// virtual time (no credit for sleeping), and warp gives a woken domain the CPU at once, for at most its warp
// limit, and again only after its unwarp requirement.
#include <gtest/gtest.h>

#include "hypervisor/bvt.h"

namespace ring1::hv {
namespace {

// Runs every runnable domain as BVT picks it, each for its whole slice (capped at `cap`), until `until`
// cycles have passed; returns the cycles each one got.
std::vector<Cycles> run_for(Bvt& b, u32 n, Cycles until, Cycles cap = ~Cycles(0)) {
  std::vector<Cycles> got(n, 0);
  Cycles now = 0;
  while (now < until) {
    const auto p = b.pick(now);
    if (!p) break;
    const Cycles ran = std::min({p->slice, cap, until - now});
    b.charge(p->domain, ran, now);
    got[p->domain] += ran;
    now += ran;
  }
  return got;
}

TEST(Bvt, WeightsTwoAndOneShareTheCpuTwoToOneWithinOnePercent) {
  Bvt b(BvtConfig{1000, 50000});
  b.add(BvtParams{2});
  b.add(BvtParams{1});
  const auto got = run_for(b, 2, 30'000'000);
  const double ratio = double(got[0]) / double(got[1]);
  EXPECT_NEAR(ratio, 2.0, 0.02) << got[0] << " vs " << got[1];
  EXPECT_EQ(got[0] + got[1], 30'000'000u);
}

TEST(Bvt, ThreeDomainsOfWeightsThreeTwoOneGetHalfAThirdAndASixth) {
  Bvt b(BvtConfig{1000, 50000});
  b.add(BvtParams{3});
  b.add(BvtParams{2});
  b.add(BvtParams{1});
  const auto got = run_for(b, 3, 60'000'000);
  EXPECT_NEAR(double(got[0]) / 60e6, 0.5, 0.01);
  EXPECT_NEAR(double(got[1]) / 60e6, 1.0 / 3, 0.01);
  EXPECT_NEAR(double(got[2]) / 60e6, 1.0 / 6, 0.01);
}

TEST(Bvt, EqualDomainsAlternateEveryContextSwitchAllowance) {
  Bvt b(BvtConfig{1000, 50000});
  b.add(BvtParams{1});
  b.add(BvtParams{1});
  // Equal evts: the first runs the allowance, then the second is behind by exactly that and runs twice it.
  auto p = b.pick(0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->domain, 0u);
  EXPECT_EQ(p->slice, 50000u);
  b.charge(0, p->slice, 0);
  p = b.pick(50000);
  EXPECT_EQ(p->domain, 1u);
  EXPECT_EQ(p->slice, 100000u);
}

TEST(Bvt, ALoneDomainRunsWithoutASliceEnd) {
  Bvt b;
  b.add(BvtParams{1});
  const auto p = b.pick(0);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->slice, ~Cycles(0));
}

TEST(Bvt, EveryMinimumChargingUnitBegunIsChargedInFull) {
  Bvt b(BvtConfig{1000, 50000});
  b.add(BvtParams{1});
  b.charge(0, 1, 0);
  EXPECT_EQ(b.avt(0), 1000 * Bvt::kAdvanceScale);
  b.charge(0, 1001, 0);
  EXPECT_EQ(b.avt(0), 3000 * Bvt::kAdvanceScale);
}

TEST(Bvt, ASleepingDomainIsNeverPickedAndNoneRunnableMeansIdle) {
  Bvt b;
  b.add(BvtParams{1});
  b.add(BvtParams{1});
  b.sleep(0, 0);
  EXPECT_EQ(b.pick(0)->domain, 1u);
  b.sleep(1, 0);
  EXPECT_FALSE(b.pick(0));
}

TEST(Bvt, AWokenDomainStartsAtTheSystemVirtualTimeSoSleepingEarnsNoCredit) {
  Bvt b(BvtConfig{1000, 50000});
  b.add(BvtParams{1});
  b.add(BvtParams{1});
  b.sleep(0, 0);
  b.charge(1, 10'000'000, 0);  // domain 1 ran alone for a long time
  b.pick(10'000'000);
  b.wake(0, 10'000'000, 1u, 0);
  EXPECT_EQ(b.avt(0), b.avt(1));
}

TEST(Bvt, AWokenDomainPreemptsOnlyIfItsEvtIsNotAboveTheRunningOnes) {
  Bvt b(BvtConfig{1000, 50000});
  b.add(BvtParams{1});
  b.add(BvtParams{1});
  b.charge(0, 500'000, 0);  // domain 0 has used more than its share
  b.sleep(0, 0);
  // Domain 1 has run 100000 cycles since it was picked: 0 is 400000 cycles of virtual time ahead of it.
  EXPECT_EQ(b.wake(0, 0, 1u, 100'000), 400'000u + 50'000u);
}

TEST(Bvt, AWarpedDomainPreemptsAtOnceWhereTheSameDomainUnwarpedWaits) {
  for (const u64 warp : {u64(0), u64(1'000'000)}) {
    Bvt b(BvtConfig{1000, 50000});
    b.add(BvtParams{1, warp});
    b.add(BvtParams{1});
    b.charge(0, 500'000, 0);
    b.sleep(0, 0);
    const Cycles in = b.wake(0, 0, 1u, 100'000);
    if (warp) EXPECT_EQ(in, 0u);
    else EXPECT_GT(in, 0u);
    EXPECT_EQ(b.warped(0), warp != 0);
  }
}

TEST(Bvt, AWarpEndsAtItsLimitAndReturnsOnlyAfterTheUnwarpRequirement) {
  Bvt b(BvtConfig{1000, 50000});
  b.add(BvtParams{1, 1'000'000, 20'000, 300'000});
  b.add(BvtParams{1});
  b.sleep(0, 0);
  b.wake(0, 0, std::nullopt, 0);
  EXPECT_TRUE(b.warped(0));
  const auto p = b.pick(0);
  EXPECT_EQ(p->domain, 0u);
  EXPECT_EQ(p->slice, 20'000u);  // capped by the warp limit
  b.charge(0, 20'000, 0);
  EXPECT_FALSE(b.warped(0));
  // Blocks and wakes again after 100000 cycles unwarped: not yet allowed to warp.
  b.charge(0, 100'000, 0);
  b.sleep(0, 0);
  b.wake(0, 0, std::nullopt, 0);
  EXPECT_FALSE(b.warped(0));
  b.charge(0, 200'000, 0);
  b.sleep(0, 0);
  b.wake(0, 0, std::nullopt, 0);
  EXPECT_TRUE(b.warped(0));
}

TEST(Bvt, ARemovedDomainNeverRunsOrWakesAgain) {
  Bvt b;
  b.add(BvtParams{1});
  b.remove(0);
  EXPECT_FALSE(b.pick(0));
  EXPECT_EQ(b.wake(0, 0, std::nullopt, 0), ~Cycles(0));
  EXPECT_FALSE(b.pick(0));
}

}  // namespace
}  // namespace ring1::hv
