// QEMU's -bios on ring1's PC: a ROM image built here with GNU as, mapped so that it ends at 0xFFFFFFFF and
// (its last 128 KiB) at 0xFFFFF, started at the power-on state of SDM vol. 3, 9.1.4 (real mode, CS F000 with
// base FFFF0000, IP FFF0). Its POST code on port 0xE9 and its COM1 text go to separate consoles, as QEMU's
// -debugcon and -serial keep them apart.
#include <gtest/gtest.h>

#include "devices/pc_platform.h"
#include "support/assembler.h"
#include "support/test_machine.h"

namespace ring1::test {
namespace {

struct RomMachine : TestMachine {
  std::string com1, e9;
  PcPlatform pc{cpu, mmu, ports, kRam, options()};
  PcOptions options() {
    PcOptions o;
    o.console = [this](u8 b) { com1 += char(b); };
    o.debugcon = [this](u8 b) { e9 += char(b); };
    return o;
  }
  RomMachine() { deliver_exceptions(); }
};

// A 64 KiB ROM: code at its start (F000:0000 once the reset vector's far jump has run), and the far jump
// at offset 0xFFF0, the reset vector.
std::vector<u8> build_rom() {
  std::vector<u8> rom = assemble(
      "mov al, 0x11\n out 0xE9, al\n"           // POST code 0x11
      "mov dx, 0x3F8\n mov al, 'S'\n out dx, al\n"
      "mov eax, cs\n mov esi, eax\n"            // CS after the jump
      "mov al, 0x22\n out 0xE9, al\n"           // POST code 0x22
      "cli\n hlt\n",
      Bits::b16, 0);
  rom.resize(0x10000, 0xFF);
  const std::vector<u8> reset = assemble("jmp 0xF000:0x0000\n", Bits::b16, 0xFFF0);
  std::copy(reset.begin(), reset.end(), rom.begin() + 0xFFF0);
  return rom;
}

TEST(RomBoot, StartsAtTheResetVectorInTheTopAliasAndRunsOnInTheLowOne) {
  RomMachine m;
  std::string error;
  ASSERT_TRUE(m.pc.map_bios(build_rom(), error)) << error;
  m.cpu.reset_power_on();
  m.pc.apic().reset();
  EXPECT_EQ(m.cpu.seg[CS].selector, 0xF000);
  EXPECT_EQ(m.cpu.seg[CS].base, 0xFFFF0000u);
  EXPECT_EQ(m.cpu.eip, 0xFFF0u);
  EXPECT_FALSE(m.cpu.cr0 & 1) << "real mode";
  RunLimits lim;
  lim.max_instructions = 100;
  EXPECT_EQ(m.cpu.run(lim), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.r(ESI), 0xF000u);
  EXPECT_EQ(m.cpu.seg[CS].base, 0xF0000u) << "the far jump loaded a real-mode CS";
  EXPECT_EQ(m.mem<u8>(0xF0000), 0xB0u) << "the low alias holds the image (mov al, imm8)";
  EXPECT_EQ(m.e9, std::string("\x11\x22")) << "POST codes on the debug console";
  EXPECT_EQ(m.com1, "S") << "COM1 text on its own console";
}

TEST(RomBoot, TheTopAliasIsReadOnlyAndReadsTheImage) {
  RomMachine m;
  std::string error;
  ASSERT_TRUE(m.pc.map_bios(build_rom(), error)) << error;
  m.load_asm("mov eax, [0xFFFFFFF0]\n mov dword ptr [0xFFFF0000], 0\n mov ebx, [0xFFFF0000]\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX) & 0xFF, 0xEAu) << "the far jump's opcode at the reset vector";
  EXPECT_EQ(m.r(EBX) & 0xFF, 0xB0u) << "a write to ROM changes nothing";
}

TEST(RomBoot, ImagesThatAreNotWhole64KibBlocksUpTo1MibAreRefused) {
  for (size_t size : {size_t(0x8000), size_t(0x18000) + 1, size_t(0x200000)}) {
    RomMachine m;
    std::string error;
    EXPECT_FALSE(m.pc.map_bios(std::vector<u8>(size, 0), error)) << size;
    EXPECT_NE(error.find("64 KiB to 1 MiB"), std::string::npos) << error;
  }
}

TEST(DebugCon, PortE9GoesToItsOwnConsoleWhenOneIsGiven) {
  RomMachine m;
  m.load_asm("mov al, 'a'\n out 0xE9, al\n mov dx, 0x3F8\n mov al, 'b'\n out dx, al\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.e9, "a");
  EXPECT_EQ(m.com1, "b");
}

}  // namespace
}  // namespace ring1::test
