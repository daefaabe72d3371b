// Domain 0's in-process API, as the device back ends use it: the same rules as the wire, watch callbacks
// run after the request that caused them, and the XenbusState handshake with a guest's front end.
#include <gtest/gtest.h>

#include "control/xenstore/domain_tree.h"
#include "control/xenstore/xenbus_state.h"
#include "store_ring.h"

namespace ring1::xs {
namespace {
using testing::arg;
using testing::StoreRing;

struct InProcess : ::testing::Test {
  PhysicalMemory ram{64 * 1024};
  Xenstored d{ram};
  StoreRing g1{ram, d, 1, 0x5000};
  void SetUp() override {
    ASSERT_EQ(write_dom0_entries(d.dom0()), 0);
    DomainEntries e;
    e.domid = 1;
    e.name = "guest";
    e.memory_kib = 16384;
    e.store_mfn = 0x105;
    e.store_port = 2;
    e.console_mfn = 0x106;
    e.console_port = 1;
    ASSERT_EQ(write_domain_entries(d.dom0(), e), 0);
  }
};

TEST_F(InProcess, TheStandardTreeIsWhatXendWrites) {
  Client& c = d.dom0();
  EXPECT_EQ(c.read("/local/domain/0/name"), "Domain-0");
  EXPECT_EQ(c.read("/local/domain/1/domid"), "1");
  EXPECT_EQ(c.read("/local/domain/1/name"), "guest");
  EXPECT_EQ(c.read("/local/domain/1/vm"), "/vm/00000001-0000-4000-8000-000000000000");
  EXPECT_EQ(c.read("/local/domain/1/memory/target"), "16384");
  EXPECT_EQ(c.read("/local/domain/1/store/ring-ref"), "261");
  EXPECT_EQ(c.read("/local/domain/1/store/port"), "2");
  EXPECT_EQ(c.read("/local/domain/1/console/ring-ref"), "262");
  EXPECT_EQ(c.read("/local/domain/1/console/port"), "1");
  EXPECT_EQ(c.read("/local/domain/1/cpu/0/availability"), "online");
  EXPECT_EQ(c.read("/vm/00000001-0000-4000-8000-000000000000/name"), "guest");
  EXPECT_EQ(c.read("/vm/00000001-0000-4000-8000-000000000000/memory"), "16");
  EXPECT_TRUE(c.read("/tool/xenstored"));
  // The guest reads its own directory and its /vm entry, and nothing of domain 0's.
  EXPECT_EQ(g1.call(XS_READ, arg("/vm/00000001-0000-4000-8000-000000000000/uuid")).payload,
            "00000001-0000-4000-8000-000000000000");
  EXPECT_EQ(g1.call(XS_READ, arg("/local/domain/0/name")).payload, std::string("EACCES\0", 7));
}

TEST_F(InProcess, CallsReturnXenErrnoValues) {
  std::string v;
  EXPECT_EQ(d.dom0().read("/nowhere", v), ENOENT);
  EXPECT_EQ(d.dom0().write("bad//path", "x"), EINVAL);
  Client& as2 = d.local_client(2);
  EXPECT_EQ(as2.read("/local/domain/1/name", v), EACCES);
  EXPECT_EQ(as2.get_domain_path(1), "/local/domain/1");
}

TEST_F(InProcess, AWatchCallbackRunsOnceAtRegistrationAndAfterEachChange) {
  std::vector<std::string> seen;
  ASSERT_EQ(d.dom0().watch("/local/domain/1/device", "fe",
                           [&](const std::string& p, const std::string& t) { seen.push_back(p + " " + t); }),
            0);
  EXPECT_EQ(seen, (std::vector<std::string>{"/local/domain/1/device fe"}));
  g1.call(XS_WRITE, arg("device/vif/0/state") + "3");
  EXPECT_EQ(seen.back(), "/local/domain/1/device/vif/0/state fe");
  ASSERT_EQ(d.dom0().unwatch("/local/domain/1/device", "fe"), 0);
  g1.call(XS_WRITE, arg("device/vif/0/state") + "4");
  EXPECT_EQ(seen.size(), 2u);
}

TEST_F(InProcess, ACallbackMayUseTheStoreAndOneThatFeedsItselfIsBounded) {
  int calls = 0;
  d.dom0().watch("/loop", "t", [&](const std::string&, const std::string&) {
    ++calls;
    d.dom0().write("/loop", std::to_string(calls));  // rewrites what it watches
  });
  EXPECT_GE(calls, 1);
  EXPECT_LE(calls, int(Xenstored::kCallbacksPerRequest) + 1);
}

TEST_F(InProcess, TransactionsThroughTheApiRetryOnEagain) {
  u32 tx = 0;
  ASSERT_EQ(d.dom0().transaction_start(tx), 0);
  std::string v;
  d.dom0().read("/local/domain/1/name", v, tx);
  g1.call(XS_WRITE, arg("name") + "changed");
  d.dom0().write("/local/domain/1/name", v + "!", tx);
  EXPECT_EQ(d.dom0().transaction_end(tx, true), EAGAIN);
}

TEST_F(InProcess, ADeviceGetsBothDirectoriesEachReadableByTheOtherSide) {
  DeviceSpec vif;
  vif.type = "vif";
  vif.frontend = 1;
  vif.backend = 0;
  vif.devid = 0;
  vif.frontend_name = "guest";
  vif.front = {{"mac", "00:16:3e:00:00:01"}, {"handle", "0"}};
  vif.back = {{"mac", "00:16:3e:00:00:01"}, {"handle", "0"}};
  ASSERT_EQ(create_device(d.dom0(), vif), 0);
  EXPECT_EQ(frontend_path(vif), "/local/domain/1/device/vif/0");
  EXPECT_EQ(backend_path(vif), "/local/domain/0/backend/vif/1/0");
  EXPECT_EQ(g1.call(XS_READ, arg("device/vif/0/backend")).payload, "/local/domain/0/backend/vif/1/0");
  EXPECT_EQ(g1.call(XS_READ, arg("device/vif/0/backend-id")).payload, "0");
  EXPECT_EQ(g1.call(XS_READ, arg("device/vif/0/mac")).payload, "00:16:3e:00:00:01");
  EXPECT_EQ(g1.call(XS_READ, arg("/local/domain/0/backend/vif/1/0/state")).payload, "1");
  EXPECT_EQ(g1.call(XS_WRITE, arg("/local/domain/0/backend/vif/1/0/state") + "4").payload,
            std::string("EACCES\0", 7));
  EXPECT_EQ(d.dom0().read("/local/domain/0/backend/vif/1/0/frontend"), "/local/domain/1/device/vif/0");
  EXPECT_EQ(d.dom0().read("/local/domain/0/backend/vif/1/0/frontend-id"), "1");
  EXPECT_EQ(d.dom0().read("/local/domain/0/backend/vif/1/0/online"), "1");
}

TEST_F(InProcess, ABackEndAndAGuestFrontEndRunTheXenbusHandshake) {
  DeviceSpec vbd;
  vbd.type = "vbd";
  vbd.frontend = 1;
  vbd.devid = 768;
  vbd.frontend_name = "guest";
  ASSERT_EQ(create_device(d.dom0(), vbd), 0);
  const std::string back = backend_path(vbd), front = frontend_path(vbd);
  Client& dom0 = d.dom0();
  // The back end: InitWait at once; Connected when the front end says Initialised; Closed after Closing.
  ASSERT_EQ(switch_state(dom0, back, XenbusState::InitWait), 0);
  std::vector<XenbusState> back_states;
  dom0.watch(front + "/state", "be", [&](const std::string&, const std::string&) {
    const XenbusState fe = read_state(dom0, front);
    if (fe == XenbusState::Initialised) switch_state(dom0, back, XenbusState::Connected);
    if (fe == XenbusState::Closing) switch_state(dom0, back, XenbusState::Closed);
    back_states.push_back(read_state(dom0, back));
  });
  // The guest's front end, over its ring: waits for InitWait, publishes its ring, says Initialised.
  EXPECT_EQ(g1.call(XS_READ, arg(back + "/state")).payload, "2");
  g1.call(XS_WRITE, arg("device/vbd/768/ring-ref") + "8");
  g1.call(XS_WRITE, arg("device/vbd/768/event-channel") + "5");
  g1.call(XS_WRITE, arg("device/vbd/768/state") + "3");
  EXPECT_EQ(g1.call(XS_READ, arg(back + "/state")).payload, "4");
  EXPECT_EQ(dom0.read(front + "/ring-ref"), "8");
  g1.call(XS_WRITE, arg("device/vbd/768/state") + "5");
  EXPECT_EQ(read_state(dom0, back), XenbusState::Closed);
  EXPECT_EQ(back_states.back(), XenbusState::Closed);
}

TEST_F(InProcess, IntroduceAndReleaseOverTheWireAskTheHostForTheRing) {
  u32 asked_mfn = 0, asked_port = 0;
  d.set_introduce_hook([&](u32, u32 mfn, u32 port, u32& ring_ma, RingNotify& n) {
    asked_mfn = mfn;
    asked_port = port;
    ring_ma = mfn * kPageSize;
    n = RingNotify{};
    return mfn == 8;
  });
  EXPECT_EQ(d.dom0().introduce(4, 8, 3), 0);
  EXPECT_EQ(asked_mfn, 8u);
  EXPECT_EQ(asked_port, 3u);
  EXPECT_TRUE(d.introduced(4));
  EXPECT_EQ(d.dom0().request(XS_IS_DOMAIN_INTRODUCED, 0, arg("4")).payload, std::string("T\0", 2));
  EXPECT_EQ(d.dom0().introduce(5, 9, 3), EINVAL);  // the host knows no such ring
  EXPECT_EQ(d.dom0().introduce(5, 8, 0), EINVAL);  // port 0
  EXPECT_EQ(d.dom0().release(4), 0);
  EXPECT_FALSE(d.introduced(4));
  EXPECT_EQ(d.dom0().release(4), ENOENT);
}

TEST_F(InProcess, TheDaemonCountsRequestsByTypeAndErrorsByName) {
  const u64 reads = d.stats().requests[XS_READ], local = d.stats().local_requests;
  const u64 enoent = d.stats().errors[error_slot(ENOENT)];
  g1.call(XS_READ, arg("nowhere"));
  EXPECT_EQ(d.stats().requests[XS_READ], reads + 1);
  EXPECT_EQ(d.stats().errors[error_slot(ENOENT)], enoent + 1);
  std::string v;
  d.dom0().read("/nowhere", v);
  EXPECT_EQ(d.stats().requests[XS_READ], reads + 1);  // domain 0's own requests count apart
  EXPECT_EQ(d.stats().local_requests, local + 1);
}

}  // namespace
}  // namespace ring1::xs
