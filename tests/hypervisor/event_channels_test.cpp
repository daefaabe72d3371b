// Event channels as a spec (xen/event_channel.h; Xen 3.x's event_channel.c): every EVTCHNOP and its errors,
// port allocation and limits, and the 2-level pending/mask protocol in a shared-info page, read back through
// the layout of Debian's <xen/foreign/x86_32.h> so that the bits land where a guest looks for them.
#include <gtest/gtest.h>

#define XEN_HAVE_PV_UPCALL_MASK 1  // x86 PV has the mask (arch-x86/xen.h defines it for x86 guests)
#include <xen/foreign/x86_32.h>

#include "hypervisor/event_channels.h"

namespace ring1::hv {
namespace {

using namespace xen::err;
constexpr u32 kShared = 0x3000;

struct EventChannelsTest : ::testing::Test {
  PhysicalMemory ram{1u << 20};
  EventChannels ev{ram, DomainId{1}};
  u32 kicks = 0;

  EventChannelsTest() {
    ev.attach(kShared);
    ev.set_kick([](void* self) { ++static_cast<EventChannelsTest*>(self)->kicks; }, this);
  }
  shared_info_x86_32 shared() const {
    shared_info_x86_32 s;
    ram.read_bytes(kShared, &s, sizeof(s));
    return s;
  }
  bool pending(u32 port) const { return (shared().evtchn_pending[port / 32] >> (port % 32)) & 1; }
  u8 upcall_pending() const { return shared().vcpu_info[0].evtchn_upcall_pending; }
  u32 pending_sel() const { return shared().vcpu_info[0].evtchn_pending_sel; }
  void set_mask_bit(u32 port) {
    u32 w;
    const u32 at = kShared + offsetof(shared_info_x86_32, evtchn_mask) + (port / 32) * 4;
    ram.read_bytes(at, &w, 4);
    w |= 1u << (port % 32);
    ram.write_bytes(at, &w, 4);
  }
  void set_upcall_mask(u8 m) {
    ram.write_bytes(kShared + offsetof(shared_info_x86_32, vcpu_info) + offsetof(vcpu_info_x86_32, evtchn_upcall_mask),
                    &m, 1);
  }
};

TEST_F(EventChannelsTest, PortZeroIsReservedSoTheFirstBindGetsPortOne) {
  EXPECT_EQ(ev.state(0), PortState::Reserved);
  EXPECT_EQ(ev.bind_ipi(0), 1);
  EXPECT_EQ(ev.close(0), -kEINVAL);
  xen::EvtchnStatus st{};
  EXPECT_EQ(ev.status(xen::kDomidSelf, 0, st), 0);
  EXPECT_EQ(st.status, xen::evtchnstat::kClosed);
}

TEST_F(EventChannelsTest, AFullTableIsEnospc) {
  for (u32 i = 1; i < EventChannels::kPorts; ++i) ASSERT_EQ(ev.bind_ipi(0), static_cast<i32>(i));
  EXPECT_EQ(ev.bind_ipi(0), -kENOSPC);
  EXPECT_EQ(ev.alloc_unbound(xen::kDomidSelf, xen::kDomidSelf), -kENOSPC);
  EXPECT_EQ(ev.close(700), 0);
  EXPECT_EQ(ev.bind_ipi(0), 700);  // the lowest free port again
}

TEST_F(EventChannelsTest, APortPastTheAllocatedBucketsIsEinvalAndAFreeOneInThemIsEinvalToSend) {
  EXPECT_EQ(ev.send(EventChannels::kPortsPerBucket), -kEINVAL);  // only bucket 0 exists
  EXPECT_EQ(ev.send(5), -kEINVAL);                               // in it, but free
  EXPECT_EQ(ev.send(EventChannels::kPorts + 3), -kEINVAL);
  EXPECT_EQ(ev.unmask(EventChannels::kPortsPerBucket), -kEINVAL);
  xen::EvtchnStatus st{};
  EXPECT_EQ(ev.status(xen::kDomidSelf, EventChannels::kPortsPerBucket, st), -kEINVAL);
  EXPECT_EQ(ev.status(xen::kDomidSelf, 5, st), 0);
  EXPECT_EQ(st.status, xen::evtchnstat::kClosed);
}

TEST_F(EventChannelsTest, AVirqBindsOnceAndOnlyGlobalOnesMoveOffVcpuZero) {
  const i32 t = ev.bind_virq(xen::virq::kTimer, 0);
  EXPECT_GT(t, 0);
  EXPECT_EQ(ev.bind_virq(xen::virq::kTimer, 0), -kEEXIST);
  EXPECT_EQ(ev.bind_virq(xen::virq::kCount, 0), -kEINVAL);
  EXPECT_EQ(ev.bind_virq(xen::virq::kConsole, 1), -kEINVAL);  // global: vCPU 0 only
  EXPECT_EQ(ev.bind_virq(xen::virq::kDebug, 1), -kENOENT);    // per-vCPU, but there is no vCPU 1
  EXPECT_EQ(ev.bind_virq(xen::virq::kDebug, 40), -kENOENT);
  const i32 c = ev.bind_virq(xen::virq::kConsole, 0);
  EXPECT_GT(c, 0);
  EXPECT_EQ(ev.bind_vcpu(static_cast<u32>(t), 0), -kEINVAL);  // a per-vCPU VIRQ cannot move
  EXPECT_EQ(ev.bind_vcpu(static_cast<u32>(c), 0), 0);
  EXPECT_EQ(ev.bind_vcpu(static_cast<u32>(c), 1), -kENOENT);
  xen::EvtchnStatus st{};
  ASSERT_EQ(ev.status(xen::kDomidSelf, static_cast<u32>(c), st), 0);
  EXPECT_EQ(st.status, xen::evtchnstat::kVirq);
  EXPECT_EQ(st.u.virq, xen::virq::kConsole);
  ASSERT_EQ(ev.close(static_cast<u32>(t)), 0);
  EXPECT_EQ(ev.bind_virq(xen::virq::kTimer, 0), t);  // unbound by the close, the port reused
}

TEST_F(EventChannelsTest, ARaisedVirqSetsPendingSelectorAndUpcallPendingAndKicksOnce) {
  const u32 p = static_cast<u32>(ev.bind_virq(xen::virq::kTimer, 0));
  ev.raise_virq(xen::virq::kTimer);
  EXPECT_TRUE(pending(p));
  EXPECT_EQ(pending_sel(), 1u << (p / 32));
  EXPECT_EQ(upcall_pending(), 1);
  EXPECT_EQ(kicks, 1u);
  ev.raise_virq(xen::virq::kTimer);  // already pending: nothing new
  EXPECT_EQ(kicks, 1u);
  ev.raise_virq(xen::virq::kDebug);  // not bound: lost
  EXPECT_EQ(ev.virqs_lost(), 1u);
  EXPECT_EQ(ev.virq_counters(xen::virq::kTimer).raised, 2u);
}

TEST_F(EventChannelsTest, AnEventRaisedOnAMaskedPortOnlySetsItsPendingBitUntilUnmask) {
  const u32 p = static_cast<u32>(ev.bind_ipi(0));
  set_mask_bit(p);
  ASSERT_EQ(ev.send(p), 0);
  EXPECT_TRUE(pending(p));
  EXPECT_EQ(pending_sel(), 0u);
  EXPECT_EQ(upcall_pending(), 0);
  EXPECT_EQ(kicks, 0u);
  EXPECT_EQ(ev.counters(p).held_port_masked, 1u);
  ASSERT_EQ(ev.unmask(p), 0);  // the edge lost while masked is made up
  EXPECT_EQ(pending_sel(), 1u << (p / 32));
  EXPECT_EQ(upcall_pending(), 1);
  EXPECT_EQ(kicks, 1u);
  EXPECT_FALSE(ev.port_masked(p));
  ASSERT_EQ(ev.unmask(p), 0);  // unmasking again changes nothing
  EXPECT_EQ(kicks, 1u);
}

TEST_F(EventChannelsTest, ASelectorBitAlreadySetMeansNoNewUpcallPending) {
  const u32 a = static_cast<u32>(ev.bind_ipi(0)), b = static_cast<u32>(ev.bind_ipi(0));
  ASSERT_EQ(ev.send(a), 0);
  ram.write_bytes(kShared, "\0", 1);  // the guest cleared upcall_pending but not yet the selector
  ASSERT_EQ(ev.send(b), 0);
  EXPECT_TRUE(pending(b));
  EXPECT_EQ(upcall_pending(), 0);  // Xen's evtchn_set_pending: the selector's test_and_set was already 1
  EXPECT_EQ(kicks, 1u);
}

TEST_F(EventChannelsTest, UpcallMaskHoldsEventsWithoutLosingThem) {
  set_upcall_mask(1);
  const u32 p = static_cast<u32>(ev.bind_ipi(0));
  ASSERT_EQ(ev.send(p), 0);
  EXPECT_EQ(upcall_pending(), 1);  // pending is set; delivery is what the mask holds off
  EXPECT_TRUE(ev.upcall_masked());
  EXPECT_EQ(ev.counters(p).held_upcall_masked, 1u);
  ev.note_upcall();
  ev.note_upcall();  // a second upcall while still pending counts nothing new
  EXPECT_EQ(ev.counters(p).delivered, 1u);
}

TEST_F(EventChannelsTest, SendingOnAnUnboundPortDropsTheEventSilently) {
  const u32 p = static_cast<u32>(ev.alloc_unbound(xen::kDomidSelf, 0));
  EXPECT_EQ(ev.send(p), 0);
  EXPECT_FALSE(pending(p));
  xen::EvtchnStatus st{};
  ASSERT_EQ(ev.status(xen::kDomidSelf, p, st), 0);
  EXPECT_EQ(st.status, xen::evtchnstat::kUnbound);
  EXPECT_EQ(st.u.unbound.dom, 0);
}

TEST_F(EventChannelsTest, AllocatingInAnotherDomainsTableIsEperm) {
  EXPECT_EQ(ev.alloc_unbound(2, xen::kDomidSelf), -kEPERM);
  EXPECT_EQ(ev.alloc_unbound(1, xen::kDomidSelf), -kEPERM);  // Xen 3.x: only DOMID_SELF, unprivileged
  xen::EvtchnStatus st{};
  EXPECT_EQ(ev.status(2, 1, st), -kEPERM);
  EXPECT_EQ(ev.reset(2), -kEPERM);
}

TEST_F(EventChannelsTest, ALoopbackInterdomainChannelConnectsBothEndsAndRaisesTheNewPort) {
  const u32 a = static_cast<u32>(ev.alloc_unbound(xen::kDomidSelf, xen::kDomidSelf));
  EXPECT_EQ(ev.bind_interdomain(7, a), -kESRCH);
  const i32 b = ev.bind_interdomain(xen::kDomidSelf, a);
  ASSERT_GT(b, 0);
  EXPECT_TRUE(pending(static_cast<u32>(b)));  // notifications dropped on the unbound end are made up
  EXPECT_EQ(ev.bind_interdomain(xen::kDomidSelf, a), -kEINVAL);  // no longer unbound
  xen::EvtchnStatus st{};
  ASSERT_EQ(ev.status(xen::kDomidSelf, a, st), 0);
  EXPECT_EQ(st.status, xen::evtchnstat::kInterdomain);
  EXPECT_EQ(st.u.interdomain.dom, 1);
  EXPECT_EQ(st.u.interdomain.port, static_cast<u32>(b));
  ASSERT_EQ(ev.send(a), 0);  // a's send raises b ... (already pending)
  ASSERT_EQ(ev.send(static_cast<u32>(b)), 0);  // ... and b's raises a
  EXPECT_TRUE(pending(a));
  ASSERT_EQ(ev.close(static_cast<u32>(b)), 0);
  EXPECT_FALSE(pending(static_cast<u32>(b)));  // cleared so a re-bind sees no stale event
  ASSERT_EQ(ev.status(xen::kDomidSelf, a, st), 0);
  EXPECT_EQ(st.status, xen::evtchnstat::kUnbound);  // the far end waits for this domain again
  EXPECT_EQ(ev.close(static_cast<u32>(b)), -kEINVAL);
}

TEST_F(EventChannelsTest, AnUnboundPortForAnotherDomainCannotBeBoundHere) {
  const u32 a = static_cast<u32>(ev.alloc_unbound(xen::kDomidSelf, 0));  // for domain 0's back end
  EXPECT_EQ(ev.bind_interdomain(xen::kDomidSelf, a), -kEINVAL);
  EXPECT_EQ(ev.bind_interdomain(xen::kDomidSelf, 99), -kEINVAL);
}

TEST_F(EventChannelsTest, AHostServiceIsNotifiedByTheGuestsSendAndRaisesThePortBack) {
  u32 notified = 0;
  const i32 p = ev.connect_host(HostEndpoint{[](void* n) { ++*static_cast<u32*>(n); }, &notified});
  ASSERT_GT(p, 0);
  xen::EvtchnStatus st{};
  ASSERT_EQ(ev.status(xen::kDomidSelf, static_cast<u32>(p), st), 0);
  EXPECT_EQ(st.status, xen::evtchnstat::kInterdomain);
  EXPECT_EQ(st.u.interdomain.dom, EventChannels::kBackendDomain);
  ASSERT_EQ(ev.send(static_cast<u32>(p)), 0);
  EXPECT_EQ(notified, 1u);
  EXPECT_FALSE(pending(static_cast<u32>(p)));
  ev.notify_guest(static_cast<u32>(p));
  EXPECT_TRUE(pending(static_cast<u32>(p)));
  EXPECT_EQ(ev.counters(static_cast<u32>(p)).sent, 1u);
  ASSERT_EQ(ev.close(static_cast<u32>(p)), 0);
  ev.notify_guest(static_cast<u32>(p));  // closed by the guest: the service's notification goes nowhere
  EXPECT_FALSE(pending(static_cast<u32>(p)));
}

TEST_F(EventChannelsTest, ResetClosesEveryPort) {
  ev.bind_ipi(0);
  ev.bind_virq(xen::virq::kTimer, 0);
  ASSERT_EQ(ev.reset(xen::kDomidSelf), 0);
  EXPECT_EQ(ev.state(1), PortState::Free);
  EXPECT_EQ(ev.state(2), PortState::Free);
  EXPECT_EQ(ev.virq_port(xen::virq::kTimer), 0);
}

}  // namespace
}  // namespace ring1::hv
