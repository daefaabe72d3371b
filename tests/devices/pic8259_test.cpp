// The 8259A pair (Intel datasheet 231468) through its ports and its INTA interface: the ICW sequence,
// IMR, fixed priority and nesting, EOI forms, OCW3 status reads, the cascade, auto-EOI, rotation, poll,
// and the spurious IR7/IR15 of a request that went away before INTA.
#include <gtest/gtest.h>

#include "devices/pc_guest.h"

namespace ring1::test {
namespace {

struct PicTest : ::testing::Test {
  PcGuest m;
  Pic8259& pic = m.pc.pic();
  u8 isr_master() {
    m.out(0x20, 0x0B);
    return m.in(0x20);
  }
  u8 irr_master() {
    m.out(0x20, 0x0A);
    return m.in(0x20);
  }
};

TEST_F(PicTest, AnUninitialisedPicPresentsNothing) {
  pic.set_irq(3, true);
  EXPECT_FALSE(pic.pending());
}

TEST_F(PicTest, InitialisationSetsVectorBasesAndDataPortReadsTheMask) {
  m.init_pics(0xB5, 0x5A);
  EXPECT_EQ(m.in(0x21), 0xB5);
  EXPECT_EQ(m.in(0xA1), 0x5A);
  m.out(0x21, 0x00);
  pic.set_irq(3, true);
  ASSERT_TRUE(pic.pending());
  EXPECT_EQ(pic.acknowledge(), 0x23);
  EXPECT_EQ(isr_master(), 0x08);
}

TEST_F(PicTest, MaskedRequestsWaitInIrrUntilUnmasked) {
  m.init_pics(0x08, 0xFF);
  pic.set_irq(3, true);
  EXPECT_FALSE(pic.pending());
  EXPECT_EQ(irr_master(), 0x08);
  m.out(0x21, 0x00);
  EXPECT_TRUE(pic.pending());
  EXPECT_EQ(pic.acknowledge(), 0x23);
}

TEST_F(PicTest, FixedPriorityNestsHigherRequestsAndEoiClearsTheHighestInService) {
  m.init_pics(0x00, 0xFF);
  pic.set_irq(5, true);
  pic.set_irq(3, true);
  EXPECT_EQ(pic.acknowledge(), 0x23);  // IR3 outranks IR5
  EXPECT_FALSE(pic.pending());         // IR5 waits for IR3's EOI
  pic.set_irq(1, true);
  ASSERT_TRUE(pic.pending());          // IR1 outranks the one in service
  EXPECT_EQ(pic.acknowledge(), 0x21);
  EXPECT_EQ(isr_master(), 0x0A);
  m.out(0x20, 0x20);                   // non-specific EOI: IR1
  EXPECT_EQ(isr_master(), 0x08);
  EXPECT_FALSE(pic.pending());
  m.out(0x20, 0x63);                   // specific EOI for IR3
  EXPECT_EQ(isr_master(), 0x00);
  EXPECT_EQ(pic.acknowledge(), 0x25);
}

TEST_F(PicTest, EdgeTriggeredLinesRequestOncePerRisingEdge) {
  m.init_pics(0x00, 0xFF);
  pic.set_irq(4, true);
  EXPECT_EQ(pic.acknowledge(), 0x24);
  m.out(0x20, 0x20);
  pic.set_irq(4, true);  // still high: no new edge
  EXPECT_FALSE(pic.pending());
  pic.set_irq(4, false);
  pic.set_irq(4, true);
  EXPECT_TRUE(pic.pending());
}

TEST_F(PicTest, SlaveRequestsArriveThroughTheCascadeWithTheSlavesVector) {
  m.init_pics(0x00, 0x00);
  pic.set_irq(10, true);
  ASSERT_TRUE(pic.pending());
  EXPECT_EQ(pic.acknowledge(), 0x2A);
  EXPECT_EQ(isr_master(), 0x04);
  m.out(0xA0, 0x0B);
  EXPECT_EQ(m.in(0xA0), 0x04);
  // The slave's own priority applies within IR2: IRQ 9 waits for IRQ 10's slave EOI and then the master's.
  pic.set_irq(9, true);
  EXPECT_FALSE(pic.pending());
  m.out(0xA0, 0x20);
  EXPECT_FALSE(pic.pending()) << "the master's IR2 is still in service";
  m.out(0x20, 0x20);
  ASSERT_TRUE(pic.pending());
  EXPECT_EQ(pic.acknowledge(), 0x29);
}

TEST_F(PicTest, ARequestThatVanishedBeforeIntaGivesSpuriousIr7WithoutIsr) {
  m.init_pics(0x00, 0x00);
  pic.set_irq(3, true);
  EXPECT_EQ(irr_master(), 0x08);
  pic.set_irq(3, false);  // the device dropped its line before the CPU acknowledged
  EXPECT_EQ(irr_master(), 0x00);
  EXPECT_EQ(pic.acknowledge(), 0x27);
  EXPECT_EQ(isr_master(), 0x00);
  EXPECT_EQ(pic.spurious(), 1u);
}

TEST_F(PicTest, ASlaveRequestMaskedBeforeIntaTakesTheCascadeRequestWithIt) {
  m.init_pics(0x00, 0x00);
  pic.set_irq(12, true);
  ASSERT_TRUE(pic.pending());
  EXPECT_EQ(irr_master(), 0x04);
  m.out(0xA1, 0x10);  // the guest masks IRQ 12 before the CPU acknowledges
  EXPECT_EQ(irr_master(), 0x00) << "the slave's INT, the master's IR2 input, fell";
  EXPECT_EQ(pic.acknowledge(), 0x27);
  EXPECT_EQ(isr_master(), 0x00);
}

TEST_F(PicTest, AutoEoiLeavesNothingInService) {
  m.init_pics(0x00, 0xFF, /*auto_eoi=*/true);
  pic.set_irq(6, true);
  EXPECT_EQ(pic.acknowledge(), 0x26);
  EXPECT_EQ(isr_master(), 0x00);
  pic.set_irq(7, true);
  EXPECT_TRUE(pic.pending()) << "no EOI needed";
}

TEST_F(PicTest, SetPriorityRotatesWhichLevelIsHighest) {
  m.init_pics(0x00, 0xFF);
  m.out(0x20, 0xC4);  // set priority: IR4 lowest, so IR5 is highest
  pic.set_irq(1, true);
  pic.set_irq(6, true);
  EXPECT_EQ(pic.acknowledge(), 0x26);
  m.out(0x20, 0xE6);  // rotate on specific EOI for IR6: IR6 becomes lowest, IR7 highest
  EXPECT_EQ(pic.acknowledge(), 0x21);
}

TEST_F(PicTest, PollCommandReadsTheHighestRequestAsAnAcknowledge) {
  m.init_pics(0x00, 0xFF);
  pic.set_irq(5, true);
  m.out(0x20, 0x0C);  // OCW3: poll
  EXPECT_EQ(m.in(0x20), 0x85);
  EXPECT_EQ(isr_master(), 0x20);
  m.out(0x20, 0x0C);
  EXPECT_EQ(m.in(0x20), 0x00);
}

TEST_F(PicTest, SpecialMaskModeLetsLowerLevelsInWhileTheMaskedOneIsInService) {
  m.init_pics(0x00, 0xFF);
  pic.set_irq(2 + 1, true);
  EXPECT_EQ(pic.acknowledge(), 0x23);
  pic.set_irq(6, true);
  EXPECT_FALSE(pic.pending());
  m.out(0x21, 0x08);  // mask IR3 ...
  m.out(0x20, 0x68);  // ... and enter special mask mode
  ASSERT_TRUE(pic.pending());
  EXPECT_EQ(pic.acknowledge(), 0x26);
}

// A halted CPU asks the pair whether the timer's IRQ 0 (the PC platform's one timed line) could still reach
// it; each obstacle is named, and none is reported once the line can get through.
TEST_F(PicTest, TheTimerLineCannotWakeTheCpuThroughAnUninitialisedPic) {
  const char* why = pic.wake_blocked();
  ASSERT_NE(why, nullptr);
  EXPECT_NE(std::string(why).find("never initialised"), std::string::npos) << why;
}

TEST_F(PicTest, TheTimerLineCannotWakeTheCpuWhileMaskedAndCanOnceUnmasked) {
  m.init_pics(0x01, 0xFF);
  const char* why = pic.wake_blocked();
  ASSERT_NE(why, nullptr);
  EXPECT_NE(std::string(why).find("IRQ 0 (the timer) is masked at the master PIC (IMR 0x01)"), std::string::npos) << why;
  m.out(0x21, 0xFE);  // everything else masked: IRQ 0 alone is enough
  EXPECT_EQ(pic.wake_blocked(), nullptr);
}

TEST_F(PicTest, TheTimerLineCannotWakeTheCpuWhileItsLastInterruptIsStillInService) {
  m.init_pics(0x00, 0xFF);
  pic.set_irq(0, false);
  pic.set_irq(0, true);                // a rising edge (the PIT holds the line high from power-up)
  ASSERT_EQ(pic.acknowledge(), 0x20);  // IRQ 0 in service, and no EOI yet
  pic.set_irq(0, false);
  const char* why = pic.wake_blocked();
  ASSERT_NE(why, nullptr);
  EXPECT_NE(std::string(why).find("still in service"), std::string::npos) << why;
  m.out(0x20, 0x20);  // non-specific EOI
  EXPECT_EQ(pic.wake_blocked(), nullptr);
}

TEST_F(PicTest, ALowerPriorityInterruptInServiceDoesNotHoldOffTheTimer) {
  m.init_pics(0x00, 0xFF);
  pic.set_irq(3, true);
  ASSERT_EQ(pic.acknowledge(), 0x23);  // IRQ 3 in service: IRQ 0 still nests above it
  EXPECT_EQ(pic.wake_blocked(), nullptr);
}

}  // namespace
}  // namespace ring1::test
