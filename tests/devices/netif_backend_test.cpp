// The network back end and the virtual switch against front ends written in the test with the guest kit's
// ring header: three vifs (domain 1's, and two of domain 2's) on one switch, their rings and buffers
// granted to the control domain. Forwarding, the pcap file, the costs, and every hostile input have a test.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "devices/netif_backend.h"
#include "hypervisor/backend_link.h"
#include "hypervisor/hv_fixture.h"

namespace ring1 {
namespace {

using hv::DomainId;
using hv::Mfn;
using hv::machine_addr;

const CostProfile& p3 = CostProfile::pentium3();

// Grant references each vif's front end uses: its two rings, then TX buffer pages, then RX buffer pages.
constexpr u32 kTxRingRef = 0, kRxRingRef = 1, kTxBufRef = 2, kRxBufRef = 6, kPages = 4;

struct Vif {
  u16 dom;
  u32 first_ref;  // this vif's references start here in its domain's table
  u32 first_frame;
  ring1_front tx{}, rx{};
  std::unique_ptr<NetifBackend> back;
  u32 port;
  Mfn frame(u32 i) const { return Mfn{first_frame + i}; }  // 0 tx ring, 1 rx ring, 2.. tx bufs, 6.. rx bufs
  u32 ref(u32 i) const { return first_ref + i; }
};

struct NetFixture : hv::test::FrameTableFixture {
  std::vector<Mfn> dom1_grants{Mfn{0x4F0}}, dom2_grants{Mfn{0x5F0}};
  hv::GrantAccess grants{frames, &NetFixture::frames_of, this};
  std::vector<u32> notified;
  Cycles charged = 0;
  hv::BackendLink link{&grants, [](void* c, u32 port) { static_cast<NetFixture*>(c)->notified.push_back(port); },
                       [](void* c, u64 n) { static_cast<NetFixture*>(c)->charged += n; }, this};
  VirtualSwitch sw;
  Vif vifs[3] = {{1, 0, 0x200, {}, {}, nullptr, 11}, {2, 0, 0x520, {}, {}, nullptr, 21}, {2, 16, 0x540, {}, {}, nullptr, 22}};
  std::string pcap_path = ::testing::TempDir() + "ring1-netif-" + std::to_string(::getpid()) + "-" +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".pcap";

  static const std::vector<Mfn>* frames_of(void* self, DomainId d) {
    auto* f = static_cast<NetFixture*>(self);
    return d == DomainId{1} ? &f->dom1_grants : d == DomainId{2} ? &f->dom2_grants : nullptr;
  }
  void grant(u16 dom, u32 ref, u16 flags, Mfn frame, u16 to = 0) {
    const xen::GrantEntryV1 e{flags, to, frame.value};
    const Mfn table = dom == 1 ? dom1_grants[0] : dom2_grants[0];
    ram.write_bytes(machine_addr(table, ref * 8).value, &e, sizeof e);
  }
  void SetUp() override {
    std::string err;
    ASSERT_TRUE(sw.pcap().open(pcap_path, err)) << err;
    sw.set_clock([](void*) -> u64 { return 1500000123456ull; }, nullptr);  // 1500.000123456 s
    for (Vif& v : vifs) {
      for (u32 i = 0; i < kRxBufRef + kPages; ++i) grant(v.dom, v.ref(i), xen::gtf::kPermitAccess, v.frame(i));
      auto* txs = reinterpret_cast<ring1_sring*>(ram.host(machine_addr(v.frame(0)).value));
      auto* rxs = reinterpret_cast<ring1_sring*>(ram.host(machine_addr(v.frame(1)).value));
      ring1_sring_init(txs);
      ring1_sring_init(rxs);
      ring1_front_init(&v.tx, txs, netif::kTxSlotBytes);
      ring1_front_init(&v.rx, rxs, netif::kRxSlotBytes);
      v.back = std::make_unique<NetifBackend>(ram, sw, link.host(), p3);
      ASSERT_TRUE(v.back->connect(v.dom, v.ref(kTxRingRef), v.ref(kRxRingRef), v.port));
    }
  }
  void TearDown() override { std::remove(pcap_path.c_str()); }

  // Posts receive buffer `i` of a vif (request id 100 + i).
  void post_rx(Vif& v, u32 i) {
    const netif::RxRequest r{u16(100 + i), 0, v.ref(kRxBufRef + i)};
    std::memcpy(ring1_front_next_request(&v.rx), &r, sizeof r);
    ++v.rx.req_prod_pvt;
    ring1_front_push(&v.rx);
  }
  // Queues a TX request (not pushed).
  void queue_tx(Vif& v, const netif::TxRequest& r) {
    std::memcpy(ring1_front_next_request(&v.tx), &r, sizeof r);
    ++v.tx.req_prod_pvt;
  }
  // Writes an Ethernet frame into TX buffer `i` at `offset` and sends it as one request (id = i).
  void send(Vif& v, u32 i, const std::vector<u8>& frame, u16 offset = 0) {
    ram.write_bytes(machine_addr(v.frame(kTxBufRef + i)).value + offset, frame.data(), u32(frame.size()));
    queue_tx(v, {v.ref(kTxBufRef + i), offset, 0, u16(i), u16(frame.size())});
    ring1_front_push(&v.tx);
    v.back->kick();
  }
  netif::TxResponse tx_rsp(Vif& v, u32 idx) {
    netif::TxResponse r;
    std::memcpy(&r, ring1_front_response(&v.tx, idx), sizeof r);
    return r;
  }
  netif::RxResponse rx_rsp(Vif& v, u32 idx) {
    netif::RxResponse r;
    std::memcpy(&r, ring1_front_response(&v.rx, idx), sizeof r);
    return r;
  }
  std::vector<u8> rx_buf(Vif& v, u32 i, u32 len) {
    std::vector<u8> b(len);
    ram.read_bytes(machine_addr(v.frame(kRxBufRef + i)).value, b.data(), len);
    return b;
  }
  std::vector<u8> pcap_bytes() {
    sw.pcap().close();
    std::ifstream f(pcap_path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), {}};
  }
};

const u8 kMacA[6] = {0x00, 0x16, 0x3e, 0, 0, 1}, kMacB[6] = {0x00, 0x16, 0x3e, 0, 0, 2}, kBcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

std::vector<u8> frame(const u8* dst, const u8* src, u32 payload, u8 fill) {
  std::vector<u8> f(dst, dst + 6);
  f.insert(f.end(), src, src + 6);
  f.push_back(0x88);
  f.push_back(0xb5);  // IEEE local experimental EtherType
  f.insert(f.end(), payload, fill);
  return f;
}

u32 le32(const std::vector<u8>& b, size_t at) { return b[at] | b[at + 1] << 8 | b[at + 2] << 16 | u32(b[at + 3]) << 24; }

TEST_F(NetFixture, ABroadcastFloodsToEveryOtherVifAndTheReplyGoesBackToTheLearnedPortOnly) {
  for (Vif& v : vifs) post_rx(v, 0);
  const std::vector<u8> hello = frame(kBcast, kMacA, 46, 0x11);
  send(vifs[0], 0, hello);
  EXPECT_EQ(tx_rsp(vifs[0], 0).status, netif::kRspOkay);
  EXPECT_EQ(tx_rsp(vifs[0], 0).id, 0u);
  for (u32 i : {1u, 2u}) {
    ASSERT_EQ(vifs[i].rx.sring->rsp_prod, 1u);
    EXPECT_EQ(rx_rsp(vifs[i], 0).id, 100u);
    EXPECT_EQ(rx_rsp(vifs[i], 0).status, i16(hello.size()));
    EXPECT_EQ(rx_buf(vifs[i], 0, u32(hello.size())), hello);
  }
  EXPECT_EQ(vifs[0].rx.sring->rsp_prod, 0u);  // never back out of the port it came in by
  const std::vector<u8> reply = frame(kMacA, kMacB, 100, 0x22);
  send(vifs[1], 0, reply);
  ASSERT_EQ(vifs[0].rx.sring->rsp_prod, 1u);  // into the buffer vif 0 posted first
  EXPECT_EQ(rx_rsp(vifs[0], 0).id, 100u);
  EXPECT_EQ(rx_buf(vifs[0], 0, u32(reply.size())), reply);
  EXPECT_EQ(vifs[2].rx.sring->rsp_prod, 1u);  // vif 2 saw the broadcast only
  EXPECT_EQ(sw.stats().flooded, 1u);
  EXPECT_EQ(sw.stats().unicast, 1u);
  EXPECT_EQ(sw.port_of(kMacB), int(vifs[1].back->switch_port()));
}

TEST_F(NetFixture, EachPacketCostsItsDispatchGrantAndBytesOnBothSides) {
  post_rx(vifs[1], 0);
  post_rx(vifs[2], 0);
  const std::vector<u8> f = frame(kBcast, kMacA, 50, 1);  // 64 bytes
  send(vifs[0], 0, f);
  const u64 one = p3.events.hv_request + p3.events.hv_grant + 16 * p3.cost(CostClass::StringIter);  // 168
  EXPECT_EQ(one, 168u);
  EXPECT_EQ(charged, 3 * one);  // one TX slot, two deliveries
  EXPECT_EQ(vifs[0].back->stats().cycles, one);
}

TEST_F(NetFixture, EveryFrameIsWrittenToThePcapFileInLibpcapFormat) {
  const std::vector<u8> a = frame(kBcast, kMacA, 46, 0x11), b = frame(kMacA, kMacB, 200, 0x22);
  send(vifs[0], 0, a);
  send(vifs[1], 0, b);  // goes nowhere (no buffers posted) but was carried: recorded
  const std::vector<u8> p = pcap_bytes();
  ASSERT_EQ(p.size(), 24 + 16 + a.size() + 16 + b.size());
  EXPECT_EQ(le32(p, 0), 0xa1b2c3d4u);
  EXPECT_EQ(p[4] | p[5] << 8, 2);  // version 2.4
  EXPECT_EQ(p[6] | p[7] << 8, 4);
  EXPECT_EQ(le32(p, 16), 65535u);  // snaplen
  EXPECT_EQ(le32(p, 20), 1u);      // LINKTYPE_ETHERNET
  EXPECT_EQ(le32(p, 24), 1500u);   // seconds
  EXPECT_EQ(le32(p, 28), 123u);    // microseconds
  EXPECT_EQ(le32(p, 32), a.size());
  EXPECT_EQ(le32(p, 36), a.size());
  EXPECT_TRUE(std::equal(a.begin(), a.end(), p.begin() + 40));
  EXPECT_EQ(le32(p, 40 + a.size() + 8), b.size());
  EXPECT_TRUE(std::equal(b.begin(), b.end(), p.begin() + 40 + a.size() + 16));
  EXPECT_EQ(vifs[0].back->stats().rx_dropped, 1u);  // b was for A, who had posted nothing
}

// tcpdump reads the file back (when it is installed; the test above checks the bytes either way).
TEST_F(NetFixture, TcpdumpReadsThePcapFileFrameByFrame) {
  if (std::system("command -v tcpdump >/dev/null 2>&1") != 0) GTEST_SKIP() << "tcpdump is not installed";
  send(vifs[0], 0, frame(kBcast, kMacA, 46, 0x11));
  send(vifs[1], 0, frame(kMacA, kMacB, 200, 0x22));
  sw.pcap().close();
  const std::string out = ::testing::TempDir() + "ring1-netif-tcpdump.txt";
  ASSERT_EQ(std::system(("tcpdump -tt -nn -e -r " + pcap_path + " >" + out + " 2>/dev/null").c_str()), 0);
  std::ifstream f(out);
  const std::string text{std::istreambuf_iterator<char>(f), {}};
  std::remove(out.c_str());
  EXPECT_NE(text.find("1500.000123 00:16:3e:00:00:01 > ff:ff:ff:ff:ff:ff, ethertype Unknown (0x88b5), length 60"),
            std::string::npos) << text;
  EXPECT_NE(text.find("00:16:3e:00:00:02 > 00:16:3e:00:00:01, ethertype Unknown (0x88b5), length 214"), std::string::npos)
      << text;
}

TEST_F(NetFixture, AFrameForAVifWithNoBufferPostedIsDropped) {
  send(vifs[0], 0, frame(kBcast, kMacA, 46, 0));
  EXPECT_EQ(vifs[1].back->stats().rx_dropped, 1u);
  EXPECT_EQ(vifs[2].back->stats().rx_dropped, 1u);
  EXPECT_EQ(vifs[1].rx.sring->rsp_prod, 0u);
}

TEST_F(NetFixture, AChainedPacketIsReassembledFromItsSlots) {
  post_rx(vifs[1], 0);
  post_rx(vifs[2], 0);
  const std::vector<u8> f = frame(kBcast, kMacA, 186, 0x33);  // 200 bytes: 120 in one page, 80 in another
  Vif& v = vifs[0];
  ram.write_bytes(machine_addr(v.frame(kTxBufRef)).value + 8, f.data(), 120);
  ram.write_bytes(machine_addr(v.frame(kTxBufRef + 1)).value, f.data() + 120, 80);
  queue_tx(v, {v.ref(kTxBufRef), 8, netif::kTxfMoreData, 1, 200});
  queue_tx(v, {v.ref(kTxBufRef + 1), 0, 0, 2, 80});
  ring1_front_push(&v.tx);
  v.back->kick();
  EXPECT_EQ(tx_rsp(v, 0).status, netif::kRspOkay);
  EXPECT_EQ(tx_rsp(v, 1).status, netif::kRspOkay);
  EXPECT_EQ(rx_buf(vifs[1], 0, 200), f);
  EXPECT_EQ(v.back->stats().tx_packets, 1u);
}

TEST_F(NetFixture, MalformedTransmitRequestsAreAnsweredErrorAndReachNoOne) {
  Vif& v = vifs[0];
  post_rx(vifs[1], 0);
  grant(1, v.ref(kTxBufRef + 3), xen::gtf::kPermitAccess, v.frame(kTxBufRef + 3), 7);  // granted to domain 7
  queue_tx(v, {v.ref(kTxBufRef), 0, 0, 1, 13});                        // shorter than an Ethernet header
  queue_tx(v, {v.ref(kTxBufRef), 4000, 0, 2, 200});                    // crosses its page
  queue_tx(v, {v.ref(kTxBufRef + 3), 0, 0, 3, 60});                    // not granted to the back end
  queue_tx(v, {999, 0, 0, 4, 60});                                     // past the grant table
  queue_tx(v, {v.ref(kTxBufRef), 0, netif::kTxfExtraInfo, 5, 60});     // extra info: no GSO offered
  queue_tx(v, {v.ref(kTxBufRef), 0, netif::kTxfMoreData, 6, 60});      // a chain whose later slot is bigger
  queue_tx(v, {v.ref(kTxBufRef + 1), 0, 0, 7, 70});
  for (u32 i = 0; i < 20; ++i) queue_tx(v, {v.ref(kTxBufRef), 0, u16(i < 19 ? netif::kTxfMoreData : 0), u16(10 + i), 60});
  ring1_front_push(&v.tx);
  v.back->kick();
  ASSERT_EQ(v.tx.sring->rsp_prod, 27u);
  for (u32 i = 0; i < 27; ++i) EXPECT_EQ(tx_rsp(v, i).status, netif::kRspError) << "slot " << i;
  EXPECT_EQ(sw.stats().frames, 0u);
  EXPECT_EQ(vifs[1].rx.sring->rsp_prod, 0u);
  EXPECT_EQ(v.back->stats().tx_errors, 7u);
  EXPECT_EQ(grants.active_mappings(), 6u);  // the six rings only
}

TEST_F(NetFixture, ATransmitLargerThanAPageIsAnsweredErrorAndReachesNoOne) {
  Vif& v = vifs[0];
  post_rx(vifs[1], 0);
  queue_tx(v, {v.ref(kTxBufRef), 0, 0, 1, 4097});    // one byte more than its page holds
  queue_tx(v, {v.ref(kTxBufRef), 0, 0, 2, 0xffff});  // the largest size a slot can say
  ring1_front_push(&v.tx);
  v.back->kick();
  ASSERT_EQ(v.tx.sring->rsp_prod, 2u);
  EXPECT_EQ(tx_rsp(v, 0).status, netif::kRspError);
  EXPECT_EQ(tx_rsp(v, 1).status, netif::kRspError);
  EXPECT_EQ(v.back->stats().tx_errors, 2u);
  EXPECT_EQ(sw.stats().frames, 0u);
  EXPECT_TRUE(v.back->connected());  // a bad request is the request's failure, not the ring's
}

TEST_F(NetFixture, AReceiveBufferWhoseGrantIsRefusedIsAnsweredErrorAndNothingIsWritten) {
  Vif& r = vifs[1];
  // Buffer 0 granted read-only, buffer 1 named by a reference past the grant table, buffer 2 granted to
  // domain 7 instead of the back end: none may be written.
  grant(r.dom, r.ref(kRxBufRef), xen::gtf::kPermitAccess | xen::gtf::kReadonly, r.frame(kRxBufRef));
  grant(r.dom, r.ref(kRxBufRef + 2), xen::gtf::kPermitAccess, r.frame(kRxBufRef + 2), 7);
  post_rx(r, 0);
  const netif::RxRequest wild{101, 0, 4000};
  std::memcpy(ring1_front_next_request(&r.rx), &wild, sizeof wild);
  ++r.rx.req_prod_pvt;
  ring1_front_push(&r.rx);
  post_rx(r, 2);
  for (u8 fill : {0x51, 0x52, 0x53}) send(vifs[0], 0, frame(kBcast, kMacA, 46, fill));
  ASSERT_EQ(r.rx.sring->rsp_prod, 3u);
  EXPECT_EQ(rx_rsp(r, 0).status, netif::kRspError);
  EXPECT_EQ(rx_rsp(r, 1).status, netif::kRspError);
  EXPECT_EQ(rx_rsp(r, 1).id, 101u);
  EXPECT_EQ(rx_rsp(r, 2).status, netif::kRspError);
  EXPECT_EQ(rx_buf(r, 0, 60), std::vector<u8>(60, 0));
  EXPECT_EQ(rx_buf(r, 2, 60), std::vector<u8>(60, 0));
  EXPECT_EQ(r.back->stats().rx_errors, 3u);
  EXPECT_EQ(r.back->stats().rx_packets, 0u);
  EXPECT_TRUE(r.back->connected());
  EXPECT_EQ(grants.active_mappings(), 6u);  // the rings only: no refused buffer stays mapped
}

TEST_F(NetFixture, RingsWhoseGrantsAreRefusedAreNeverConnected) {
  Vif& v = vifs[0];
  v.back->disconnect();
  grant(v.dom, v.ref(kTxRingRef), xen::gtf::kPermitAccess | xen::gtf::kReadonly, v.frame(0));  // a ring must be writable
  EXPECT_FALSE(v.back->connect(v.dom, v.ref(kTxRingRef), v.ref(kRxRingRef), v.port));
  EXPECT_FALSE(v.back->connect(v.dom, v.ref(kRxRingRef), 3000, v.port));  // past the table
  EXPECT_FALSE(v.back->connect(9, v.ref(kRxRingRef), v.ref(kRxRingRef), v.port));  // no such domain
  EXPECT_FALSE(v.back->connected());
  EXPECT_EQ(grants.active_mappings(), 4u);  // the other two vifs' rings; nothing left over from the refusals
  v.back->kick();                           // a kick to a vif with no rings does nothing
  EXPECT_EQ(v.back->stats().kicks, 0u);
}

TEST_F(NetFixture, AWildProducerOnEitherRingBreaksThatVifOnly) {
  vifs[0].tx.sring->req_prod = 0x80000000u;
  vifs[0].back->kick();
  EXPECT_FALSE(vifs[0].back->connected());
  EXPECT_EQ(vifs[0].back->stats().protocol_errors, 1u);
  EXPECT_EQ(vifs[0].tx.sring->rsp_prod, 0u);
  vifs[2].rx.sring->req_prod = 300;  // more buffers than the 256 slots hold
  post_rx(vifs[1], 0);
  send(vifs[1], 0, frame(kBcast, kMacB, 46, 0));
  EXPECT_FALSE(vifs[2].back->connected());
  EXPECT_TRUE(vifs[1].back->connected());
  EXPECT_EQ(grants.active_mappings(), 2u);  // vif 1's rings
}

TEST_F(NetFixture, ATransmitStormIsServedAtMostOneRingPerKick) {
  Vif& v = vifs[0];
  ASSERT_EQ(v.tx.nr_ents, 256u);
  const std::vector<u8> f = frame(kBcast, kMacA, 46, 0x44);
  ram.write_bytes(machine_addr(v.frame(kTxBufRef)).value, f.data(), u32(f.size()));
  for (u32 round = 0; round < 3; ++round) {
    while (ring1_front_free(&v.tx)) queue_tx(v, {v.ref(kTxBufRef), 0, 0, 1, u16(f.size())});
    ring1_front_push(&v.tx);
    v.back->kick();
    v.tx.rsp_cons = v.tx.sring->rsp_prod;
  }
  EXPECT_EQ(v.back->stats().tx_packets, 768u);
  EXPECT_EQ(v.back->stats().max_tx_batch, 256u);
  EXPECT_EQ(sw.stats().frames, 768u);
  EXPECT_EQ(vifs[1].back->stats().rx_dropped, 768u);
}

// Random rings: 300 rounds of TX requests with random references (granted, ungranted, past the table),
// offsets, sizes and flags (chains of any length, extra-info slots), receive buffers with random references,
// and now and then a producer index pushed too far. Whatever comes, every slot the back end takes is answered
// exactly once with NETIF_RSP_OKAY or NETIF_RSP_ERROR (never more responses than requests), a frame that
// reaches the switch is one that was answered OKAY, and a broken vif stays broken and maps nothing.
TEST_F(NetFixture, RandomRingContentsAreAnsweredOkayOrErrorAndNeverMoreThanOnce) {
  u64 seed = 0x9e3779b97f4a7c15ull;
  auto rnd = [&](u32 n) {
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return u32(seed % n);
  };
  Vif& v = vifs[0];
  Vif& r = vifs[1];
  const std::vector<u8> f = frame(kBcast, kMacA, 200, 0x66);
  for (u32 i = 0; i < kPages; ++i) ram.write_bytes(machine_addr(v.frame(kTxBufRef + i)).value, f.data(), u32(f.size()));
  u64 okays = 0, errors = 0;
  for (u32 round = 0; round < 300 && v.back->connected(); ++round) {
    const u32 n = 1 + rnd(40);
    for (u32 k = 0; k < n && ring1_front_free(&v.tx); ++k) {
      static const u16 kFlags[] = {0, 0, 0, netif::kTxfMoreData, netif::kTxfExtraInfo, netif::kTxfCsumBlank};
      const u32 ref = rnd(4) == 0 ? rnd(600) : v.ref(kTxBufRef + rnd(kPages));
      queue_tx(v, {ref, u16(rnd(4) ? 0 : rnd(4200)), kFlags[rnd(6)], u16(k), u16(rnd(3) ? 14 + rnd(300) : rnd(70000))});
    }
    for (u32 k = rnd(3); k > 0 && ring1_front_free(&r.rx); --k) {
      const netif::RxRequest q{u16(round), 0, rnd(2) ? r.ref(kRxBufRef + rnd(kPages)) : rnd(600)};
      std::memcpy(ring1_front_next_request(&r.rx), &q, sizeof q);
      ++r.rx.req_prod_pvt;
    }
    ring1_front_push(&r.rx);
    ring1_front_push(&v.tx);
    if (rnd(100) == 0) v.tx.sring->req_prod = v.tx.sring->req_prod + 257 + rnd(1000);  // a wild producer, now and then
    const u32 answered_before = v.tx.sring->rsp_prod;
    const u64 frames_before = sw.stats().frames;
    v.back->kick();
    const u32 answered = v.tx.sring->rsp_prod - answered_before;
    ASSERT_LE(v.tx.sring->rsp_prod, v.tx.req_prod_pvt) << "round " << round;
    u64 ok_now = 0;
    for (u32 i = 0; i < answered; ++i) {
      const i16 st = tx_rsp(v, answered_before + i).status;
      ASSERT_TRUE(st == netif::kRspOkay || st == netif::kRspError) << "round " << round << " status " << st;
      (st == netif::kRspOkay ? ok_now : errors) += 1;
    }
    okays += ok_now;
    ASSERT_LE(sw.stats().frames - frames_before, ok_now);  // only answered-okay chains reach the switch
    v.tx.rsp_cons = v.tx.sring->rsp_prod;
    r.rx.rsp_cons = r.rx.sring->rsp_prod;
  }
  EXPECT_GT(okays, 0u);
  EXPECT_GT(errors, 0u);
  EXPECT_EQ(v.back->stats().tx_packets, sw.stats().frames);
  // The receiving vif met good buffers, refused ones and none at all; it never broke.
  EXPECT_GT(r.back->stats().rx_packets, 0u);
  EXPECT_GT(r.back->stats().rx_errors, 0u);
  EXPECT_GT(r.back->stats().rx_dropped, 0u);
  EXPECT_TRUE(r.back->connected());
  if (!v.back->connected()) {
    EXPECT_EQ(v.back->stats().protocol_errors, 1u);
    const u32 answered = v.tx.sring->rsp_prod;
    v.back->kick();  // a broken vif stays broken: nothing more is answered
    EXPECT_EQ(v.tx.sring->rsp_prod, answered);
  }
}

}  // namespace
}  // namespace ring1
