// The MC146818 RTC and CMOS RAM: the fixed clock (2003-10-19 00:00:00 plus modelled time) in BCD and
// binary, 12-hour mode, writes that set the clock, register D, and QEMU's memory-size bytes.
#include <gtest/gtest.h>

#include "devices/pc_guest.h"

namespace ring1::test {
namespace {

u8 cmos(PcGuest& m, u8 index) {
  m.out(0x70, index);
  return m.in(0x71);
}

TEST(CmosRtc, TheFixedClockReadsTheSosp2003OpeningInBcd) {
  PcGuest m;
  EXPECT_EQ(cmos(m, 0x00), 0x00);
  EXPECT_EQ(cmos(m, 0x02), 0x00);
  EXPECT_EQ(cmos(m, 0x04), 0x00);
  EXPECT_EQ(cmos(m, 0x06), 0x01);  // Sunday
  EXPECT_EQ(cmos(m, 0x07), 0x19);
  EXPECT_EQ(cmos(m, 0x08), 0x10);
  EXPECT_EQ(cmos(m, 0x09), 0x03);
  EXPECT_EQ(cmos(m, 0x32), 0x20);
  EXPECT_EQ(cmos(m, 0x0A) & 0x80, 0) << "UIP is never set";
  EXPECT_EQ(cmos(m, 0x0B), 0x02);   // 24-hour, BCD
  EXPECT_EQ(cmos(m, 0x0D), 0x80);   // valid RAM and time
}

TEST(CmosRtc, TimeAdvancesWithModelledCyclesAndReadsInBinaryWhenAsked) {
  PcGuest m;
  m.cpu.cycles = 3723ull * 1'000'000'000;  // 1 h 2 min 3 s at 1 GHz
  EXPECT_EQ(cmos(m, 0x04), 0x01);
  EXPECT_EQ(cmos(m, 0x02), 0x02);
  EXPECT_EQ(cmos(m, 0x00), 0x03);
  m.out(0x70, 0x0B);
  m.out(0x71, 0x06);  // binary, 24-hour
  EXPECT_EQ(cmos(m, 0x07), 19);
  EXPECT_EQ(cmos(m, 0x08), 10);
  EXPECT_EQ(cmos(m, 0x32), 20);
}

TEST(CmosRtc, TwelveHourModeSetsBit7ForPm) {
  PcGuest m;
  m.cpu.cycles = 13ull * 3600 * 1'000'000'000;  // 13:00
  m.out(0x70, 0x0B);
  m.out(0x71, 0x00);  // BCD, 12-hour
  EXPECT_EQ(cmos(m, 0x04), 0x81);
  m.cpu.cycles = 0;
  EXPECT_EQ(cmos(m, 0x04), 0x12);  // midnight is 12 AM
}

TEST(CmosRtc, WritingATimeRegisterSetsTheClock) {
  PcGuest m;
  m.out(0x70, 0x02);
  m.out(0x71, 0x45);  // minutes = 45
  m.out(0x70, 0x09);
  m.out(0x71, 0x07);  // year = 07
  EXPECT_EQ(cmos(m, 0x02), 0x45);
  EXPECT_EQ(cmos(m, 0x09), 0x07);
  EXPECT_EQ(cmos(m, 0x07), 0x19);
  EXPECT_EQ(cmos(m, 0x06), 0x06);  // 2007-10-19 was a Friday
}

TEST(CmosRtc, MemorySizeBytesAreWhatQemusPcWrites) {
  PcGuest m;  // 16 MiB of RAM
  EXPECT_EQ(cmos(m, 0x15) | (cmos(m, 0x16) << 8), 640);
  EXPECT_EQ(cmos(m, 0x17) | (cmos(m, 0x18) << 8), 15 * 1024);
  EXPECT_EQ(cmos(m, 0x30) | (cmos(m, 0x31) << 8), 15 * 1024);
  EXPECT_EQ(cmos(m, 0x34) | (cmos(m, 0x35) << 8), 0);
  SystemGuest g;
  CmosRtc big(g.cpu, 1'000'000'000, RtcMode::Fixed, 128ull << 20);
  EXPECT_EQ(big.read(0x17) | (big.read(0x18) << 8), 0xFFFF);      // 127 MiB does not fit: capped
  EXPECT_EQ(big.read(0x34) | (big.read(0x35) << 8), 112 * 16);    // 64 KiB units above 16 MiB
}

TEST(CmosRtc, RamBytesKeepWhatIsWrittenAndTheIndexCarriesTheNmiMask) {
  PcGuest m;
  m.out(0x70, 0x80 | 0x40);
  m.out(0x71, 0xA5);
  EXPECT_TRUE(m.pc.rtc().nmi_masked());
  EXPECT_EQ(cmos(m, 0x40), 0xA5);
  EXPECT_FALSE(m.pc.rtc().nmi_masked());
  EXPECT_EQ(m.in(0x70), 0xFF);
}

TEST(CmosRtc, HostModeReadsTheHostsClock) {
  SystemGuest g;
  CmosRtc rtc(g.cpu, 1'000'000'000, RtcMode::Host, 16u << 20);
  const i64 host = i64(std::time(nullptr));
  EXPECT_GE(rtc.now(), host - 1);
  EXPECT_LE(rtc.now(), host + 2);
}

}  // namespace
}  // namespace ring1::test
