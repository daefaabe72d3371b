// Far JMP, CALL and RET (SDM vol. 2, JMP, CALL, RET; vol. 3, 5.8): direct transfers to conforming and
// non-conforming code, call gates with and without a stack switch (the ring-3 to ring-1 path a paravirtual
// guest kernel is entered by), returns to the same and to an outer ring, every fault's vector and error code,
// real-mode transfers, and the report a task switch produces.
#include <gtest/gtest.h>

#include "support/segment_machine.h"

namespace ring1::test {
namespace {

using SM = SegmentMachine;
constexpr u32 kD = TestMachine::kData;

TEST(FarTransfer, JmpFarToAnotherCodeSegmentLoadsCsAndKeepsCpl) {
  SM m;
  ASSERT_EQ(m.exec("jmp 0x68:target\n nop\n target: mov eax, 1"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.seg[CS].selector, 0x68);
  EXPECT_EQ(m.cpu.cpl, 0);
  EXPECT_EQ(m.r(EAX), 1u);
  EXPECT_TRUE(m.desc(SM::kOtherCode0) & (1ull << 40));  // accessed
}

TEST(FarTransfer, JmpFarWithRplAboveCplToNonConformingCodeIsGeneralProtection) {
  SM m;
  ASSERT_EQ(m.exec("jmp 0x6b:0x1000"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x68));
  EXPECT_EQ(m.cpu.seg[CS].selector, SM::kCode0);
}

TEST(FarTransfer, JmpFarToNonConformingCodeOfAnotherDplIsGeneralProtection) {
  SM m;
  ASSERT_EQ(m.exec("jmp 0x18:0x1000"), StopReason::UnhandledFault);  // DPL 3 from CPL 0
  EXPECT_TRUE(m.faulted(13, 0x18));
  SM r3;
  r3.enter_ring(3);
  ASSERT_EQ(r3.exec("jmp 0x0b:0x1000"), StopReason::UnhandledFault);  // DPL 0 from CPL 3
  EXPECT_TRUE(r3.faulted(13, 0x08));
}

TEST(FarTransfer, JmpFarToMorePrivilegedConformingCodeKeepsCpl) {
  SM m;
  m.enter_ring(3);
  ASSERT_EQ(m.exec("jmp 0x40:target\n nop\n target: mov eax, cs"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.cpl, 3);
  EXPECT_EQ(m.cpu.seg[CS].selector, 0x43);  // RPL = CPL
  EXPECT_EQ(m.r(EAX) & 0xFFFF, 0x43u);
}

TEST(FarTransfer, JmpFarToANotPresentSegmentIsSegmentNotPresent) {
  SM m;
  ASSERT_EQ(m.exec("jmp 0x70:0x1000"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(11, 0x70));
}

TEST(FarTransfer, JmpFarToADataSegmentIsGeneralProtection) {
  SM m;
  ASSERT_EQ(m.exec("jmp 0x10:0x1000"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x10));
}

TEST(FarTransfer, JmpFarToANullSelectorIsGeneralProtectionZero) {
  SM m;
  ASSERT_EQ(m.exec("jmp 0x3:0x1000"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0));
}

TEST(FarTransfer, JmpFarBeyondTheTargetLimitIsGeneralProtectionZero) {
  SM m;
  ASSERT_EQ(m.exec("jmp 0x48:0x20000"), StopReason::UnhandledFault);  // 16-bit code, limit FFFF
  EXPECT_TRUE(m.faulted(13, 0));
}

TEST(FarTransfer, JmpFarBeyondTheGdtLimitIsGeneralProtectionWithTheSelector) {
  SM m;
  ASSERT_EQ(m.exec("jmp 0x100:0x1000"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x100));
}

TEST(FarTransfer, JmpFarThroughAnM16Colon32PointerInMemory) {
  SM m;
  m.load_asm("jmp fword ptr [0x100000]\n nop\n target: mov eax, 2");
  m.poke<u32>(kD, m.code_end - 5);
  m.poke<u16>(kD + 4, 0x68);
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.seg[CS].selector, 0x68);
  EXPECT_EQ(m.r(EAX), 2u);
}

TEST(FarTransfer, JmpFarThroughAnM16Colon16PointerWithA16BitOperandSize) {
  SM m;
  m.load_asm("mov eax, 0x100000\n .byte 0x66, 0xff, 0x28\n nop\n target: mov ebx, 3");
  m.poke<u16>(kD, u16(m.code_end - 5));
  m.poke<u16>(kD + 2, 0x68);
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.seg[CS].selector, 0x68);
  EXPECT_EQ(m.r(EBX), 3u);
}

TEST(FarTransfer, CallFarPushesCsAndEipAndRetfReturns) {
  SM m;
  ASSERT_EQ(m.exec("call 0x68:sub\n mov ecx, 5\n jmp done\n"
                   "sub: mov eax, [esp]\n mov ebx, [esp+4]\n mov edx, cs\n retf\n done:"),
            StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), TestMachine::kCode + 7);
  EXPECT_EQ(m.r(EBX), u32(SM::kCode0));
  EXPECT_EQ(m.r(EDX) & 0xFFFF, 0x68u);
  EXPECT_EQ(m.r(ECX), 5u);
  EXPECT_EQ(m.cpu.seg[CS].selector, SM::kCode0);
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop);
}

TEST(FarTransfer, SixteenBitCallFarAndRetfUseWords) {
  SM m;
  ASSERT_EQ(m.exec(".byte 0x66, 0x9a\n .word sub\n .word 0x68\n mov ecx, 5\n jmp done\n"
                   "sub: movzx eax, word ptr [esp]\n movzx ebx, word ptr [esp+2]\n mov edx, esp\n"
                   ".byte 0x66\n retf\n done:"),
            StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), TestMachine::kCode + 6);
  EXPECT_EQ(m.r(EBX), u32(SM::kCode0));
  EXPECT_EQ(m.r(EDX), TestMachine::kStackTop - 4);
  EXPECT_EQ(m.r(ECX), 5u);
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop);
}

TEST(FarTransfer, RetfImm16ReleasesTheParameters) {
  SM m;
  ASSERT_EQ(m.exec("push 1\n push 2\n call 0x68:sub\n jmp done\n sub: retf 8\n done:"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop);
  EXPECT_EQ(m.cpu.seg[CS].selector, SM::kCode0);
}

TEST(FarTransfer, AFaultingCallFarLeavesEspAndCsUnchanged) {
  SM m;
  ASSERT_EQ(m.exec("call 0x70:0x1000"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(11, 0x70));
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop);
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode);
}

TEST(FarTransfer, RetfToAMorePrivilegedRingIsGeneralProtection) {
  SM m;
  m.enter_ring(3);
  ASSERT_EQ(m.exec("push 0x08\n push 0x1000\n retf"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x08));
  EXPECT_EQ(m.cpu.cpl, 3);
}

TEST(FarTransfer, RetfToANonConformingSegmentWhoseDplIsNotTheRplIsGeneralProtection) {
  SM m;
  ASSERT_EQ(m.exec("push 0x1b\n push 0x1000\n push 0x0b\n push 0x1000\n retf"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x08));  // DPL 0, RPL 3
}

// The gate path a paravirtual kernel in ring 1 is entered by: a ring-3 CALL through a DPL-3 call gate to
// ring-1 code, stack from TSS.SS1:ESP1, two parameters copied; RETF 8 returns to ring 3.
constexpr const char* kGateGuest =
    "push 0x11111111\n push 0x22222222\n call 0x93:0\n mov esi, 1\n jmp done\n"
    ".org 0x100\n"
    "handler: mov eax, ss\n mov ebx, esp\n mov edi, cs\n mov bp, 0x31\n mov ds, bp\n retf 8\n"
    "done:";

struct GateMachine : SM {
  GateMachine(u8 gate_dpl = 3, u16 target = SM::kCode1, u8 params = 2, u8 type = 0xC) {
    set(SM::kGateA, gate_desc(target, TestMachine::kCode + 0x100, type, gate_dpl, params));
    load_tss(0x60000, SM::kData0, 0x70000, SM::kData1 | 1);
    enter_ring(3);
  }
};

TEST(FarTransfer, CallThroughAGateToRing1SwitchesToTheTssStackAndCopiesParameters) {
  GateMachine m;
  m.load_asm(kGateGuest);
  RunLimits lim;
  lim.stop_at_eip = TestMachine::kCode + 0x100 + 6;  // inside the handler, after mov edi, cs
  ASSERT_EQ(m.cpu.run(lim), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.cpl, 1);
  EXPECT_EQ(m.r(EAX) & 0xFFFF, u32(SM::kData1 | 1));
  EXPECT_EQ(m.r(EDI) & 0xFFFF, u32(SM::kCode1 | 1));
  const u32 sp = 0x70000 - 24;
  EXPECT_EQ(m.r(EBX), sp);
  EXPECT_EQ(m.mem<u32>(sp + 0), TestMachine::kCode + 17);  // return EIP: after the 7-byte CALL
  EXPECT_EQ(m.mem<u32>(sp + 4), u32(SM::kCode3 | 3));
  EXPECT_EQ(m.mem<u32>(sp + 8), 0x22222222u);   // parameters in the caller's order
  EXPECT_EQ(m.mem<u32>(sp + 12), 0x11111111u);
  EXPECT_EQ(m.mem<u32>(sp + 16), TestMachine::kStackTop - 8);  // caller's ESP
  EXPECT_EQ(m.mem<u32>(sp + 20), u32(SM::kData3 | 3));         // caller's SS
  EXPECT_TRUE(m.desc(SM::kData1) & (1ull << 40));
}

TEST(FarTransfer, RetfToRing3RestoresTheOuterStackReleasesParametersAndNullsInnerDataSegments) {
  GateMachine m;
  ASSERT_EQ(m.exec(kGateGuest), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.cpl, 3);
  EXPECT_EQ(m.cpu.seg[CS].selector, SM::kCode3 | 3);
  EXPECT_EQ(m.cpu.seg[SS].selector, SM::kData3 | 3);
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop);  // 8 bytes of parameters released on the outer stack too
  EXPECT_EQ(m.r(ESI), 1u);
  EXPECT_EQ(m.cpu.seg[DS].selector, 0);  // ring-1 data loaded in ring 1: nulled
  EXPECT_EQ(m.cpu.seg[ES].selector, SM::kData3 | 3);  // ring-3 data: kept
}

TEST(FarTransfer, CallThroughA16BitGateBuildsAWordFrame) {
  GateMachine m(3, SM::kCode1, 1, 0x4);
  m.load_asm("push 0xabcd1234\n call 0x93:0\n .org 0x100\n handler: mov ebx, esp\n hlt");
  RunLimits lim;
  lim.stop_at_eip = TestMachine::kCode + 0x102;
  ASSERT_EQ(m.cpu.run(lim), StopReason::Breakpoint);
  const u32 sp = 0x70000 - 10;
  EXPECT_EQ(m.r(EBX), sp);
  EXPECT_EQ(m.mem<u16>(sp + 0), TestMachine::kCode + 12);
  EXPECT_EQ(m.mem<u16>(sp + 2), SM::kCode3 | 3);
  EXPECT_EQ(m.mem<u16>(sp + 4), 0x1234);
  EXPECT_EQ(m.mem<u16>(sp + 6), u16(TestMachine::kStackTop - 4));
  EXPECT_EQ(m.mem<u16>(sp + 8), SM::kData3 | 3);
}

TEST(FarTransfer, CallThroughAGateToConformingCodeKeepsCplAndStack) {
  GateMachine m(3, SM::kConforming0, 0);
  m.load_asm("call 0x93:0\n .org 0x100\n handler: mov ebx, esp\n mov eax, cs\n hlt");
  RunLimits lim;
  lim.stop_at_eip = TestMachine::kCode + 0x104;
  ASSERT_EQ(m.cpu.run(lim), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.cpl, 3);
  EXPECT_EQ(m.r(EAX) & 0xFFFF, 0x43u);
  EXPECT_EQ(m.r(EBX), TestMachine::kStackTop - 8);
}

TEST(FarTransfer, AGateMorePrivilegedThanCplIsGeneralProtectionWithTheGateSelector) {
  GateMachine m(0);
  ASSERT_EQ(m.exec("call 0x93:0"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x90));
  EXPECT_EQ(m.cpu.cpl, 3);
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop);
}

TEST(FarTransfer, AGateSelectorWithRplAboveTheGateDplIsGeneralProtection) {
  GateMachine m(1);
  m.enter_ring(1);
  ASSERT_EQ(m.exec("call 0x93:0"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x90));
}

TEST(FarTransfer, ANotPresentGateIsSegmentNotPresentWithTheGateSelector) {
  GateMachine m;
  m.set(SM::kGateA, gate_desc(SM::kCode1, 0x1100, 0xC, 3, 0, false));
  ASSERT_EQ(m.exec("call 0x93:0"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(11, 0x90));
}

TEST(FarTransfer, AGateToLessPrivilegedCodeIsGeneralProtectionWithTheCodeSelector) {
  GateMachine m(3, SM::kCode3);
  m.enter_ring(1);
  ASSERT_EQ(m.exec("call 0x93:0"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x18));
}

TEST(FarTransfer, JmpThroughAGateNeverChangesCpl) {
  GateMachine m;  // ring-1 non-conforming target from CPL 3
  ASSERT_EQ(m.exec("jmp 0x93:0"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x28));
  GateMachine same(3, SM::kCode3);
  same.load_asm("jmp 0x93:0\n .org 0x100\n handler: mov eax, cs\n mov ebx, esp\n hlt");
  RunLimits lim;
  lim.stop_at_eip = TestMachine::kCode + 0x104;
  ASSERT_EQ(same.cpu.run(lim), StopReason::Breakpoint);
  EXPECT_EQ(same.cpu.cpl, 3);
  EXPECT_EQ(same.r(EAX) & 0xFFFF, u32(SM::kCode3 | 3));
  EXPECT_EQ(same.r(EBX), TestMachine::kStackTop);
}

TEST(FarTransfer, ATssTooSmallForTheInnerStackIsInvalidTssWithTheTrSelector) {
  GateMachine m;
  m.load_tss(0x60000, SM::kData0, 0x70000, SM::kData1 | 1, 0x0F);
  ASSERT_EQ(m.exec("call 0x93:0"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(10, SM::kTssSel));
  EXPECT_EQ(m.cpu.cpl, 3);
}

TEST(FarTransfer, AnInnerStackOfTheWrongPrivilegeIsInvalidTss) {
  GateMachine m;
  m.load_tss(0x60000, SM::kData0, 0x70000, SM::kData0 | 1);  // RPL 1 but DPL 0
  ASSERT_EQ(m.exec("call 0x93:0"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(10, SM::kData0));
  GateMachine null_ss;
  null_ss.load_tss(0x60000, SM::kData0, 0x70000, 0);
  ASSERT_EQ(null_ss.exec("call 0x93:0"), StopReason::UnhandledFault);
  EXPECT_TRUE(null_ss.faulted(10, 0));
}

TEST(FarTransfer, ANotPresentInnerStackIsStackFaultWithItsSelector) {
  GateMachine m;
  m.set(SM::kGateD, seg_desc(0, 0xFFFFF, 0x2, 1, false, true, true));
  m.load_tss(0x60000, SM::kData0, 0x70000, SM::kGateD | 1);
  ASSERT_EQ(m.exec("call 0x93:0"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(12, SM::kGateD));
  EXPECT_EQ(m.cpu.seg[SS].selector, SM::kData3 | 3);
}

TEST(FarTransfer, RetfToAnOuterRingWithAMismatchedStackIsGeneralProtectionWithTheStackSelector) {
  SM m;
  m.enter_ring(1);
  // Frame: EIP, CS = ring-3 code, ESP, SS = ring-1 data (RPL 1 != 3).
  ASSERT_EQ(m.exec("push 0x31\n push 0x70000\n push 0x1b\n push 0x1000\n retf"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0x30));
  EXPECT_EQ(m.cpu.cpl, 1);
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop - 16);
}

TEST(FarTransfer, ATaskGateTargetStopsAsNotModelledInsteadOfSwitchingTasks) {
  SM m;
  m.set(SM::kGateB, gate_desc(SM::kTssSel, 0, 0x5, 0));
  ASSERT_EQ(m.exec("jmp 0x98:0"), StopReason::NotModelled);
  EXPECT_NE(m.cpu.host_error().find("task switch"), std::string::npos);
  EXPECT_NE(m.cpu.host_error().find("0x0098"), std::string::npos);
  EXPECT_EQ(m.cpu.eip, TestMachine::kCode);
  SM tss;
  ASSERT_EQ(tss.exec("call 0x60:0"), StopReason::NotModelled);
  EXPECT_EQ(tss.r(ESP), TestMachine::kStackTop);
}

TEST(FarTransfer, RealModeFarCallAndRetfUseSelectorTimesSixteen) {
  SM m;
  m.cpu.set_cr0(0x10);
  m.cpu.load_segment_flat(CS, 0, 0, true, false);
  for (SegReg r : {ES, SS, DS, FS, GS}) m.cpu.load_segment_flat(r, 0, 0, false, false);
  m.cpu.gpr[ESP] = 0x8000;
  m.load_asm("call 0x0100:(sub - 0x1000)\n mov cx, 7\n jmp done\n sub: mov ax, cs\n mov bx, sp\n retf\n done:",
             Bits::b16);
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX) & 0xFFFF, 0x100u);
  EXPECT_EQ(m.r(EBX) & 0xFFFF, 0x7FFCu);
  EXPECT_EQ(m.r(ECX) & 0xFFFF, 7u);
  EXPECT_EQ(m.cpu.seg[CS].selector, 0);
  EXPECT_EQ(m.cpu.seg[CS].base, 0u);
  EXPECT_EQ(m.mem<u16>(0x7FFE), 0);       // pushed CS
  EXPECT_EQ(m.mem<u16>(0x7FFC), 0x1005);  // pushed IP
}

TEST(FarTransfer, RealModeFarJmpBeyondTheCsLimitIsGeneralProtection) {
  SM m;
  m.cpu.set_cr0(0x10);
  m.cpu.load_segment_flat(CS, 0, 0, true, false);
  m.load_asm(".byte 0x66, 0xea\n .long 0x10000\n .word 0x100", Bits::b16);  // jmp 0100:00010000 (o32)
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0));
}

}  // namespace
}  // namespace ring1::test
