// The protected-mode switch as a boot loader does it (SDM vol. 3, 9.9.1 and 9.9.2): real-mode code loads a
// GDT, sets CR0.PE, far-jumps to a 32-bit code selector, loads data segments, then goes back through a
// 16-bit code segment, clears PE and far-jumps to a real-mode segment. One assembly guest, .code16 and .code32.
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

constexpr const char* kGuest = R"(
.code16
  lgdt [gdt_ptr]
  mov eax, cr0
  or al, 1
  mov cr0, eax
  jmp 0x08:pm32
.code32
pm32:
  mov ax, 0x10
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov esp, 0x9000
  push 0x12345678
  pop dword ptr [0x2000]
  mov ebx, cr0
  mov esi, cs
  jmp 0x18:pm16
.code16
pm16:
  mov ax, 0x20
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov eax, cr0
  and al, 0xFE
  mov cr0, eax
  jmp 0x0000:rm
rm:
  xor ax, ax
  mov ds, ax
  mov ss, ax
  mov sp, 0x8000
  mov ecx, [0x2000]
  mov dx, cs
  hlt
.balign 8
gdt:
  .quad 0
  .quad 0x00CF9A000000FFFF
  .quad 0x00CF92000000FFFF
  .quad 0x00009A000000FFFF
  .quad 0x000092000000FFFF
gdt_ptr:
  .word 39
  .long gdt
)";

// Power-on state, with the code reached as CS:IP = 0100:0000 (RAM does not extend to F000:FFF0's linear
// address FFFFFFF0; the first instructions are position-independent as a reset vector's are).
struct ModeSwitch : TestMachine {
  ModeSwitch() {
    cpu.reset_power_on();
    load_asm(kGuest, Bits::b16);
    cpu.seg[CS].selector = 0x0100;
    cpu.seg[CS].base = 0x1000;
    cpu.eip = 0;
  }
};

TEST(ModeSwitch, RealModeCodeEntersProtectedModeAndComesBack) {
  ModeSwitch m;
  ASSERT_FALSE(m.cpu.cr0 & 1);
  ASSERT_EQ(m.run(1000), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.cpu.gdtr.limit, 39);
  EXPECT_EQ(m.r(EBX) & 1, 1u);                // PE was set in the 32-bit part
  EXPECT_EQ(m.r(ESI) & 0xFFFF, 0x08u);        // 32-bit code selector
  EXPECT_EQ(m.mem<u32>(0x2000), 0x12345678u);  // a 32-bit store through the flat data segment
  EXPECT_EQ(m.r(ECX), 0x12345678u);           // read back in real mode
  EXPECT_FALSE(m.cpu.cr0 & 1);
  EXPECT_EQ(m.r(EDX) & 0xFFFF, 0u);
  EXPECT_EQ(m.cpu.seg[CS].selector, 0);
  EXPECT_EQ(m.cpu.seg[CS].base, 0u);
  EXPECT_FALSE(m.cpu.seg[CS].big);
  EXPECT_EQ(m.cpu.seg[DS].base, 0u);
  EXPECT_EQ(m.cpu.seg[SS].limit, 0xFFFFu);
}

TEST(ModeSwitch, TheFarJumpLoadsA32BitCodeSegmentAtCpl0) {
  ModeSwitch m;
  RunLimits lim;
  lim.max_instructions = 5;  // LGDT, MOV, OR, MOV CR0, JMP far
  ASSERT_EQ(m.cpu.run(lim), StopReason::InsnLimit);
  EXPECT_TRUE(m.cpu.cr0 & 1);
  EXPECT_EQ(m.cpu.seg[CS].selector, 0x08);
  EXPECT_TRUE(m.cpu.seg[CS].big);
  EXPECT_EQ(m.cpu.seg[CS].limit, 0xFFFFFFFFu);
  EXPECT_EQ(m.cpu.cpl, 0);
}

TEST(ModeSwitch, AfterSettingPeTheOldRealModeCsKeepsExecutingUntilTheFarJump) {
  ModeSwitch m;
  RunLimits lim;
  lim.max_instructions = 4;  // up to MOV CR0
  ASSERT_EQ(m.cpu.run(lim), StopReason::InsnLimit);
  EXPECT_TRUE(m.cpu.cr0 & 1);
  EXPECT_EQ(m.cpu.seg[CS].selector, 0x0100);  // the cached real-mode CS (SDM vol. 3, 9.9.1)
  EXPECT_EQ(m.cpu.seg[CS].base, 0x1000u);
}

}  // namespace
}  // namespace ring1::test
