// The descriptor-table instructions (SDM vol. 2, LGDT/LIDT, SGDT/SIDT, LLDT, SLDT, LTR, STR, LAR, LSL, VERR,
// VERW, ARPL): which are privileged, what they load and store, and the visibility rules of the probes.
#include <gtest/gtest.h>

#include "support/segment_machine.h"

namespace ring1::test {
namespace {

using SM = SegmentMachine;
constexpr u32 kD = TestMachine::kData;

TEST(DescriptorTables, LgdtLoadsTheLimitAndThe32BitBase) {
  SM m;
  m.poke<u16>(kD, 0x1234);
  m.poke<u32>(kD + 2, 0xAB345678);
  ASSERT_EQ(m.exec("lgdt [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.gdtr.limit, 0x1234);
  EXPECT_EQ(m.cpu.gdtr.base, 0xAB345678u);
}

TEST(DescriptorTables, LidtWithA16BitOperandSizeLoadsOnly24BitsOfBase) {
  SM m;
  m.poke<u16>(kD, 0x07FF);
  m.poke<u32>(kD + 2, 0xAB345678);
  ASSERT_EQ(m.exec(".byte 0x66\n lidt [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.idtr.limit, 0x07FF);
  EXPECT_EQ(m.cpu.idtr.base, 0x00345678u);
}

TEST(DescriptorTables, LgdtAndLidtOutsideRing0AreGeneralProtectionZero) {
  for (const char* insn : {"lgdt [0x100000]", "lidt [0x100000]"}) {
    SM m;
    m.enter_ring(1);
    const auto before = m.cpu.gdtr.base;
    ASSERT_EQ(m.exec(insn), StopReason::UnhandledFault) << insn;
    EXPECT_TRUE(m.faulted(13, 0)) << insn;
    EXPECT_EQ(m.cpu.gdtr.base, before);
  }
}

TEST(DescriptorTables, SgdtAtCpl3DoesNotFaultAndRevealsTheGdt) {
  SM m;
  m.enter_ring(3);
  ASSERT_EQ(m.exec("sgdt [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u16>(kD), SM::kGdtLimit);
  EXPECT_EQ(m.mem<u32>(kD + 2), SM::kGdt);
}

TEST(DescriptorTables, SidtAtCpl3DoesNotFault) {
  SM m;
  m.cpu.idtr = {0xC0001000, 0x7FF};
  m.enter_ring(3);
  ASSERT_EQ(m.exec("sidt [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u16>(kD), 0x7FF);
  EXPECT_EQ(m.mem<u32>(kD + 2), 0xC0001000u);
}

TEST(DescriptorTables, SidtWithA16BitOperandSizeStoresAZeroTopByte) {
  SM m;
  m.cpu.idtr = {0xC0001000, 0x7FF};
  ASSERT_EQ(m.exec(".byte 0x66\n sidt [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u32>(kD + 2), 0x00001000u);
}

TEST(DescriptorTables, LgdtWorksInRealMode) {
  SM m;
  m.cpu.set_cr0(0x10);
  m.cpu.load_segment_flat(CS, 0, 0, true, false);
  for (SegReg r : {ES, SS, DS, FS, GS}) m.cpu.load_segment_flat(r, 0, 0, false, false);
  m.poke<u16>(0x2000, 0x17);
  m.poke<u32>(0x2002, 0x00012345);
  m.load_asm("lgdt [0x2000]", Bits::b16);
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.gdtr.limit, 0x17);
  EXPECT_EQ(m.cpu.gdtr.base, 0x12345u);  // 16-bit operand size: 24 bits
}

TEST(DescriptorTables, LldtLoadsAnLdtDescriptorFromTheGdt) {
  SM m;
  ASSERT_EQ(m.exec("mov ax, 0x58\n lldt ax\n mov bx, 0x0f\n mov fs, bx\n sldt ecx"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.ldtr.selector, SM::kLdtSel);
  EXPECT_EQ(m.cpu.ldtr.base, SM::kLdt);
  EXPECT_EQ(m.cpu.ldtr.limit, 0x0Fu);
  EXPECT_EQ(m.cpu.seg[FS].base, 0x2000u);
  EXPECT_EQ(m.r(ECX), u32(SM::kLdtSel));
}

TEST(DescriptorTables, LldtWithANullSelectorDisablesTheLdt) {
  SM m;
  m.cpu.ldtr = SystemSegment{SM::kLdtSel, SM::kLdt, 0x0F, 0x82};
  ASSERT_EQ(m.exec("xor eax, eax\n lldt ax"), StopReason::Breakpoint);
  EXPECT_EQ(m.exec("mov ax, 0x0f\n mov fs, ax"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x0C));
}

TEST(DescriptorTables, LldtOfADescriptorThatIsNotAnLdtIsGeneralProtectionWithTheSelector) {
  SM m;
  ASSERT_EQ(m.exec("mov ax, 0x60\n lldt ax"), StopReason::UnhandledFault);  // a TSS
  EXPECT_TRUE(m.faulted(13, 0x60));
  ASSERT_EQ(m.exec("mov ax, 0x10\n lldt ax"), StopReason::UnhandledFault);  // a data segment
  EXPECT_TRUE(m.faulted(13, 0x10));
}

TEST(DescriptorTables, LldtOfAnLdtSelectorIsGeneralProtection) {
  SM m;
  m.cpu.ldtr = SystemSegment{SM::kLdtSel, SM::kLdt, 0x0F, 0x82};
  ASSERT_EQ(m.exec("mov ax, 0x0c\n lldt ax"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x0C));
}

TEST(DescriptorTables, LldtOfANotPresentLdtIsSegmentNotPresent) {
  SM m;
  m.set(SM::kLdtSel, sys_desc(SM::kLdt, 0x0F, 0x2, 0, false));
  ASSERT_EQ(m.exec("mov ax, 0x58\n lldt ax"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(11, 0x58));
}

TEST(DescriptorTables, LldtAndLtrOutsideRing0AreGeneralProtectionZero) {
  for (const char* src : {"mov ax, 0x58\n lldt ax", "mov ax, 0x60\n ltr ax"}) {
    SM m;
    m.enter_ring(1);
    ASSERT_EQ(m.exec(src), StopReason::UnhandledFault) << src;
    EXPECT_TRUE(m.faulted(13, 0)) << src;
  }
}

TEST(DescriptorTables, LldtSldtLtrStrLarAndArplAreInvalidOpcodesInRealMode) {
  for (const char* src : {"lldt ax", "sldt ax", "ltr ax", "str ax", "lar ax, bx", "lsl ax, bx", "verr ax",
                          "verw ax", "arpl ax, bx"}) {
    SM m;
    m.cpu.set_cr0(0x10);
    m.cpu.load_segment_flat(CS, 0, 0, true, false);
    m.load_asm(src, Bits::b16);
    ASSERT_EQ(m.run(), StopReason::UnhandledFault) << src;
    EXPECT_EQ(m.cpu.last_fault().vector, 6) << src;
  }
}

TEST(DescriptorTables, LtrLoadsAnAvailableTssAndMarksItBusy) {
  SM m;
  ASSERT_EQ(m.exec("mov ax, 0x60\n ltr ax\n str edx\n str word ptr [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.tr.selector, SM::kTssSel);
  EXPECT_EQ(m.cpu.tr.base, SM::kTss);
  EXPECT_EQ(m.cpu.tr.limit, 0x67u);
  EXPECT_EQ((m.desc(SM::kTssSel) >> 40) & 0xF, 0xBu);  // busy 32-bit TSS
  EXPECT_EQ(m.r(EDX), u32(SM::kTssSel));
  EXPECT_EQ(m.mem<u16>(kD), SM::kTssSel);
}

TEST(DescriptorTables, LtrOfABusyTssIsGeneralProtectionWithTheSelector) {
  SM m;
  m.set(SM::kTssSel, sys_desc(SM::kTss, 0x67, 0xB));
  ASSERT_EQ(m.exec("mov ax, 0x60\n ltr ax"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x60));
}

TEST(DescriptorTables, LtrOfANullSelectorIsGeneralProtectionZero) {
  SM m;
  ASSERT_EQ(m.exec("mov ax, 3\n ltr ax"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0));
}

TEST(DescriptorTables, LtrOfSomethingOtherThanATssIsGeneralProtectionAndNotPresentIsNp) {
  SM m;
  ASSERT_EQ(m.exec("mov ax, 0x58\n ltr ax"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x58));
  m.set(SM::kTssSel, sys_desc(SM::kTss, 0x67, 0x1, 0, false));  // 16-bit available, not present
  ASSERT_EQ(m.exec("mov ax, 0x60\n ltr ax"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(11, 0x60));
}

TEST(DescriptorTables, LarReturnsTheAccessRightsOfAVisibleSegment) {
  SM m;
  m.enter_ring(3);
  m.cpu.gpr[EAX] = 0xFFFFFFFF;
  ASSERT_EQ(m.exec("mov bx, 0x23\n lar eax, bx"), StopReason::Breakpoint);
  EXPECT_TRUE(m.flag(eflags::ZF));
  EXPECT_EQ(m.r(EAX), u32(m.desc(SM::kData3) >> 32) & 0x00F0FF00u);
}

TEST(DescriptorTables, LarOfAMorePrivilegedSegmentClearsZfAndLeavesTheDestination) {
  SM m;
  m.enter_ring(3);
  m.cpu.gpr[EAX] = 0x1234;
  ASSERT_EQ(m.exec("stc\n mov bx, 0x13\n lar eax, bx"), StopReason::Breakpoint);
  EXPECT_FALSE(m.flag(eflags::ZF));
  EXPECT_EQ(m.r(EAX), 0x1234u);
}

TEST(DescriptorTables, LarSeesConformingCodeWhateverItsDpl) {
  SM m;
  m.enter_ring(3);
  ASSERT_EQ(m.exec("mov bx, 0x43\n lar eax, bx"), StopReason::Breakpoint);
  EXPECT_TRUE(m.flag(eflags::ZF));
}

TEST(DescriptorTables, LarRejectsRplAboveDplNullAndOutOfLimitSelectors) {
  for (u16 sel : {u16(0x33), u16(0x00), u16(0x100), u16(0x0C)}) {  // DPL 1 with RPL 3; null; past GDT; no LDT
    SM m;
    m.cpu.gpr[EBX] = sel;
    ASSERT_EQ(m.exec("cmp eax, eax\n lar eax, bx"), StopReason::Breakpoint) << sel;
    EXPECT_FALSE(m.flag(eflags::ZF)) << sel;
  }
}

TEST(DescriptorTables, LarAcceptsCallGatesAndTssesButNotInterruptGates) {
  SM m;
  m.set(SM::kGateA, gate_desc(SM::kCode0, 0x1000, 0xC, 0));
  m.set(SM::kGateB, gate_desc(SM::kCode0, 0x1000, 0xE, 0));
  ASSERT_EQ(m.exec("mov bx, 0x90\n lar eax, bx"), StopReason::Breakpoint);
  EXPECT_TRUE(m.flag(eflags::ZF));
  ASSERT_EQ(m.exec("mov bx, 0x60\n lar eax, bx"), StopReason::Breakpoint);
  EXPECT_TRUE(m.flag(eflags::ZF));
  ASSERT_EQ(m.exec("mov bx, 0x98\n lar eax, bx"), StopReason::Breakpoint);
  EXPECT_FALSE(m.flag(eflags::ZF));
}

TEST(DescriptorTables, LslReturnsTheByteGranularLimit) {
  SM m;
  ASSERT_EQ(m.exec("mov bx, 0x10\n lsl eax, bx\n mov bx, 0x8b\n lsl ecx, bx\n mov bx, 0x60\n lsl dx, bx"),
            StopReason::Breakpoint);
  EXPECT_TRUE(m.flag(eflags::ZF));
  EXPECT_EQ(m.r(EAX), 0xFFFFFFFFu);
  EXPECT_EQ(m.r(ECX), 0xFFFu);
  EXPECT_EQ(m.r(EDX) & 0xFFFF, 0x67u);
}

TEST(DescriptorTables, LslRejectsCallGates) {
  SM m;
  m.set(SM::kGateA, gate_desc(SM::kCode0, 0x1000, 0xC, 0));
  ASSERT_EQ(m.exec("cmp eax, eax\n mov bx, 0x90\n lsl eax, bx"), StopReason::Breakpoint);
  EXPECT_FALSE(m.flag(eflags::ZF));
}

TEST(DescriptorTables, VerrNeedsAReadableVisibleSegment) {
  struct Case {
    u16 sel;
    u8 cpl;
    bool readable;
  } cases[] = {
      {0x10, 0, true},    // data
      {0x08, 0, true},    // readable code
      {0x78, 0, false},   // execute-only code
      {0x13, 3, false},   // DPL 0 data from CPL 3
      {0x43, 3, true},    // conforming readable code: no privilege check
      {0x60, 0, false},   // a TSS
      {0x00, 0, false},   // null
  };
  for (const Case& k : cases) {
    SM m;
    m.enter_ring(k.cpl);
    m.cpu.gpr[EBX] = k.sel;
    ASSERT_EQ(m.exec(k.readable ? "test esp, esp\n verr bx" : "cmp eax, eax\n verr bx"), StopReason::Breakpoint);
    EXPECT_EQ(m.flag(eflags::ZF), k.readable) << std::hex << k.sel;
  }
}

TEST(DescriptorTables, VerwNeedsAWritableVisibleDataSegment) {
  struct Case {
    u16 sel;
    u8 cpl;
    bool writable;
  } cases[] = {
      {0x10, 0, true}, {0x80, 0, false}, {0x08, 0, false}, {0x43, 3, false}, {0x23, 3, true}, {0x33, 1, false},
  };
  for (const Case& k : cases) {
    SM m;
    m.enter_ring(k.cpl);
    m.cpu.gpr[EBX] = k.sel;
    ASSERT_EQ(m.exec(k.writable ? "test esp, esp\n verw bx" : "cmp eax, eax\n verw bx"), StopReason::Breakpoint);
    EXPECT_EQ(m.flag(eflags::ZF), k.writable) << std::hex << k.sel;
  }
}

TEST(DescriptorTables, VerrReadsItsSelectorFromMemory) {
  SM m;
  m.poke<u16>(kD, 0x10);
  ASSERT_EQ(m.exec("test esp, esp\n verr word ptr [0x100000]"), StopReason::Breakpoint);
  EXPECT_TRUE(m.flag(eflags::ZF));
}

TEST(DescriptorTables, ArplRaisesTheDestinationRplToTheSourceRpl) {
  SM m;
  ASSERT_EQ(m.exec("mov ax, 0x10\n mov bx, 0x23\n arpl ax, bx"), StopReason::Breakpoint);
  EXPECT_TRUE(m.flag(eflags::ZF));
  EXPECT_EQ(m.r(EAX) & 0xFFFF, 0x13u);
}

TEST(DescriptorTables, ArplLeavesAnAlreadyLessPrivilegedRplAndClearsZf) {
  SM m;
  m.poke<u16>(kD, 0x1B);
  ASSERT_EQ(m.exec("cmp eax, eax\n mov bx, 0x21\n arpl word ptr [0x100000], bx"), StopReason::Breakpoint);
  EXPECT_FALSE(m.flag(eflags::ZF));
  EXPECT_EQ(m.mem<u16>(kD), 0x1B);
}

TEST(DescriptorTables, ArplUpdatesAMemoryOperand) {
  SM m;
  m.poke<u16>(kD, 0x18);
  ASSERT_EQ(m.exec("mov bx, 0x22\n arpl word ptr [0x100000], bx"), StopReason::Breakpoint);
  EXPECT_TRUE(m.flag(eflags::ZF));
  EXPECT_EQ(m.mem<u16>(kD), 0x1A);
}

}  // namespace
}  // namespace ring1::test
