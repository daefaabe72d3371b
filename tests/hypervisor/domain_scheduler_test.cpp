// The domain scheduler as domain 0 and the xenstore daemon see it: two domains spinning on one CPU share it
// (each switched in, each with instructions of its own), an observer hears of every domain and of each
// destruction, and control operations on a domain that does not exist, or is gone, answer -ESRCH.
#include <gtest/gtest.h>

#include <vector>

#include "hypervisor/domain_scheduler.h"
#include "pv_guest.h"

namespace ring1::hv {
namespace {

using test::PvGuest;

struct TwoScheduledDomains : ::testing::Test {
  PvGuest g{"jmp $"};  // domain 1
  DomainScheduler sched{g.hv, BvtConfig{1000, 20000}, BvtParams{}};
  std::vector<u16> created, destroyed;

  TwoScheduledDomains() {
    Hypervisor& d2 = sched.create(BvtParams{});
    // Domain 2 runs the same page tables and code, with a shared-info page of its own.
    d2.attach_shared_info(test::kSharedInfo + 0x1000);
    d2.enter_guest(test::kPd, test::kCode, test::kKernelStack - 0x1000, 0);
    sched.added(d2);
    sched.start();
  }
  void observe() {
    sched.set_observer(DomainObserver{
        [](void* self, Hypervisor& d) { static_cast<TwoScheduledDomains*>(self)->created.push_back(d.domain().id.value); },
        [](void* self, Hypervisor& d) { static_cast<TwoScheduledDomains*>(self)->destroyed.push_back(d.domain().id.value); },
        this});
  }
};

TEST_F(TwoScheduledDomains, TwoSpinningDomainsEachGetTheCpu) {
  g.run(200000);
  sched.settle();
  EXPECT_GT(sched.switches(), 2u);
  EXPECT_GT(sched.account(0).instructions, 50000u);
  EXPECT_GT(sched.account(1).instructions, 50000u);
  EXPECT_GE(sched.account(1).switches_in, 1u);
}

TEST_F(TwoScheduledDomains, AnObserverHearsOfEveryDomainAndOfADestruction) {
  observe();
  EXPECT_EQ(created, (std::vector<u16>{1, 2}));
  EXPECT_EQ(sched.destroy(2), 0);
  EXPECT_EQ(destroyed, (std::vector<u16>{2}));
  EXPECT_EQ(sched.run_state(1), RunState::Dead);
}

TEST_F(TwoScheduledDomains, ControlOperationsOnAMissingOrDestroyedDomainAreEsrch) {
  EXPECT_EQ(sched.pause(0), -xen::err::kESRCH);  // domain 0 is the control side, not a domain of the run
  EXPECT_EQ(sched.pause(3), -xen::err::kESRCH);
  EXPECT_EQ(sched.unpause(0x7FF0), -xen::err::kESRCH);
  EXPECT_EQ(sched.destroy(2), 0);
  EXPECT_EQ(sched.destroy(2), -xen::err::kESRCH);
  EXPECT_EQ(sched.pause(2), -xen::err::kESRCH);
}

TEST_F(TwoScheduledDomains, APausedDomainGetsNoCpuUntilUnpaused) {
  EXPECT_EQ(sched.pause(2), 0);
  g.run(100000);
  sched.settle();
  const u64 before = sched.account(1).instructions;
  g.run(100000);
  sched.settle();
  EXPECT_EQ(sched.account(1).instructions, before);
  EXPECT_EQ(sched.unpause(2), 0);
  g.run(200000);
  sched.settle();
  EXPECT_GT(sched.account(1).instructions, before);
}

}  // namespace
}  // namespace ring1::hv
