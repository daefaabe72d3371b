// --firmware-state: the PC as SeaBIOS hands it to a loaded kernel under QEMU's isapc machine (the masks are
// what QEMU's `info pic` shows there), so that a kernel that returns to real mode and waits with STI; HLT
// is woken by the BIOS's 18.2 Hz timer through the interrupt vector table, acknowledged and returned from.
#include <gtest/gtest.h>

#include "devices/firmware_state.h"
#include "devices/pc_platform.h"
#include "support/assembler.h"
#include "support/test_machine.h"

namespace ring1::test {
namespace {

struct FirmwareMachine : TestMachine {
  PcPlatform pc{cpu, mmu, ports, kRam};
  FirmwareMachine() { deliver_exceptions(); }
  u8 in(u16 port) { return u8(ports.read(port, 1)); }
  // Real mode, CS = DS = SS = 0, the 16-bit code at kCode.
  void real_mode(const std::string& code) {
    cpu.reset_power_on();
    cpu.seg[CS].selector = 0;
    cpu.seg[CS].base = 0;
    const std::vector<u8> bytes = assemble(code, Bits::b16, kCode);
    load(bytes);
    cpu.gpr[ESP] = 0x7000;
  }
};

TEST(FirmwareState, ThePicsHaveSeabiosBasesAndMasksAndTheIvtPointsAtTheStubs) {
  FirmwareMachine m;
  ASSERT_TRUE(apply_firmware_state(m.ports, m.ram));
  EXPECT_EQ(m.in(0x21), 0xB8) << "master: IRQs 0, 1, 2 and 6 open";
  EXPECT_EQ(m.in(0xA1), 0x8E) << "slave: IRQs 8, 12, 13 and 14 open";
  EXPECT_EQ(m.mem<u32>(0x08 * 4), 0xF000FF10u) << "IRQ 0: acknowledge the master";
  EXPECT_EQ(m.mem<u32>(0x0F * 4), 0xF000FF10u);
  EXPECT_EQ(m.mem<u32>(0x70 * 4), 0xF000FF20u) << "IRQ 8: acknowledge the slave, then the master";
  EXPECT_EQ(m.mem<u32>(0x77 * 4), 0xF000FF20u);
  EXPECT_EQ(m.mem<u32>(0x10 * 4), 0xF000FF00u) << "a BIOS service: returns at once";
  EXPECT_EQ(m.mem<u8>(0xFFF00), 0xCF) << "IRET";
}

TEST(FirmwareState, TheBiosTimerWakesARealModeHltAndItsInterruptIsAcknowledged) {
  FirmwareMachine m;
  ASSERT_TRUE(apply_firmware_state(m.ports, m.ram));
  // OCW3 0x0B selects the ISR for the next read of port 0x20.
  m.real_mode("sti\n hlt\n mov bx, 1\n mov al, 0x0B\n out 0x20, al\n in al, 0x20\n mov cl, al\n cli\n hlt\n");
  ASSERT_EQ(m.cpu.run(RunLimits{}), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.r(EBX) & 0xFFFF, 1u) << "HLT ended and the handler returned after it";
  EXPECT_EQ(m.r(ECX) & 0xFF, 0u) << "the stub's EOI cleared IRQ 0's in-service bit";
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[0x08], 1u);
  // Mode 2, count 65536: the first tick after 65536 input clocks of 1,193,182 Hz, in 1 GHz cycles.
  EXPECT_GE(m.cpu.cycles, 65536ull * 1'000'000'000 / 1'193'182);
  EXPECT_LT(m.cpu.cycles, 65536ull * 1'000'000'000 / 1'193'182 + 1000);
}

}  // namespace
}  // namespace ring1::test
