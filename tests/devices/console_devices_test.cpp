// The console devices a guest reaches by port I/O: the 16550 UART's registers (NS16550A datasheet),
// its IRQ 4 through the PIC into a guest IDT handler, the 0xE9 debug console and isa-debug-exit.
#include <gtest/gtest.h>

#include "devices/pc_guest.h"

namespace ring1::test {
namespace {

constexpr u16 kCom1 = 0x3F8;

TEST(DebugExit, WritesOfEachWidthStopTheRunWithValueShiftedLeftOrOne) {
  struct Case {
    const char* code;
    u64 status;
  };
  for (const Case& c : {Case{"mov al, 0x21\n out 0xF4, al\n", 0x43}, Case{"mov ax, 0x1234\n out 0xF4, ax\n", 0x2469},
                        Case{"mov eax, 0x80000001\n out 0xF4, eax\n", 0x100000003ull},
                        Case{"mov eax, 0xFFFFFF00\n out 0xF4, al\n", 1}}) {
    PcGuest m;
    m.load_asm(std::string(c.code) + " mov ecx, 1\n");
    EXPECT_EQ(m.run(), StopReason::Requested) << c.code;
    EXPECT_EQ(m.pc.exit_status(), c.status) << c.code;
    EXPECT_EQ(m.r(ECX), 0u) << "the run stops after the OUT retires";
  }
}

TEST(DebugExit, NoWriteMeansNoStatus) {
  PcGuest m;
  m.load_asm("in al, 0xF4\n");
  EXPECT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_FALSE(m.pc.exit_status());
  EXPECT_EQ(m.r(EAX) & 0xFF, 0xFFu);  // reads are not decoded
}

TEST(DebugCon, BytesWrittenToE9ReachTheConsoleAndReadsReturnE9) {
  PcGuest m;
  m.load_asm("mov al, 'o'\n out 0xE9, al\n mov al, 'k'\n out 0xE9, al\n in al, 0xE9\n");
  EXPECT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.pc.console_text(), "ok");
  EXPECT_EQ(m.r(EAX) & 0xFF, 0xE9u);
}

TEST(Uart16550, ResetStateAndTheAlwaysReadyTransmitter) {
  PcGuest m;
  EXPECT_EQ(m.in(kCom1 + 5), 0x60);  // THRE | TEMT, no data
  EXPECT_EQ(m.in(kCom1 + 2), 0x01);  // no interrupt, no FIFOs
  EXPECT_EQ(m.in(kCom1 + 6), 0xB0);  // DCD, DSR, CTS
  m.out(kCom1, 'h');
  m.out(kCom1, 'i');
  EXPECT_EQ(m.pc.console_text(), "hi");
  EXPECT_EQ(m.in(kCom1 + 5), 0x60);
}

TEST(Uart16550, DlabSwitchesOffsetsZeroAndOneToTheDivisorLatch) {
  PcGuest m;
  m.out(kCom1 + 1, 0x05);  // IER
  m.out(kCom1 + 3, 0x83);  // DLAB, 8N1
  m.out(kCom1 + 0, 0x0C);
  m.out(kCom1 + 1, 0x00);
  EXPECT_EQ(m.in(kCom1 + 0), 0x0C);
  EXPECT_EQ(m.in(kCom1 + 1), 0x00);
  m.out(kCom1 + 3, 0x03);
  EXPECT_EQ(m.in(kCom1 + 1), 0x05);
  EXPECT_EQ(m.in(kCom1 + 3), 0x03);
  EXPECT_EQ(m.pc.console_text(), "") << "divisor writes are not transmitted";
  m.out(kCom1 + 7, 0x5A);
  EXPECT_EQ(m.in(kCom1 + 7), 0x5A);  // scratch
}

TEST(Uart16550, ReceivesFromTheInputSourceAndReportsDataReady) {
  PcGuest m;
  m.input = "ab";
  EXPECT_EQ(m.in(kCom1 + 5), 0x61);
  EXPECT_EQ(m.in(kCom1), 'a');
  EXPECT_EQ(m.in(kCom1 + 5), 0x61);
  EXPECT_EQ(m.in(kCom1), 'b');
  EXPECT_EQ(m.in(kCom1 + 5), 0x60);  // nothing more: a source at its end means no data, never a wait
}

TEST(Uart16550, InterruptIdentificationFollowsPriorityAndFifoMode) {
  PcGuest m;
  m.input = "xy";
  m.out(kCom1 + 1, 0x03);                 // RDA and THRE
  EXPECT_EQ(m.in(kCom1 + 2), 0x04);       // received data outranks THRE
  EXPECT_EQ(m.in(kCom1), 'x');
  EXPECT_EQ(m.in(kCom1), 'y');
  EXPECT_EQ(m.in(kCom1 + 2), 0x02);       // then THRE; reading IIR clears it
  EXPECT_EQ(m.in(kCom1 + 2), 0x01);
  m.out(kCom1, '!');                      // the byte leaves at once: THR empty again
  EXPECT_EQ(m.in(kCom1 + 2), 0x02);
  // FIFOs on, trigger level 4, two bytes waiting and no more coming: the character timeout.
  m.input = "pq";
  m.input_at = 0;
  m.out(kCom1 + 2, 0x47);
  EXPECT_EQ(m.in(kCom1 + 2), 0xCC);
  EXPECT_EQ(m.in(kCom1), 'p');
  EXPECT_EQ(m.in(kCom1), 'q');
  EXPECT_EQ(m.in(kCom1 + 2), 0xC1);       // THRE was cleared by the earlier IIR read
}

TEST(Uart16550, FifoHoldsSixteenBytesAndInterruptsAtTheTriggerLevel) {
  PcGuest m;
  m.input = std::string(20, 'z');
  m.out(kCom1 + 2, 0x81);  // FIFO on, trigger 8
  m.out(kCom1 + 1, 0x01);
  EXPECT_EQ(m.input_at, 16u);  // the FIFO took what fits
  EXPECT_EQ(m.in(kCom1 + 2), 0xC4);
}

TEST(Uart16550, LoopbackSendsTheTransmitterToTheReceiverAndMcrToMsr) {
  PcGuest m;
  m.out(kCom1 + 4, 0x10 | 0x01);          // loopback, DTR
  m.out(kCom1, 'L');
  EXPECT_EQ(m.pc.console_text(), "");
  EXPECT_EQ(m.in(kCom1 + 5), 0x61);
  EXPECT_EQ(m.in(kCom1), 'L');
  const u8 msr = m.in(kCom1 + 6);
  EXPECT_EQ(msr & 0xF0, 0x20);            // DSR = DTR; CTS, RI, DCD follow RTS, OUT1, OUT2 (clear)
  EXPECT_EQ(msr & 0x0F, 0x09);            // deltas: CTS and DCD fell on entering loopback (DSR stayed)
  EXPECT_EQ(m.in(kCom1 + 6) & 0x0F, 0);   // reading MSR cleared the deltas
}

// A guest programs the PICs and the UART's THRE interrupt with OUT2, and takes IRQ 4 at vector 0x24 in
// its handler, which reads IIR (clearing THRE) and sends EOI. Writing a byte makes THR empty again: the
// second interrupt.
TEST(Uart16550, ThreInterruptReachesTheGuestOnIrq4ThroughThePic) {
  PcGuest m;
  m.gate(0x24, 0x40, SystemGuest::kInterruptGate, 0);
  m.init_pics(0xEF, 0xFF);  // IRQ 4 only
  m.load_asm(" jmp start\n.org 0x40\n mov dx, 0x3FA\n in al, dx\n mov bl, al\n inc ecx\n mov al, 0x20\n"
             " out 0x20, al\n iretd\n.org 0x80\nstart:\n"
             " mov dx, 0x3FC\n mov al, 0x08\n out dx, al\n"  // OUT2
             " mov dx, 0x3F9\n mov al, 0x02\n out dx, al\n"  // IER: THRE
             " sti\n nop\n mov dx, 0x3F8\n mov al, 'A'\n out dx, al\n nop\n cli\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(m.r(ECX), 2u);
  EXPECT_EQ(m.r(EBX) & 0xFF, 0x02u);
  EXPECT_EQ(m.pc.console_text(), "A");
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[0x24], 2u);
}

TEST(Uart16550, WithoutOut2NoInterruptLeavesTheChip) {
  PcGuest m;
  m.gate(0x24, 0x40, SystemGuest::kInterruptGate, 0);
  m.init_pics(0xEF, 0xFF);
  m.load_asm(" jmp start\n.org 0x40\n inc ecx\n iretd\n.org 0x80\nstart:\n"
             " mov dx, 0x3F9\n mov al, 0x02\n out dx, al\n sti\n nop\n nop\n cli\n mov dx, 0x3FA\n in al, dx\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(m.r(ECX), 0u);
  EXPECT_EQ(m.r(EAX) & 0xFF, 0x02u);  // the UART itself has the interrupt pending
}

// Received bytes interrupt one at a time: reading RBR drops the line, the next byte raises it again.
TEST(Uart16550, ReceivedDataInterruptsOncePerByte) {
  PcGuest m;
  m.input = "hey";
  m.gate(0x24, 0x40, SystemGuest::kInterruptGate, 0);
  m.init_pics(0xEF, 0xFF);
  m.load_asm(" jmp start\n.org 0x40\n mov dx, 0x3F8\n in al, dx\n mov [0x100000 + ecx], al\n inc ecx\n"
             " mov al, 0x20\n out 0x20, al\n iretd\n.org 0x80\nstart:\n"
             " mov dx, 0x3FC\n mov al, 0x08\n out dx, al\n mov dx, 0x3F9\n mov al, 0x01\n out dx, al\n"
             " sti\n nop\n nop\n cli\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(m.r(ECX), 3u);
  EXPECT_EQ(m.mem<u32>(0x100000) & 0xFFFFFF, 0x796568u);  // "hey"
}

}  // namespace
}  // namespace ring1::test
