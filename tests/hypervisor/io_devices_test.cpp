// The devices glue (io_devices.h) on a real hypervisor: a front end's port, allocated unbound for domain 0,
// is bound by the back end when the front end connects; the guest's EVTCHNOP_send then runs the back end,
// and the back end's response raises the port. The block device here serves a temporary image.
#include <gtest/gtest.h>

#include <fstream>

#include "common/io_ring.h"
#include "hypervisor/grant_table.h"
#include "hypervisor/io_devices.h"
#include "hypervisor/pv_guest.h"
#include "hypervisor/xen_abi_grants.h"
#include "control/xenstore/client.h"

namespace ring1::hv {
namespace {

using test::PvGuest;

TEST(IoDevices, OptionsParseAsXlWritesThemAndADefaultMacIsXensPrefixWithDomainAndIndex) {
  DiskConfig d;
  std::string err;
  ASSERT_TRUE(parse_disk_spec("a.img,ro", d, err));
  EXPECT_EQ(d.path, "a.img");
  EXPECT_TRUE(d.read_only);
  ASSERT_TRUE(parse_disk_spec("dir,with,commas/b.img", d, err) == false);  // the last comma's tail is a mode
  ASSERT_TRUE(parse_disk_spec("b.img", d, err));
  EXPECT_FALSE(d.read_only);
  EXPECT_EQ(d.domain, 1);
  ASSERT_TRUE(parse_disk_spec("c.img,ro,domain=2", d, err));
  EXPECT_EQ(d.path, "c.img");
  EXPECT_TRUE(d.read_only);
  EXPECT_EQ(d.domain, 2);
  ASSERT_TRUE(parse_disk_spec("with,comma.img,domain=3,rw", d, err));  // an option after it: the rest is the file
  EXPECT_EQ(d.path, "with,comma.img");
  EXPECT_EQ(d.domain, 3);
  EXPECT_FALSE(d.read_only);
  EXPECT_FALSE(parse_disk_spec("c.img,domain=0", d, err));
  EXPECT_FALSE(parse_disk_spec(",domain=2", d, err));
  VifConfig v;
  ASSERT_TRUE(parse_vif_spec("default", v, err));
  EXPECT_EQ(v.domain, 1);
  EXPECT_TRUE(v.default_mac);
  ASSERT_TRUE(parse_vif_spec("mac=00:16:3E:AB:cd:01", v, err));
  EXPECT_EQ(format_mac(v.mac), "00:16:3e:ab:cd:01");
  EXPECT_FALSE(v.default_mac);
  ASSERT_TRUE(parse_vif_spec("domain=2,mac=00:16:3e:ab:cd:02", v, err));
  EXPECT_EQ(v.domain, 2);
  EXPECT_EQ(format_mac(v.mac), "00:16:3e:ab:cd:02");
  ASSERT_TRUE(parse_vif_spec("mac=00:16:3e:ab:cd:03,domain=3", v, err));
  EXPECT_EQ(v.domain, 3);
  EXPECT_FALSE(parse_vif_spec("mac=00:16:3e:ab:cd:01x", v, err));
  EXPECT_FALSE(parse_vif_spec("00:16:3e:ab:cd:01", v, err));
  EXPECT_FALSE(parse_vif_spec("domain=0", v, err));  // domain 0 is the back ends' own
  EXPECT_FALSE(parse_vif_spec("domain=256", v, err));
  EXPECT_FALSE(parse_vif_spec("domain=2,domain=3", v, err));
  EXPECT_FALSE(parse_vif_spec("domain=2,", v, err));
}

TEST(IoDevices, DefaultMacsAreNumberedWithinEachDomainAndAVifForAMissingDomainIsRefused) {
  test::PvGuest g("hlt\n");
  IoDevices io(g.hv);
  std::string err;
  IoConfig cfg;
  for (const char* spec : {"", "mac=00:16:3e:00:00:99", ""}) ASSERT_TRUE(parse_vif_spec(spec, cfg.vifs.emplace_back(), err));
  ASSERT_TRUE(io.configure(cfg, err)) << err;
  EXPECT_EQ(format_mac(io.vif_config(0).mac), "00:16:3e:00:01:00");
  EXPECT_EQ(format_mac(io.vif_config(1).mac), "00:16:3e:00:00:99");
  EXPECT_EQ(format_mac(io.vif_config(2).mac), "00:16:3e:00:01:02");
  EXPECT_EQ(io.vif_devid(2), 2u);
  IoDevices other(g.hv);
  IoConfig bad;
  ASSERT_TRUE(parse_vif_spec("domain=2", bad.vifs.emplace_back(), err));
  EXPECT_FALSE(other.configure(bad, err));
  EXPECT_EQ(err, "--vif for domain 2: the run has no such domain (domains 1 to 1)");
}

TEST(IoDevices, AConnectedBlockFrontEndsSendRunsTheBackEndAndItsResponseRaisesThePort) {
  const std::string path = ::testing::TempDir() + "ring1-io-devices-" + std::to_string(::getpid()) + ".img";
  {
    std::ofstream f(path, std::ios::binary);
    std::string sectors(8 * 512, 'd');
    f << sectors;
  }
  // The guest: EVTCHNOP_send on the port in 0x300000, then shut down.
  PvGuest g(R"(
  mov dword ptr [0x301000], 0
  mov eax, [0x300000]
  mov [0x301000], eax
  mov eax, 32
  mov ebx, 4
  mov ecx, 0x301000
  int 0x82
  mov [0x300004], eax
  mov eax, 29
  mov ebx, 2
  mov ecx, 0x300008
  int 0x82
)");
  g.own_frames(0, 0x400);
  ASSERT_TRUE(grow_grant_table(g.hv, 1));
  const u32 gt = machine_addr(g.hv.domain().grant_frames[0]).value;
  const xen::GrantEntryV1 ring{xen::gtf::kPermitAccess, 0, 0x310}, buf{xen::gtf::kPermitAccess, 0, 0x311};
  g.m.ram().write_bytes(gt + 8 * 1, &ring, 8);
  g.m.ram().write_bytes(gt + 8 * 2, &buf, 8);
  auto* s = reinterpret_cast<ring1_sring*>(g.m.ram().host(0x310000));
  ring1_sring_init(s);
  ring1_front front;
  ring1_front_init(&front, s, blkif::kSlotBytes);
  blkif::Request r{};
  r.operation = blkif::kOpRead;
  r.nr_segments = 1;
  r.id = 77;
  r.sector_number = 0;
  r.seg[0] = {2, 0, 7, 0};
  std::memcpy(ring1_front_next_request(&front), &r, sizeof r);
  ++front.req_prod_pvt;
  ring1_front_push(&front);

  const i32 port = g.hv.events().alloc_unbound(xen::kDomidSelf, 0);
  ASSERT_GT(port, 0);
  const u32 p = u32(port);
  g.m.ram().write_bytes(0x300000, &p, 4);
  IoDevices io(g.hv);
  std::string err;
  ASSERT_TRUE(io.configure(IoConfig{{DiskConfig{path, false}}, {}, ""}, err)) << err;
  EXPECT_EQ(io.connect_vbd(1, 1, p), -xen::err::kENOENT);
  EXPECT_EQ(io.connect_vbd(0, 1, p + 1), -xen::err::kEINVAL);  // not a port allocated for domain 0
  ASSERT_EQ(io.connect_vbd(0, 1, p), 0);
  EXPECT_EQ(g.hv.events().state(p), PortState::Interdomain);
  const Cycles before_run = g.m.cpu().cycles;
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.word(0x300004), 0u);
  ASSERT_EQ(s->rsp_prod, 1u);
  blkif::Response rsp;
  std::memcpy(&rsp, ring1_front_response(&front, 0), sizeof rsp);
  EXPECT_EQ(rsp.id, 77u);
  EXPECT_EQ(rsp.status, blkif::kRspOkay);
  EXPECT_EQ(g.text(0x311000, 4), "dddd");
  EXPECT_TRUE(g.hv.events().port_pending(p));
  EXPECT_EQ(io.vbd(0).stats().requests, 1u);
  EXPECT_EQ(io.vbd(0).stats().cycles, 20u + 100u + 8 * 384u);
  EXPECT_GT(g.m.cpu().cycles - before_run, io.vbd(0).stats().cycles);  // charged to the modelled clock
  io.shutdown();
  std::remove(path.c_str());
}

}  // namespace
}  // namespace ring1::hv

namespace ring1::hv {
namespace {

// The xenstore handshake, with the front end played by domain 1's own store connection as Mini-OS 3.2's
// netfront plays it: its keys written in a transaction with the values' trailing NUL (its xenbus_write
// sends strlen + 1), its state straight to Connected; the back end must end Connected with the vif serving.
TEST(IoDevices, AVifsBackEndFollowsTheFrontEndThroughXenbusStatesToConnectedAndBackToClosed) {
  test::PvGuest g("hlt\n");
  g.own_frames(0, 0x400);
  ASSERT_TRUE(grow_grant_table(g.hv, 1));
  const u32 gt = machine_addr(g.hv.domain().grant_frames[0]).value;
  const xen::GrantEntryV1 tx{xen::gtf::kPermitAccess, 0, 0x310}, rx{xen::gtf::kPermitAccess, 0, 0x311};
  g.m.ram().write_bytes(gt + 8 * 8, &tx, 8);
  g.m.ram().write_bytes(gt + 8 * 9, &rx, 8);
  IoDevices io(g.hv);
  std::string err;
  VifConfig vif;
  ASSERT_TRUE(parse_vif_spec("default", vif, err));
  ASSERT_TRUE(io.configure(IoConfig{{}, {vif}, ""}, err)) << err;
  ASSERT_TRUE(io.publish(err)) << err;
  xs::Client& dom0 = g.hv.store().dom0();
  const std::string front = "/local/domain/1/device/vif/0", back = "/local/domain/0/backend/vif/1/0";
  EXPECT_EQ(dom0.read(front + "/backend").value_or(""), back);
  EXPECT_EQ(dom0.read(front + "/mac").value_or(""), "00:16:3e:00:01:00");
  EXPECT_EQ(dom0.read(back + "/state").value_or(""), "2");  // InitWait
  EXPECT_EQ(dom0.read(back + "/feature-rx-copy").value_or(""), "1");

  const i32 port = g.hv.events().alloc_unbound(xen::kDomidSelf, 0);
  ASSERT_GT(port, 0);
  xs::Client& fe = g.hv.store().local_client(1);
  u32 t = 0;
  ASSERT_EQ(fe.transaction_start(t), 0);
  using namespace std::string_literals;
  fe.write(front + "/tx-ring-ref", "8\0"s, t);
  fe.write(front + "/rx-ring-ref", "9\0"s, t);
  fe.write(front + "/event-channel", std::to_string(port) + "\0"s, t);
  fe.write(front + "/request-rx-copy", "1\0"s, t);
  fe.write(front + "/state", "4\0"s, t);
  ASSERT_EQ(fe.transaction_end(t, true), 0);
  EXPECT_EQ(dom0.read(back + "/state").value_or(""), "4");  // Connected
  EXPECT_TRUE(io.vif(0).connected());
  EXPECT_EQ(g.hv.grants().active_mappings(), 2u);

  fe.write(front + "/state", "6\0"s);  // Closed, as Mini-OS's shutdown_netfront writes it
  EXPECT_EQ(dom0.read(back + "/state").value_or(""), "6");
  EXPECT_FALSE(io.vif(0).connected());
  EXPECT_EQ(g.hv.grants().active_mappings(), 0u);
  fe.write(front + "/state", "1\0"s);  // starting again: the back end waits for it
  EXPECT_EQ(dom0.read(back + "/state").value_or(""), "2");
}

TEST(IoDevices, AFrontEndThatAsksForPageFlippingIsRefusedWithAnErrorNode) {
  test::PvGuest g("hlt\n");
  IoDevices io(g.hv);
  std::string err;
  VifConfig vif;
  ASSERT_TRUE(parse_vif_spec("default", vif, err));
  ASSERT_TRUE(io.configure(IoConfig{{}, {vif}, ""}, err)) << err;
  ASSERT_TRUE(io.publish(err)) << err;
  xs::Client& fe = g.hv.store().local_client(1);
  const std::string front = "/local/domain/1/device/vif/0", back = "/local/domain/0/backend/vif/1/0";
  fe.write(front + "/tx-ring-ref", "8");
  fe.write(front + "/rx-ring-ref", "9");
  fe.write(front + "/event-channel", "5");
  fe.write(front + "/state", "3");  // Initialised, without request-rx-copy
  xs::Client& dom0 = g.hv.store().dom0();
  EXPECT_EQ(dom0.read(back + "/state").value_or(""), "5");  // Closing
  EXPECT_NE(dom0.read(back + "/error").value_or("").find("request-rx-copy"), std::string::npos);
  EXPECT_FALSE(io.vif(0).connected());
}

}  // namespace
}  // namespace ring1::hv

namespace ring1::hv {
namespace {

// A vif of domain 2 in a run of two domains: published under domain 2's directory and numbered from 0 there,
// its rings mapped from domain 2's grant table (never domain 1's, which grants the same references to other
// frames), and its port bound in domain 2's event channels.
TEST(IoDevices, ADomainTwoVifIsPublishedUnderItsDomainAndMapsThatDomainsGrantsAndPort) {
  test::PvGuest g("hlt\n");
  Hypervisor d2(g.hv, DomainId{2});
  g.own_frames(0, 0x400);
  for (u32 f = 0x500; f < 0x520; ++f) d2.frames().assign(Mfn{f}, DomainId{2});
  ASSERT_TRUE(grow_grant_table(g.hv, 1));
  ASSERT_TRUE(grow_grant_table(d2, 1));
  auto grant = [&](Hypervisor& h, u32 ref, u32 frame) {
    const xen::GrantEntryV1 e{xen::gtf::kPermitAccess, 0, frame};
    g.m.ram().write_bytes(machine_addr(h.domain().grant_frames[0]).value + 8 * ref, &e, 8);
  };
  grant(g.hv, 8, 0x310);
  grant(g.hv, 9, 0x311);
  grant(d2, 8, 0x510);
  grant(d2, 9, 0x511);
  IoDevices io(g.hv);
  io.add_domain(d2);
  std::string err;
  IoConfig cfg;
  ASSERT_TRUE(parse_vif_spec("", cfg.vifs.emplace_back(), err));
  ASSERT_TRUE(parse_vif_spec("domain=2", cfg.vifs.emplace_back(), err));
  const std::string image = ::testing::TempDir() + "ring1-io-devices-d2-" + std::to_string(::getpid()) + ".img";
  std::ofstream(image, std::ios::binary) << std::string(4 * 512, 'e');
  ASSERT_TRUE(parse_disk_spec(image + ",ro,domain=2", cfg.disks.emplace_back(), err));
  ASSERT_TRUE(io.configure(cfg, err)) << err;
  ASSERT_TRUE(io.publish(err)) << err;
  xs::Client& dom0 = g.hv.store().dom0();
  // Domain 2's first disk is its xvda (51712), whatever other domains have.
  EXPECT_EQ(dom0.read("/local/domain/2/device/vbd/51712/backend").value_or(""), "/local/domain/0/backend/vbd/2/51712");
  EXPECT_EQ(dom0.read("/local/domain/0/backend/vbd/2/51712/mode").value_or(""), "r");
  EXPECT_EQ(io.vbd_domain(0), 2);
  const std::string front = "/local/domain/2/device/vif/0", back = "/local/domain/0/backend/vif/2/0";
  EXPECT_EQ(dom0.read(front + "/backend").value_or(""), back);
  EXPECT_EQ(dom0.read(front + "/mac").value_or(""), "00:16:3e:00:02:00");
  EXPECT_EQ(dom0.read(back + "/frontend-id").value_or(""), "2");
  EXPECT_EQ(dom0.read("/local/domain/1/device/vif/0/mac").value_or(""), "00:16:3e:00:01:00");
  EXPECT_EQ(io.vif_devid(1), 0u);

  const i32 port = d2.events().alloc_unbound(xen::kDomidSelf, 0);
  ASSERT_GT(port, 0);
  dom0.write(front + "/tx-ring-ref", "8");
  dom0.write(front + "/rx-ring-ref", "9");
  dom0.write(front + "/event-channel", std::to_string(port));
  dom0.write(front + "/request-rx-copy", "1");
  dom0.write(front + "/state", "4");
  EXPECT_EQ(dom0.read(back + "/state").value_or(""), "4");
  EXPECT_TRUE(io.vif(1).connected());
  EXPECT_FALSE(io.vif(0).connected());
  EXPECT_EQ(d2.grants().active_mappings(), 2u);
  EXPECT_EQ(g.hv.grants().active_mappings(), 0u);
  EXPECT_EQ(d2.events().state(u32(port)), PortState::Interdomain);
  EXPECT_EQ(g.hv.events().state(u32(port)), PortState::Free);

  // Domain 1's vif is decided by domain 1's table alone: references 10 and 11 grant nothing there, so its back
  // end cannot map the rings (EACCES) and closes, whatever domain 2 has granted.
  const i32 p1 = g.hv.events().alloc_unbound(xen::kDomidSelf, 0);
  const std::string front1 = "/local/domain/1/device/vif/0", back1 = "/local/domain/0/backend/vif/1/0";
  dom0.write(front1 + "/tx-ring-ref", "10");
  dom0.write(front1 + "/rx-ring-ref", "11");
  dom0.write(front1 + "/event-channel", std::to_string(p1));
  dom0.write(front1 + "/request-rx-copy", "1");
  dom0.write(front1 + "/state", "4");
  EXPECT_EQ(dom0.read(back1 + "/state").value_or(""), "5");  // Closing
  EXPECT_EQ(dom0.read(back1 + "/error").value_or(""), "mapping the rings (errno 13)");
  io.shutdown();
  EXPECT_EQ(d2.grants().active_mappings(), 0u);
  std::remove(image.c_str());
}

}  // namespace
}  // namespace ring1::hv
