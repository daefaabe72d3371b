// The store ring against a hostile or clumsy guest: requests split anywhere, replies larger than the
// ring, a ring that is never read, wild indexes, oversized lengths, request storms. The store never
// reads outside the page, never queues without bound, and does bounded work per notification.
#include <gtest/gtest.h>

#include "control/xenstore/domain_tree.h"
#include "store_ring.h"

namespace ring1::xs {
namespace {
using testing::arg;
using testing::StoreRing;
using Iface = xenstore_domain_interface;

struct Ring : ::testing::Test {
  PhysicalMemory ram{64 * 1024};
  Xenstored d{ram};
  StoreRing g{ram, d, 1, 0x5000};
  void SetUp() override {
    DomainEntries e;
    e.domid = 1;
    e.name = "g";
    ASSERT_EQ(write_domain_entries(d.dom0(), e), 0);
  }
  std::string request(u32 type, u32 id, const std::string& payload) {
    xsd_sockmsg h{type, id, 0, u32(payload.size())};
    return std::string(reinterpret_cast<const char*>(&h), sizeof(h)) + payload;
  }
};

TEST_F(Ring, TheServerAdvertisesTheErrorFieldAtIntroduction) {
  EXPECT_EQ(g.field(offsetof(Iface, server_features)), u32(XENSTORE_SERVER_FEATURE_ERROR));
}

TEST_F(Ring, ARequestSplitAcrossKicksIsAnsweredOnceComplete) {
  const std::string bytes = request(XS_READ, 5, arg("domid"));
  g.push(bytes.substr(0, 7));
  d.kick(1);
  g.push(bytes.substr(7, 13));
  d.kick(1);
  EXPECT_EQ(g.available(), 0u);
  EXPECT_EQ(g.field(offsetof(Iface, req_cons)), 20u);  // consumed as it came
  g.push(bytes.substr(20));
  d.kick(1);
  const Message r = g.receive();
  EXPECT_EQ(r.req_id, 5u);
  EXPECT_EQ(r.payload, "1");
}

TEST_F(Ring, RequestsWrappingTheRingEndAreReadWhole) {
  for (int i = 0; i < 60; ++i) EXPECT_EQ(g.call(XS_READ, arg("domid")).payload, "1");  // 22 bytes each
  EXPECT_GT(g.req_prod, 1024u);
}

TEST_F(Ring, AReplyLargerThanTheRingGoesOutInPiecesAsTheGuestReads) {
  ASSERT_EQ(d.dom0().write("/local/domain/1/big", std::string(3000, 'b')), 0);
  g.send(XS_READ, arg("big"));
  EXPECT_EQ(g.available(), 1024u);  // a full ring
  std::string got;
  xsd_sockmsg h;
  for (std::size_t i = 0; i < sizeof(h); ++i) {
    char c;
    ram.read_bytes(g.page + offsetof(Iface, rsp) + i, &c, 1);
    reinterpret_cast<char*>(&h)[i] = c;
  }
  EXPECT_EQ(h.len, 3000u);
  u32 total = 0;
  while (total < 3016) {
    const u32 n = g.available();
    ASSERT_GT(n, 0u);
    total += n;
    g.rsp_cons += n;
    g.set_field(offsetof(Iface, rsp_cons), g.rsp_cons);
    d.kick(1);  // the guest made room and says so
  }
  EXPECT_EQ(total, 3016u);
}

TEST_F(Ring, NoFurtherRequestIsReadWhileAReplyWaitsForRoom) {
  // A reply of 1116 bytes: the ring takes 1024 of it, the rest waits for the guest to read.
  ASSERT_EQ(d.dom0().write("/local/domain/1/big", std::string(1100, 'b')), 0);
  g.send(XS_READ, arg("big"));
  g.push(request(XS_READ, 50, arg("domid")));
  d.kick(1);
  EXPECT_EQ(g.field(offsetof(Iface, req_cons)), 20u);  // the second request waits on the ring
}

TEST_F(Ring, WildRequestIndexesBreakTheConnectionAndSayWhy) {
  g.set_field(offsetof(Iface, req_prod), 5000);  // more outstanding than the ring holds
  d.kick(1);
  EXPECT_EQ(g.field(offsetof(Iface, req_cons)), 0u);
  EXPECT_EQ(g.field(offsetof(Iface, error)), u32(XENSTORE_ERROR_RINGIDX));
  EXPECT_EQ(d.stats().broken_rings, 1u);
  EXPECT_FALSE(d.introduced(1));
  // and it is ignored from then on
  g.set_field(offsetof(Iface, req_prod), 0);
  g.req_prod = 0;
  g.send(XS_READ, arg("domid"));
  EXPECT_EQ(g.available(), 0u);
}

TEST_F(Ring, WildResponseIndexesBreakTheConnection) {
  g.set_field(offsetof(Iface, rsp_cons), 0x80000000u);
  g.send(XS_READ, arg("domid"));
  EXPECT_EQ(g.field(offsetof(Iface, error)), u32(XENSTORE_ERROR_RINGIDX));
  EXPECT_EQ(g.field(offsetof(Iface, rsp_prod)), 0u);
}

TEST_F(Ring, AMessageLongerThanThePayloadMaximumBreaksTheConnection) {
  xsd_sockmsg h{XS_WRITE, 1, 0, XENSTORE_PAYLOAD_MAX + 1};
  g.push(std::string(reinterpret_cast<const char*>(&h), sizeof(h)));
  d.kick(1);
  EXPECT_EQ(g.field(offsetof(Iface, error)), u32(XENSTORE_ERROR_PROTO));
  EXPECT_EQ(g.available(), 0u);
}

TEST_F(Ring, UnknownTypesAreAnsweredAndTheConnectionGoesOn) {
  EXPECT_EQ(g.call(0xFFFF, "").payload, std::string("ENOSYS\0", 7));
  EXPECT_EQ(g.call(XS_READ, arg("domid")).payload, "1");
}

TEST_F(Ring, ARequestStormIsServedAtMost64RequestsPerKick) {
  // 64 header-only requests fill the ring exactly; each gets an ENOSYS reply of 23 bytes, so the reply
  // ring fills after 44 and the rest wait for the guest to read.
  std::string storm;
  for (u32 i = 0; i < 64; ++i) storm += request(0xFFFF, i, "");
  g.push(storm);
  d.kick(1);
  EXPECT_LE(d.stats().requests[kMsgTypes], 64u);
  EXPECT_EQ(g.available(), 44u * 23 + 12);  // the 45th reply partly written
  u32 replies = 0;
  while (g.available() >= 23) {
    EXPECT_EQ(g.receive().req_id, replies++);
    d.kick(1);
  }
  EXPECT_EQ(replies, 64u);
}

TEST_F(Ring, WatchEventsForAGuestThatNeverReadsAreBoundedAndCounted) {
  g.call(XS_WATCH, arg("spam") + arg("t"));
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(d.dom0().write("/local/domain/1/spam", std::to_string(i)), 0);
  EXPECT_GT(d.stats().watch_events_dropped, 0u);
  EXPECT_LE(d.ring_of(1)->queued_bytes(), RingTransport::kEventBacklogBytes + 64);
}

TEST_F(Ring, EveryReplyAndReadNotifiesTheGuest) {
  const u32 before = g.notifications;
  g.call(XS_READ, arg("domid"));
  EXPECT_EQ(g.notifications, before + 1);
}

}  // namespace
}  // namespace ring1::xs
