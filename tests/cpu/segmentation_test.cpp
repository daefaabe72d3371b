// Segment-register loads as instructions (SDM vol. 2, MOV, POP, LDS/LES/LFS/LGS/LSS; vol. 3, 5.5 to 5.6):
// what loads, what faults with which vector and error code, the interrupt shadow of MOV SS and POP SS, that
// a faulting load leaves the instruction restartable, and real-mode loads.
#include <gtest/gtest.h>

#include "support/segment_machine.h"

namespace ring1::test {
namespace {

using SM = SegmentMachine;

TEST(Segmentation, MovToDsLoadsTheDescriptorAndAccessesGoThroughItsBase) {
  SM m;
  m.poke<u32>(0x1010, 0xCAFEF00D);
  ASSERT_EQ(m.exec("mov ax, 0x8b\n mov ds, ax\n mov ebx, [0x10]"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.seg[DS].selector, 0x8B);
  EXPECT_EQ(m.cpu.seg[DS].base, 0x1000u);
  EXPECT_EQ(m.r(EBX), 0xCAFEF00Du);
  EXPECT_TRUE(m.desc(SM::kData3Based) & (1ull << 40));  // accessed
}

TEST(Segmentation, MovToSregFromMemoryReadsASixteenBitSelector) {
  SM m;
  m.poke<u32>(TestMachine::kData, 0xFFFF0023);
  ASSERT_EQ(m.exec("mov es, word ptr [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.seg[ES].selector, 0x23);
}

TEST(Segmentation, MovToDsOfAMorePrivilegedSegmentAtCpl3IsGeneralProtectionWithTheSelector) {
  SM m;
  m.enter_ring(3);
  ASSERT_EQ(m.exec("mov ax, 0x13\n mov ds, ax"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x10));
  EXPECT_EQ(m.cpu.seg[DS].selector, SM::kData3 | 3);  // unchanged
}

TEST(Segmentation, MovToDsWithRplAboveDplIsGeneralProtection) {
  SM m;
  ASSERT_EQ(m.exec("mov ax, 0x33\n mov ds, ax"), StopReason::UnhandledFault);  // DPL 1, RPL 3
  EXPECT_TRUE(m.faulted(13, 0x30));
}

TEST(Segmentation, MovToDsOfANotPresentSegmentIsSegmentNotPresent) {
  SM m;
  ASSERT_EQ(m.exec("mov ax, 0x38\n mov ds, ax"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(11, 0x38));
}

TEST(Segmentation, MovToSsOfANotPresentSegmentIsStackFault) {
  SM m;
  ASSERT_EQ(m.exec("mov ax, 0x38\n mov ss, ax"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(12, 0x38));
}

TEST(Segmentation, MovToSsOfANullSelectorIsGeneralProtectionZero) {
  SM m;
  ASSERT_EQ(m.exec("xor eax, eax\n mov ss, ax"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0));
}

TEST(Segmentation, MovToSsOfAReadOnlySegmentIsGeneralProtection) {
  SM m;
  ASSERT_EQ(m.exec("mov ax, 0x80\n mov ss, ax"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x80));
}

TEST(Segmentation, MovSsSetsTheInterruptShadow) {
  SM m;
  ASSERT_EQ(m.exec("mov ax, 0x10\n mov ss, ax"), StopReason::Breakpoint);
  EXPECT_TRUE(m.cpu.interrupt_shadow);
}

TEST(Segmentation, MovToDsDoesNotSetTheInterruptShadow) {
  SM m;
  ASSERT_EQ(m.exec("mov ax, 0x10\n mov ds, ax"), StopReason::Breakpoint);
  EXPECT_FALSE(m.cpu.interrupt_shadow);
}

TEST(Segmentation, MovToCsIsInvalidOpcode) {
  SM m;
  ASSERT_EQ(m.exec(".byte 0x8e, 0xc8"), StopReason::UnhandledFault);  // mov cs, ax
  EXPECT_EQ(m.cpu.last_fault().vector, 6);
}

TEST(Segmentation, ANullSelectorLoadsIntoDsAndTheNextAccessFaults) {
  SM m;
  ASSERT_EQ(m.exec("xor eax, eax\n mov ds, ax"), StopReason::Breakpoint);
  EXPECT_EQ(m.exec("mov eax, [0x100000]"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0));
}

TEST(Segmentation, LdtSelectorsLoadFromTheLdt) {
  SM m;
  m.cpu.ldtr = SystemSegment{SM::kLdtSel, SM::kLdt, 0x0F, 0x82};
  ASSERT_EQ(m.exec("mov ax, 0x0f\n mov fs, ax"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.seg[FS].base, 0x2000u);
}

TEST(Segmentation, PopDsLoadsTheSelectorAndMovesEsp) {
  SM m;
  ASSERT_EQ(m.exec("push 0x23\n pop ds"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.seg[DS].selector, 0x23);
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop);
}

TEST(Segmentation, PopSsSetsTheInterruptShadow) {
  SM m;
  ASSERT_EQ(m.exec("push 0x10\n pop ss"), StopReason::Breakpoint);
  EXPECT_TRUE(m.cpu.interrupt_shadow);
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop);
}

TEST(Segmentation, AFaultingPopSregLeavesEspAndTheRegisterUnchanged) {
  SM m;
  ASSERT_EQ(m.exec("push 0x38\n pop gs"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(11, 0x38));
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop - 4);
  EXPECT_EQ(m.cpu.seg[GS].selector, SM::kData0);
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode + 2);  // at the POP
}

TEST(Segmentation, SixteenBitPopSregTakesAWord) {
  SM m;
  ASSERT_EQ(m.exec("push word ptr 0x23\n .byte 0x66, 0x0f, 0xa1"), StopReason::Breakpoint);  // pop fs (o16)
  EXPECT_EQ(m.cpu.seg[FS].selector, 0x23);
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop);
}

TEST(Segmentation, LdsLoadsTheOffsetThenTheSelector) {
  SM m;
  m.poke<u32>(TestMachine::kData, 0x12345678);
  m.poke<u16>(TestMachine::kData + 4, 0x8B);
  ASSERT_EQ(m.exec("lds esi, fword ptr [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(ESI), 0x12345678u);
  EXPECT_EQ(m.cpu.seg[DS].base, 0x1000u);
}

TEST(Segmentation, LssLoadsTheStackPointerAndItsSegmentWithoutAShadow) {
  SM m;
  m.poke<u32>(TestMachine::kData, 0x7000);
  m.poke<u16>(TestMachine::kData + 4, 0x50);
  ASSERT_EQ(m.exec("lss esp, fword ptr [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(ESP), 0x7000u);
  EXPECT_EQ(m.cpu.seg[SS].selector, 0x50);
  EXPECT_FALSE(m.cpu.seg[SS].big);
  EXPECT_FALSE(m.cpu.interrupt_shadow);
}

TEST(Segmentation, SixteenBitLfsReadsAnM16Colon16Pointer) {
  SM m;
  m.poke<u16>(TestMachine::kData, 0xBEEF);
  m.poke<u16>(TestMachine::kData + 2, 0x23);
  m.cpu.gpr[EBX] = 0x11110000;
  ASSERT_EQ(m.exec("lfs bx, dword ptr [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EBX), 0x1111BEEFu);
  EXPECT_EQ(m.cpu.seg[FS].selector, 0x23);
}

TEST(Segmentation, AFaultingLgsLeavesTheGeneralRegisterUnchanged) {
  SM m;
  m.poke<u32>(TestMachine::kData, 0x12345678);
  m.poke<u16>(TestMachine::kData + 4, 0x78);  // execute-only code
  m.cpu.gpr[EDI] = 7;
  ASSERT_EQ(m.exec("lgs edi, fword ptr [0x100000]"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x78));
  EXPECT_EQ(m.r(EDI), 7u);
}

TEST(Segmentation, RealModeSegmentLoadsSetTheBaseToSixteenTimesTheSelector) {
  SM m;
  m.cpu.set_cr0(0x10);
  m.cpu.load_segment_flat(CS, 0, 0, true, false);
  for (SegReg r : {ES, SS, DS, FS, GS}) m.cpu.load_segment_flat(r, 0, 0, false, false);
  m.cpu.gpr[ESP] = 0x8000;
  m.load_asm("mov ax, 0x1234\n mov ds, ax\n push 0x0200\n pop es\n lfs si, [0x10]", Bits::b16);
  m.poke<u16>(0x12340 + 0x10, 0x5555);
  m.poke<u16>(0x12340 + 0x12, 0x0300);
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.seg[DS].base, 0x12340u);
  EXPECT_EQ(m.cpu.seg[ES].base, 0x2000u);
  EXPECT_EQ(m.cpu.seg[FS].base, 0x3000u);
  EXPECT_EQ(m.r(ESI) & 0xFFFF, 0x5555u);
}

}  // namespace
}  // namespace ring1::test
