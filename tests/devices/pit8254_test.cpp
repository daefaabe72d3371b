// The 8254 (Intel datasheet 231164) on the modelled clock: channel 0's IRQ 0 arrives at exact cycles,
// ceil(k * N * cpu_hz / 1193182) after the count was loaded, computed from the load so that no error
// accumulates; counters read, latch and read back the value the cycle count implies. At the default 1 GHz
// one input clock is 838.095... cycles.
#include <gtest/gtest.h>

#include "devices/pc_guest.h"

namespace ring1::test {
namespace {

// A guest that waits in HLT for timer interrupts and counts them in ECX; the handler sends EOI.
constexpr const char* kTickGuest =
    " jmp start\n.org 0x40\n inc ecx\n mov al, 0x20\n out 0x20, al\n iretd\n.org 0x80\nstart:\n sti\n"
    " hlt\n hlt\n hlt\n hlt\n hlt\n cli\n hlt\n";

TEST(Pit8254, Mode2InterruptsArriveAtExactCyclesWithoutDrift) {
  PcGuest m;
  m.record_ticks();
  m.gate(0x20, 0x40, SystemGuest::kInterruptGate, 0);
  m.init_pics(0xFE, 0xFF);
  m.program_pit(2, 1193);  // ~1 kHz, loaded at cycle 0
  m.load_asm(kTickGuest);
  ASSERT_EQ(m.run(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.r(ECX), 5u);
  // ceil(k * 1193 * 10^9 / 1193182): 999848 per period would drift to 4999240 by k = 5.
  ASSERT_GE(m.ticks.size(), 5u);
  EXPECT_EQ(m.ticks[0], 999848u);
  EXPECT_EQ(m.ticks[1], 1999695u);
  EXPECT_EQ(m.ticks[2], 2999543u);
  EXPECT_EQ(m.ticks[3], 3999390u);
  EXPECT_EQ(m.ticks[4], 4999238u);
  EXPECT_EQ(m.pc.pit().irq0_pulses(), m.ticks.size());
}

TEST(Pit8254, Mode3SquareWaveInterruptsOncePerPeriodAndItsOutputIsHighForTheFirstHalf) {
  PcGuest m;
  m.record_ticks();
  m.gate(0x20, 0x40, SystemGuest::kInterruptGate, 0);
  m.init_pics(0xFE, 0xFF);
  m.program_pit(3, 2000);
  EXPECT_TRUE(m.pc.pit().out(0));
  m.cpu.cycles = 837'000;  // clock 998: still the first half
  EXPECT_TRUE(m.pc.pit().out(0));
  m.cpu.cycles = 839'000;  // clock 1001: second half
  EXPECT_FALSE(m.pc.pit().out(0));
  m.cpu.cycles = 0;
  m.load_asm(kTickGuest);
  ASSERT_EQ(m.run(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.r(ECX), 5u);
  ASSERT_GE(m.ticks.size(), 3u);
  EXPECT_EQ(m.ticks[0], 1676191u);
  EXPECT_EQ(m.ticks[1], 3352381u);
  EXPECT_EQ(m.ticks[2], 5028571u);
}

TEST(Pit8254, Mode0InterruptsOnceAtTheTerminalCount) {
  PcGuest m;
  m.record_ticks();
  m.gate(0x20, 0x40, SystemGuest::kInterruptGate, 0);
  m.init_pics(0xFE, 0xFF);
  m.program_pit(0, 500);
  EXPECT_FALSE(m.pc.pit().out(0));  // low from the control word
  m.load_asm(kTickGuest);
  ASSERT_EQ(m.run(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.r(ECX), 1u);  // one interrupt; the second HLT has nothing left to wait for
  ASSERT_EQ(m.ticks.size(), 1u);
  EXPECT_EQ(m.ticks[0], 419048u);  // ceil(500 * 10^9 / 1193182)
  EXPECT_TRUE(m.pc.pit().out(0));
}

TEST(Pit8254, ReadingACounterGivesTheValueTheCycleCountImplies) {
  PcGuest m;
  m.program_pit(2, 1000);
  m.cpu.cycles = 5'000'000;  // floor(5e6 * 1193182 / 1e9) = 5965 clocks: 1000 - 965 = 35
  EXPECT_EQ(m.in(0x40), 35);
  EXPECT_EQ(m.in(0x40), 0);
}

TEST(Pit8254, TheLatchHoldsTheCountUntilBothBytesAreRead) {
  PcGuest m;
  m.program_pit(2, 1000);
  m.cpu.cycles = 5'000'000;
  m.out(0x43, 0x00);          // latch channel 0
  m.cpu.cycles = 5'100'000;   // the counter moves on ...
  m.out(0x43, 0x00);          // ... and a second latch before reading is ignored
  EXPECT_EQ(m.in(0x40), 35);  // ... the latch does not
  EXPECT_EQ(m.in(0x40), 0);
  // Now live again: floor(5.1e6 * 1193182 / 1e9) = 6085 clocks: 1000 - 85 = 915 = 0x393.
  EXPECT_EQ(m.in(0x40), 0x93);
  EXPECT_EQ(m.in(0x40), 0x03);
}

TEST(Pit8254, ReadBackLatchesStatusThenCount) {
  PcGuest m;
  m.program_pit(2, 1000);
  m.cpu.cycles = 5'000'000;
  m.out(0x43, 0xC2);  // read-back: count and status of channel 0
  EXPECT_EQ(m.in(0x40), 0xB4);  // OUT high, count loaded, LSB-then-MSB, mode 2, binary
  EXPECT_EQ(m.in(0x40), 35);
  EXPECT_EQ(m.in(0x40), 0);
  // A fresh control word: null count until a count is written and clocked in.
  m.out(0x43, 0xB0);  // channel 2, LSB then MSB, mode 0
  m.out(0x43, 0xE8);  // read-back: status of channel 2 only
  EXPECT_EQ(m.in(0x42), 0x70);  // OUT low, null count, mode 0
}

TEST(Pit8254, BcdCountingReadsDecimalDigits) {
  PcGuest m;
  m.out(0x43, 0x35);  // channel 0, LSB then MSB, mode 2, BCD
  m.out(0x40, 0x00);
  m.out(0x40, 0x10);  // 1000 in BCD
  m.cpu.cycles = 5'000'000;
  EXPECT_EQ(m.in(0x40), 0x35);
  EXPECT_EQ(m.in(0x40), 0x00);
}

TEST(Pit8254, LsbOnlyAndMsbOnlyAccessModes) {
  PcGuest m;
  m.out(0x43, 0x54);  // channel 1, LSB only, mode 2
  m.out(0x41, 18);    // the PC's DRAM refresh setting
  m.out(0x43, 0xA4);  // channel 2, MSB only, mode 2
  m.out(0x42, 0x02);  // 0x200
  m.cpu.cycles = 10'000;  // 11 clocks
  EXPECT_EQ(m.in(0x41), 18 - 11);
  EXPECT_EQ(m.in(0x42), 0x01);  // 0x200 - 11 = 0x1F5
}

TEST(Pit8254, Channel2GateAndOutputThroughPort61) {
  PcGuest m;
  m.out(0x43, 0xB2);  // channel 2, mode 1: a one-shot started by the gate
  m.out(0x42, 100);
  m.out(0x42, 0);
  EXPECT_EQ(m.in(0x61) & 0x21, 0x20);  // gate low, OUT high: not triggered
  m.out(0x61, 0x01);  // gate rises at cycle 0: OUT low for 100 clocks
  EXPECT_EQ(m.in(0x61) & 0x21, 0x01);
  m.cpu.cycles = 84'000;  // clock 100
  EXPECT_EQ(m.in(0x61) & 0x20, 0x20);
}

TEST(Pit8254, TheCpuFrequencyScalesTheTick) {
  PcGuest m;
  m.program_pit(2, 1193);
  // At 1 GHz the first edge is at 999848; the same count at another CPU clock scales with it.
  EXPECT_EQ(m.cpu.next_event(), 999848u);
  PcOptions o;
  o.cpu_hz = 2'000'000'000;
  SystemGuest g;
  PcPlatform pc(g.cpu, g.mmu, g.ports, SystemGuest::kRam, o);
  g.ports.write(0x43, 1, 0x34);
  g.ports.write(0x40, 1, 1193 & 0xFF);
  g.ports.write(0x40, 1, 1193 >> 8);
  EXPECT_EQ(g.cpu.next_event(), 1999695u);
}

}  // namespace
}  // namespace ring1::test
