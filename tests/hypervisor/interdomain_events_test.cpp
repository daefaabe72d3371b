// Event channels between two domains (xen/event_channel.h; Xen 3.x's evtchn_alloc_unbound,
// evtchn_bind_interdomain, __evtchn_close): a port offered to one domain can be bound by that domain only,
// once; a send raises the far end's port in the far end's shared info; closing either end puts the other
// back to unbound, waiting for the closer again; a destroyed domain's ports all close that way.
#include <gtest/gtest.h>

#define XEN_HAVE_PV_UPCALL_MASK 1
#include <xen/foreign/x86_32.h>

#include "hypervisor/event_channels.h"

namespace ring1::hv {
namespace {

using namespace xen::err;
constexpr u32 kShared1 = 0x3000, kShared2 = 0x5000;

struct InterdomainTest : ::testing::Test {
  PhysicalMemory ram{1u << 20};
  EventChannels d1{ram, DomainId{1}};
  EventChannels d2{ram, DomainId{2}};

  static EventChannels* find(void* self, u16 id) {
    auto* t = static_cast<InterdomainTest*>(self);
    return id == 1 ? &t->d1 : id == 2 ? &t->d2 : nullptr;
  }
  InterdomainTest() {
    d1.attach(kShared1);
    d2.attach(kShared2);
    d1.set_directory({&find, this});
    d2.set_directory({&find, this});
  }
  bool pending(u32 shared, u32 port) const {
    shared_info_x86_32 s;
    ram.read_bytes(shared, &s, sizeof(s));
    return (s.evtchn_pending[port / 32] >> (port % 32)) & 1;
  }
  xen::EvtchnStatus status(EventChannels& ev, u32 port) {
    xen::EvtchnStatus st{};
    EXPECT_EQ(ev.status(xen::kDomidSelf, port, st), 0);
    return st;
  }
};

TEST_F(InterdomainTest, ABindConnectsAPortOfferedByAnotherDomainAndSendsReachItsSharedInfo) {
  const i32 offered = d2.alloc_unbound(xen::kDomidSelf, 1);
  ASSERT_EQ(offered, 1);
  const i32 local = d1.bind_interdomain(2, static_cast<u32>(offered));
  ASSERT_EQ(local, 1);
  EXPECT_TRUE(pending(kShared1, 1));  // Xen raises the new local port at the bind
  const xen::EvtchnStatus s1 = status(d1, 1), s2 = status(d2, 1);
  EXPECT_EQ(s1.status, xen::evtchnstat::kInterdomain);
  EXPECT_EQ(s1.u.interdomain.dom, 2);
  EXPECT_EQ(s2.status, xen::evtchnstat::kInterdomain);
  EXPECT_EQ(s2.u.interdomain.dom, 1);
  EXPECT_EQ(s2.u.interdomain.port, 1u);
  EXPECT_FALSE(pending(kShared2, 1));
  EXPECT_EQ(d1.send(1), 0);
  EXPECT_TRUE(pending(kShared2, 1));
  EXPECT_EQ(d2.counters(1).raised, 1u);
  EXPECT_EQ(d2.send(1), 0);
  EXPECT_EQ(d1.counters(1).raised, 2u);
}

TEST_F(InterdomainTest, APortOfferedToAnotherDomainCannotBeBound) {
  const i32 offered = d2.alloc_unbound(xen::kDomidSelf, 3);  // for domain 3, not 1
  EXPECT_EQ(d1.bind_interdomain(2, static_cast<u32>(offered)), -kEINVAL);
}

TEST_F(InterdomainTest, ADomainThatDoesNotExistIsEsrch) {
  EXPECT_EQ(d1.bind_interdomain(7, 1), -kESRCH);
  EXPECT_EQ(d1.bind_interdomain(0x7FF1, 1), -kESRCH);  // DOMID_IO: a reserved id, no domain either
}

TEST_F(InterdomainTest, APortThatIsNotAllocatedOrOutOfRangeIsEinval) {
  EXPECT_EQ(d1.bind_interdomain(2, 5), -kEINVAL);
  EXPECT_EQ(d1.bind_interdomain(2, 5000), -kEINVAL);
}

TEST_F(InterdomainTest, BindingTheSamePortTwiceIsEinvalTheSecondTime) {
  const i32 offered = d2.alloc_unbound(xen::kDomidSelf, 1);
  ASSERT_GT(d1.bind_interdomain(2, static_cast<u32>(offered)), 0);
  EXPECT_EQ(d1.bind_interdomain(2, static_cast<u32>(offered)), -kEINVAL);
}

TEST_F(InterdomainTest, ClosingOneEndPutsTheOtherBackToUnboundForTheCloser) {
  const i32 offered = d2.alloc_unbound(xen::kDomidSelf, 1);
  const i32 local = d1.bind_interdomain(2, static_cast<u32>(offered));
  ASSERT_EQ(d1.close(static_cast<u32>(local)), 0);
  const xen::EvtchnStatus s2 = status(d2, static_cast<u32>(offered));
  EXPECT_EQ(s2.status, xen::evtchnstat::kUnbound);
  EXPECT_EQ(s2.u.unbound.dom, 1);
  // A send on the unbound end goes nowhere; domain 1 may bind again.
  EXPECT_EQ(d2.send(static_cast<u32>(offered)), 0);
  EXPECT_GT(d1.bind_interdomain(2, static_cast<u32>(offered)), 0);
}

TEST_F(InterdomainTest, ClosingTheOffererPutsTheBinderBackToUnboundForTheOfferer) {
  const i32 offered = d2.alloc_unbound(xen::kDomidSelf, 1);
  const i32 local = d1.bind_interdomain(2, static_cast<u32>(offered));
  ASSERT_EQ(d2.close(static_cast<u32>(offered)), 0);
  const xen::EvtchnStatus s1 = status(d1, static_cast<u32>(local));
  EXPECT_EQ(s1.status, xen::evtchnstat::kUnbound);
  EXPECT_EQ(s1.u.unbound.dom, 2);
}

TEST_F(InterdomainTest, ADestroyedDomainsPortsAllCloseAndItsPeersEndsAreUnbound) {
  const i32 a = d2.alloc_unbound(xen::kDomidSelf, 1), b = d2.alloc_unbound(xen::kDomidSelf, 1);
  const i32 la = d1.bind_interdomain(2, static_cast<u32>(a)), lb = d1.bind_interdomain(2, static_cast<u32>(b));
  d2.close_all();
  EXPECT_EQ(d2.state(static_cast<u32>(a)), PortState::Free);
  EXPECT_EQ(status(d1, static_cast<u32>(la)).status, xen::evtchnstat::kUnbound);
  EXPECT_EQ(status(d1, static_cast<u32>(lb)).status, xen::evtchnstat::kUnbound);
}

}  // namespace
}  // namespace ring1::hv
