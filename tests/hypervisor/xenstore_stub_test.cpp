// The minimal store at the far end of a domain's xenstore ring (xen/include/public/io/xs_wire.h): every
// complete request gets a well-formed XS_ERROR reply carrying its req_id and tx_id, in ring order, as far
// as the reply ring has room.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstring>
#include <string>

#include "hypervisor/xen_abi.h"
#include "hypervisor/xenstore_stub.h"

namespace ring1::hv {
namespace {

using Iface = xen::XenstoreDomainInterface;
constexpr u32 kPage = 0x5000;

struct StoreRing {
  PhysicalMemory ram{64 * 1024};
  XenstoreStub store{ram};
  u32 req_prod = 0, rsp_cons = 0;

  StoreRing() { store.attach(kPage); }

  u32 field(std::size_t off) {
    u32 v;
    ram.read_bytes(kPage + u32(off), &v, 4);
    return v;
  }
  void set_field(std::size_t off, u32 v) { ram.write_bytes(kPage + u32(off), &v, 4); }
  // The guest writes a message (header + payload) into the request ring, optionally only its first `upto`
  // bytes, and publishes req_prod.
  void send(u32 type, u32 req_id, u32 tx_id, const std::string& payload, u32 upto = ~0u) {
    xen::XsdSockmsg h{type, req_id, tx_id, u32(payload.size())};
    std::string bytes(reinterpret_cast<const char*>(&h), sizeof(h));
    bytes += payload;
    push(bytes.substr(0, std::min<std::size_t>(upto, bytes.size())));
  }
  void push(const std::string& bytes) {
    for (char c : bytes) ram.write_bytes(kPage + offsetof(Iface, req) + (req_prod++ & 1023), &c, 1);
    set_field(offsetof(Iface, req_prod), req_prod);
  }
  // The guest reads one reply: header and payload.
  std::pair<xen::XsdSockmsg, std::string> receive() {
    auto byte = [&] {
      char c;
      ram.read_bytes(kPage + offsetof(Iface, rsp) + (rsp_cons++ & 1023), &c, 1);
      return c;
    };
    xen::XsdSockmsg h;
    char* p = reinterpret_cast<char*>(&h);
    for (std::size_t i = 0; i < sizeof(h); ++i) p[i] = byte();
    std::string payload;
    for (u32 i = 0; i < h.len; ++i) payload.push_back(byte());
    set_field(offsetof(Iface, rsp_cons), rsp_cons);
    return {h, payload};
  }
};

TEST(XenstoreStub, EveryRequestGetsAnErrorReplyWithItsRequestAndTransactionIds) {
  StoreRing r;
  r.send(2, 7, 0, std::string("device/vbd\0", 11));  // XS_READ
  r.send(6, 8, 0, std::string("\0", 1));             // XS_TRANSACTION_START
  EXPECT_TRUE(r.store.service());
  EXPECT_EQ(r.field(offsetof(Iface, req_cons)), r.req_prod);
  auto [h1, p1] = r.receive();
  EXPECT_EQ(h1.type, xen::kXsError);
  EXPECT_EQ(h1.req_id, 7u);
  EXPECT_EQ(h1.tx_id, 0u);
  EXPECT_EQ(p1, std::string("ENOSYS\0", 7));
  auto [h2, p2] = r.receive();
  EXPECT_EQ(h2.req_id, 8u);
  EXPECT_EQ(r.field(offsetof(Iface, rsp_prod)), r.rsp_cons);
  EXPECT_EQ(r.store.stats().requests, 2u);
  EXPECT_EQ(r.store.stats().replies, 2u);
}

TEST(XenstoreStub, APartlyWrittenRequestIsAnsweredOnlyOnceItIsComplete) {
  StoreRing r;
  r.send(1, 3, 5, std::string("a/b\0", 4), 18);  // the header and two payload bytes
  r.store.service();
  EXPECT_EQ(r.store.stats().replies, 0u);
  EXPECT_EQ(r.field(offsetof(Iface, rsp_prod)), 0u);
  r.push(std::string("b\0", 2));
  r.store.service();
  ASSERT_EQ(r.store.stats().replies, 1u);
  auto [h, p] = r.receive();
  EXPECT_EQ(h.req_id, 3u);
  EXPECT_EQ(h.tx_id, 5u);
}

TEST(XenstoreStub, RepliesWaitWhileTheReplyRingIsFullAndFlowWhenTheGuestConsumes) {
  StoreRing r;
  // 23 bytes per reply: 44 fill 1012 of the ring's 1024 bytes, the 45th waits.
  for (u32 i = 0; i < 45; ++i) r.send(2, i, 0, std::string("x\0", 2));
  r.store.service();
  EXPECT_EQ(r.store.stats().replies, 44u);
  EXPECT_EQ(r.field(offsetof(Iface, rsp_prod)), 44u * 23);
  for (u32 i = 0; i < 44; ++i) EXPECT_EQ(r.receive().first.req_id, i);
  EXPECT_TRUE(r.store.service());
  EXPECT_EQ(r.store.stats().replies, 45u);
  EXPECT_EQ(r.receive().first.req_id, 44u);
}

TEST(XenstoreStub, AMessageLongerThanThePayloadMaximumDropsTheConnectionAsXenstoredDoes) {
  StoreRing r;
  xen::XsdSockmsg h{2, 1, 0, xen::kXenstorePayloadMax + 1};
  r.push(std::string(reinterpret_cast<const char*>(&h), sizeof(h)));
  r.store.service();
  EXPECT_TRUE(r.store.dropped());
  EXPECT_EQ(r.store.stats().protocol_errors, 1u);
  r.send(2, 2, 0, std::string("x\0", 2));
  EXPECT_FALSE(r.store.service());
  EXPECT_EQ(r.store.stats().replies, 0u);
}

TEST(XenstoreStub, AnInconsistentRingIsLeftAlone) {
  StoreRing r;
  r.set_field(offsetof(Iface, req_prod), 5000);  // more outstanding than the ring holds
  EXPECT_FALSE(r.store.service());
  EXPECT_EQ(r.field(offsetof(Iface, req_cons)), 0u);
}

}  // namespace
}  // namespace ring1::hv
