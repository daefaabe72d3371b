// QEMU's pc-testdev as kvm-unit-tests uses it (hw/misc/pc-testdev.c): the scratch register's byte lanes at
// 0xE0 and 0xE8, the IRQ-line ports that drive the PIC's inputs, and the MMIO scratch memory at 0xFF000000.
#include <gtest/gtest.h>

#include "devices/pc_platform.h"
#include "support/test_machine.h"

namespace ring1::test {
namespace {

struct TestdevMachine : TestMachine {
  PcPlatform pc{cpu, mmu, ports, kRam, options()};
  static PcOptions options() {
    PcOptions o;
    o.pc_testdev = true;
    return o;
  }
};

TEST(PcTestdev, TheScratchRegisterKeepsEachByteLaneAtItsPort) {
  TestdevMachine m;
  m.load_asm(
      "mov eax, 0x44332211\n out 0xE0, eax\n mov al, 0xAA\n out 0xE2, al\n in eax, 0xE0\n mov ebx, eax\n"
      "in al, 0xEB\n mov ecx, eax\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EBX), 0x44AA2211u);
  EXPECT_EQ(m.r(ECX) & 0xFF, 0x44u) << "0xE8-0xEB reach the same register";
}

TEST(PcTestdev, IomemIsScratchMemoryBehindTheMmioPath) {
  TestdevMachine m;
  m.load_asm("mov dword ptr [0xFF000100], 0x12345678\n mov ax, [0xFF000102]\n mov ebx, [0xFF00FFFC]\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX) & 0xFFFF, 0x1234u);
  EXPECT_EQ(m.r(EBX), 0u);
}

TEST(PcTestdev, IrqLinePortsDriveThePicInputs) {
  TestdevMachine m;
  m.ports.write(0x20, 1, 0x11);  // ICW1-ICW4: vectors 0x20/0x28, then unmask everything
  m.ports.write(0xA0, 1, 0x11);
  m.ports.write(0x21, 1, 0x20);
  m.ports.write(0xA1, 1, 0x28);
  m.ports.write(0x21, 1, 0x04);
  m.ports.write(0xA1, 1, 0x02);
  m.ports.write(0x21, 1, 0x01);
  m.ports.write(0xA1, 1, 0x01);
  m.ports.write(0x21, 1, 0x00);
  m.ports.write(0xA1, 1, 0x00);
  m.pc.apic().firmware_setup();
  const InterruptController& ic = m.cpu.interrupt_controller;
  m.ports.write(0x2000 + 11, 1, 1);
  ASSERT_TRUE(ic.pending(ic.context)) << "IRQ 11 raised";
  EXPECT_EQ(ic.acknowledge(ic.context), 0x28 + 3);
  m.ports.write(0x2000 + 11, 1, 0);
  m.ports.write(0x2000 + 20, 1, 1);  // an I/O APIC pin: this PC has none
  EXPECT_FALSE(ic.pending(ic.context));
}

}  // namespace
}  // namespace ring1::test
