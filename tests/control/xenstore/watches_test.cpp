// Watches over a guest's ring: the first event at registration, events for changes at and below the
// watched path, relative paths reported relative, permissions filtering events, the special domain paths.
#include <gtest/gtest.h>

#include "control/xenstore/domain_tree.h"
#include "store_ring.h"

namespace ring1::xs {
namespace {
using testing::arg;
using testing::StoreRing;

const std::string kOk("OK\0", 3);
std::string event(const std::string& path, const std::string& token) { return arg(path) + arg(token); }

struct Watching : ::testing::Test {
  PhysicalMemory ram{64 * 1024};
  Xenstored d{ram};
  StoreRing g1{ram, d, 1, 0x5000};
  StoreRing g2{ram, d, 2, 0x6000};
  void SetUp() override {
    for (u32 id : {1u, 2u}) {
      DomainEntries e;
      e.domid = id;
      e.name = "g";
      ASSERT_EQ(write_domain_entries(d.dom0(), e), 0);
    }
  }
};

TEST_F(Watching, AWatchFiresOnceAtRegistrationAfterItsOk) {
  const Message ok = g1.call(XS_WATCH, arg("device") + arg("tok"));
  EXPECT_EQ(ok.type, u32(XS_WATCH));
  EXPECT_EQ(ok.payload, kOk);
  const Message ev = g1.receive();
  EXPECT_EQ(ev.type, u32(XS_WATCH_EVENT));
  EXPECT_EQ(ev.req_id, 0u);
  EXPECT_EQ(ev.payload, event("device", "tok"));  // relative, as registered; the node need not exist
  EXPECT_EQ(g1.available(), 0u);
}

TEST_F(Watching, AChangeBelowTheWatchedPathFiresWithThePathThatChanged) {
  g1.call(XS_WATCH, arg("/local/domain/1/device") + arg("abs"));
  g1.receive();
  d.dom0().write("/local/domain/1/device/vif/0/state", "1");
  ASSERT_GT(g1.available(), 0u);
  EXPECT_EQ(g1.receive().payload, event("/local/domain/1/device/vif/0/state", "abs"));
  EXPECT_EQ(g1.available(), 0u);
}

TEST_F(Watching, AChangeAboveOrBesideTheWatchedPathDoesNotFire) {
  g1.call(XS_WATCH, arg("a/b") + arg("t"));
  g1.receive();
  g1.call(XS_WRITE, arg("a") + "x");
  g1.call(XS_WRITE, arg("a/bc") + "x");
  EXPECT_EQ(g1.available(), 0u);
}

TEST_F(Watching, RemovingASubtreeFiresTheWatchesBelowItWithTheirOwnPaths) {
  g1.call(XS_WRITE, arg("x/y/z") + "1");
  g1.call(XS_WATCH, arg("x/y/z") + arg("deep"));
  g1.receive();
  EXPECT_EQ(g1.call(XS_RM, arg("x")).payload, kOk);
  EXPECT_EQ(g1.receive().payload, event("x/y/z", "deep"));
}

TEST_F(Watching, TheWriterHearsItsOwnChangesToo) {
  g1.call(XS_WATCH, arg("mine") + arg("t"));
  g1.receive();
  g1.call(XS_WRITE, arg("mine") + "1");
  EXPECT_EQ(g1.receive().payload, event("mine", "t"));
}

TEST_F(Watching, NoPermissionNoEvent) {
  g2.call(XS_WATCH, arg("/local/domain/1") + arg("spy"));
  EXPECT_EQ(g2.available(), 0u);  // not even the first event: domain 2 may not read there
  g1.call(XS_WRITE, arg("secret") + "s");
  EXPECT_EQ(g2.available(), 0u);
  g1.call(XS_SET_PERMS, arg("secret") + arg("n1") + arg("r2"));
  EXPECT_EQ(g2.receive().payload, event("/local/domain/1/secret", "spy"));
}

TEST_F(Watching, UnwatchStopsEventsAndAnUnknownWatchIsEnoent) {
  g1.call(XS_WATCH, arg("w") + arg("t"));
  g1.receive();
  EXPECT_EQ(g1.call(XS_UNWATCH, arg("w") + arg("t")).payload, kOk);
  g1.call(XS_WRITE, arg("w") + "1");
  EXPECT_EQ(g1.available(), 0u);
  EXPECT_EQ(g1.call(XS_UNWATCH, arg("w") + arg("t")).payload, std::string("ENOENT\0", 7));
}

TEST_F(Watching, TheSameWatchTwiceIsEexist) {
  g1.call(XS_WATCH, arg("w") + arg("t"));
  g1.receive();
  EXPECT_EQ(g1.call(XS_WATCH, arg("w") + arg("t")).payload, std::string("EEXIST\0", 7));
  EXPECT_EQ(g1.call(XS_WATCH, arg("w")).payload, std::string("EINVAL\0", 7));
}

TEST_F(Watching, AGuestMayHoldAtMost128Watches) {
  for (u32 i = 0; i < 128; ++i) {
    ASSERT_EQ(g1.call(XS_WATCH, arg("w") + arg(std::to_string(i))).payload, kOk);
    g1.receive();
  }
  EXPECT_EQ(g1.call(XS_WATCH, arg("w") + arg("one-more")).payload, std::string("E2BIG\0", 6));
}

TEST_F(Watching, IntroduceAndReleaseFireTheSpecialWatches) {
  std::vector<std::string> seen;
  d.dom0().watch("@introduceDomain", "i", [&](const std::string& p, const std::string&) { seen.push_back(p); });
  d.dom0().watch("@releaseDomain", "r", [&](const std::string& p, const std::string&) { seen.push_back(p); });
  seen.clear();
  StoreRing g3{ram, d, 3, 0x7000};
  EXPECT_EQ(d.release(3), 0);
  EXPECT_EQ(seen, (std::vector<std::string>{"@introduceDomain", "@releaseDomain"}));
  EXPECT_EQ(d.release(3), ENOENT);
}

TEST_F(Watching, ResetWatchesDropsEveryWatch) {
  g1.call(XS_WATCH, arg("a") + arg("1"));
  g1.receive();
  EXPECT_EQ(g1.call(XS_RESET_WATCHES, arg("")).payload, kOk);
  g1.call(XS_WRITE, arg("a") + "1");
  EXPECT_EQ(g1.available(), 0u);
}

}  // namespace
}  // namespace ring1::xs
