// The port I/O address space (mmu/port_bus.h): routing by claimed range, the unassigned-bus behaviour of
// unclaimed ports, whole-width accesses going to the first port's device, and the per-port counters.
#include <gtest/gtest.h>

#include "mmu/port_bus.h"

namespace ring1::test {
namespace {

// A device that remembers its last access and answers reads with a fixed value.
struct Recorder {
  u32 answer = 0;
  int reads = 0, writes = 0;
  u16 port = 0;
  u8 size = 0;
  u32 value = 0;

  static u32 read(void* ctx, u16 port, u8 size) {
    auto* r = static_cast<Recorder*>(ctx);
    ++r->reads;
    r->port = port;
    r->size = size;
    return r->answer;
  }
  static void write(void* ctx, u16 port, u8 size, u32 value) {
    auto* r = static_cast<Recorder*>(ctx);
    ++r->writes;
    r->port = port;
    r->size = size;
    r->value = value;
  }
  PortHandler handler() { return {&Recorder::read, &Recorder::write, this}; }
};

TEST(PortBus, UnclaimedPortsReadAllOnesAtEveryWidth) {
  PortBus bus;
  EXPECT_EQ(bus.read(0x80, 1), 0xFFu);
  EXPECT_EQ(bus.read(0x80, 2), 0xFFFFu);
  EXPECT_EQ(bus.read(0x80, 4), 0xFFFFFFFFu);
  bus.write(0x80, 4, 0x12345678);  // dropped, and nothing breaks
  EXPECT_FALSE(bus.claimed(0x80));
}

TEST(PortBus, AClaimedRangeReceivesReadsAndWritesWithPortSizeAndValue) {
  PortBus bus;
  Recorder dev;
  dev.answer = 0xA5;
  ASSERT_TRUE(bus.attach(0x3F8, 8, dev.handler()));
  EXPECT_EQ(bus.read(0x3FD, 1), 0xA5u);
  EXPECT_EQ(dev.port, 0x3FDu);
  EXPECT_EQ(dev.size, 1u);
  bus.write(0x3F8, 2, 0xBEEF);
  EXPECT_EQ(dev.port, 0x3F8u);
  EXPECT_EQ(dev.size, 2u);
  EXPECT_EQ(dev.value, 0xBEEFu);
  // The ports on either side of the range are not the device's.
  EXPECT_EQ(bus.read(0x3F7, 1), 0xFFu);
  EXPECT_EQ(bus.read(0x400, 1), 0xFFu);
  EXPECT_EQ(dev.reads, 1);
}

TEST(PortBus, ReadValuesAndWrittenValuesAreCutToTheAccessWidth) {
  PortBus bus;
  Recorder dev;
  dev.answer = 0x11223344;
  ASSERT_TRUE(bus.attach(0x60, 1, dev.handler()));
  EXPECT_EQ(bus.read(0x60, 1), 0x44u);
  EXPECT_EQ(bus.read(0x60, 2), 0x3344u);
  EXPECT_EQ(bus.read(0x60, 4), 0x11223344u);
  bus.write(0x60, 1, 0xABCD);
  EXPECT_EQ(dev.value, 0xCDu);
}

TEST(PortBus, AWideAccessGoesWholeToTheDeviceOfItsFirstPort) {
  PortBus bus;
  Recorder a, b;
  a.answer = 0xAAAAAAAA;
  b.answer = 0xBBBBBBBB;
  ASSERT_TRUE(bus.attach(0x100, 2, a.handler()));
  ASSERT_TRUE(bus.attach(0x102, 2, b.handler()));
  EXPECT_EQ(bus.read(0x101, 4), 0xAAAAAAAAu);  // spans 0x101..0x104, but 0x101 is a's
  EXPECT_EQ(a.size, 4u);
  EXPECT_EQ(b.reads, 0);
  // Starting on an unclaimed port, the whole access is unclaimed even if it runs into a device.
  EXPECT_EQ(bus.read(0xFF, 4), 0xFFFFFFFFu);
  EXPECT_EQ(a.reads, 1);
}

TEST(PortBus, OverlappingOrOutOfRangeClaimsAreRefusedAndClaimNothing) {
  PortBus bus;
  Recorder a, b;
  ASSERT_TRUE(bus.attach(0x20, 2, a.handler()));
  EXPECT_FALSE(bus.attach(0x1F, 2, b.handler()));  // overlaps 0x20
  EXPECT_FALSE(bus.claimed(0x1F));
  EXPECT_FALSE(bus.attach(0xFFFF, 2, b.handler()));  // runs past the last port
  EXPECT_FALSE(bus.claimed(0xFFFF));
  EXPECT_FALSE(bus.attach(0x40, 0, b.handler()));
  EXPECT_TRUE(bus.attach(0xFFFF, 1, b.handler()));  // the last port itself is fine
  EXPECT_TRUE(bus.claimed(0xFFFF));
}

TEST(PortBus, DetachedPortsReadAllOnesAgain) {
  PortBus bus;
  Recorder dev;
  dev.answer = 0;
  ASSERT_TRUE(bus.attach(0x70, 2, dev.handler()));
  bus.detach(0x70, 2);
  EXPECT_EQ(bus.read(0x71, 1), 0xFFu);
  EXPECT_EQ(dev.reads, 0);
  EXPECT_TRUE(bus.attach(0x70, 2, dev.handler()));  // and may be claimed anew
}

TEST(PortBus, AHandlerWithoutAReadFunctionReadsAsUnclaimed) {
  PortBus bus;
  Recorder dev;
  ASSERT_TRUE(bus.attach(0xE9, 1, {nullptr, &Recorder::write, &dev}));
  EXPECT_EQ(bus.read(0xE9, 1), 0xFFu);
  bus.write(0xE9, 1, 'x');
  EXPECT_EQ(dev.value, u32('x'));
}

TEST(PortBus, CountersListEveryTouchedPortInAscendingOrder) {
  PortBus bus;
  Recorder dev;
  ASSERT_TRUE(bus.attach(0x3F8, 8, dev.handler()));
  bus.write(0x3F8, 1, 'a');
  bus.write(0x3F8, 1, 'b');
  bus.read(0x3FD, 1);
  bus.read(0x80, 1);   // unclaimed ports count too: the report shows what the guest probed
  bus.write(0x80, 4, 0);
  bus.read(0x3F8, 2);  // counted once, at its first port
  EXPECT_EQ(bus.reads(0x3F8), 1u);
  EXPECT_EQ(bus.writes(0x3F8), 2u);
  EXPECT_EQ(bus.reads(0x3F9), 0u);
  auto t = bus.touched();
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].port, 0x80u);
  EXPECT_EQ(t[0].reads, 1u);
  EXPECT_EQ(t[0].writes, 1u);
  EXPECT_EQ(t[1].port, 0x3F8u);
  EXPECT_EQ(t[1].reads, 1u);
  EXPECT_EQ(t[1].writes, 2u);
  EXPECT_EQ(t[2].port, 0x3FDu);
  bus.reset_counters();
  EXPECT_TRUE(bus.touched().empty());
}

}  // namespace
}  // namespace ring1::test
