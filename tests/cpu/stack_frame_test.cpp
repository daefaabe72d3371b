// PUSHA/POPA, PUSHF/POPF with the protected-mode privilege rules, ENTER/LEAVE and XLAT (SDM vol. 2),
// including clean restart when the stack faults.
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

using namespace eflags;

constexpr u32 kTop = TestMachine::kStackTop;

TEST(StackFrame, PushadStoresTheEightRegistersWithTheEspFromBeforeTheInstruction) {
  TestMachine m;
  ASSERT_EQ(m.exec("mov eax, 1\n mov ecx, 2\n mov edx, 3\n mov ebx, 4\n mov ebp, 6\n mov esi, 7\n mov edi, 8\n"
                   "pushad"),
            StopReason::Breakpoint);
  EXPECT_EQ(m.r(ESP), kTop - 32);
  const u32 expect[8] = {8, 7, 6, kTop, 4, 3, 2, 1};  // EDI at the lowest address, EAX at the highest
  for (u32 k = 0; k < 8; ++k) EXPECT_EQ(m.mem<u32>(kTop - 32 + 4 * k), expect[k]) << "slot " << k;
}

TEST(StackFrame, PopadRestoresEveryRegisterButEsp) {
  TestMachine m;
  for (u32 k = 0; k < 8; ++k) m.poke<u32>(kTop - 32 + 4 * k, 0x100 + k);
  m.load_asm("popad");
  m.cpu.gpr[ESP] = kTop - 32;
  m.run();
  EXPECT_EQ(m.r(EDI), 0x100u);
  EXPECT_EQ(m.r(ESI), 0x101u);
  EXPECT_EQ(m.r(EBP), 0x102u);
  EXPECT_EQ(m.r(ESP), kTop);  // the saved 0x103 is skipped
  EXPECT_EQ(m.r(EBX), 0x104u);
  EXPECT_EQ(m.r(EDX), 0x105u);
  EXPECT_EQ(m.r(ECX), 0x106u);
  EXPECT_EQ(m.r(EAX), 0x107u);
}

TEST(StackFrame, SixteenBitPushaAndPopaMoveWordsAndKeepUpperHalves) {
  TestMachine m;
  m.exec("mov eax, 0xaaaa0001\n mov ebx, 0xbbbb0004\n .byte 0x66, 0x60\n"  // pushaw
         "mov eax, 0x11112222\n mov ebx, 0x33334444\n .byte 0x66, 0x61");  // popaw
  EXPECT_EQ(m.r(ESP), kTop);
  EXPECT_EQ(m.mem<u16>(kTop - 2), 0x0001u);
  EXPECT_EQ(m.mem<u16>(kTop - 8), 0x0004u);
  EXPECT_EQ(m.r(EAX), 0x11110001u);
  EXPECT_EQ(m.r(EBX), 0x33330004u);
}

TEST(StackFrame, AFaultingPushaLeavesEspAndTheStackUntouched) {
  TestMachine m;
  m.poke<u32>(kTop - 4, 0xdeadbeefu);
  m.load_asm("mov eax, 1\n pushad");
  m.cpu.seg[SS].write_lo = kTop - 16;  // room for four doublewords, not eight
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::SS));
  EXPECT_EQ(m.r(ESP), kTop);
  EXPECT_EQ(m.mem<u32>(kTop - 4), 0xdeadbeefu);
}

TEST(StackFrame, AFaultingPopaChangesNoRegister) {
  TestMachine m;
  m.load_asm("mov eax, 0x55\n popad");
  m.cpu.gpr[ESP] = kTop - 32;
  m.cpu.seg[SS].read_hi = kTop - 2;  // the last slot (EAX) is out of reach
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::SS));
  EXPECT_EQ(m.r(ESP), kTop - 32);
  EXPECT_EQ(m.r(EAX), 0x55u);
}

TEST(StackFrame, PushfdClearsRfAndVmInThePushedImage) {
  TestMachine m;
  m.load_asm("pushfd");
  m.cpu.eflags = Reserved1 | CF | RF | VM | IOPL | AC;  // IOPL 3: PUSHF in V86 mode is allowed
  m.run();
  EXPECT_EQ(m.mem<u32>(kTop - 4), Reserved1 | CF | IOPL | AC);
  EXPECT_EQ(m.r(ESP), kTop - 4);
}

TEST(StackFrame, PushfPushesOnlyTheLowWord) {
  TestMachine m;
  m.load_asm(".byte 0x66, 0x9c");  // pushfw
  m.cpu.eflags = Reserved1 | ZF | AC;
  m.run();
  EXPECT_EQ(m.r(ESP), kTop - 2);
  EXPECT_EQ(m.mem<u16>(kTop - 2), Reserved1 | ZF);
}

TEST(StackFrame, PopfdAtCplZeroChangesEveryWritableFlagAndClearsRf) {
  TestMachine m;
  m.load_asm("push 0xffffffff\n popfd");
  m.cpu.eflags = Reserved1 | RF | VIF;
  m.run();
  const u32 writable = CF | PF | AF | ZF | SF | TF | IF | DF | OF | IOPL | NT | AC | ID;
  EXPECT_EQ(m.cpu.eflags, Reserved1 | writable | VIF);  // VM/VIP stay clear, VIF stays set, RF cleared
}

TEST(StackFrame, PopfdForcesReservedBits) {
  TestMachine m;
  m.exec("push 0xffc08028\n popfd");  // bits 3, 5, 15 and 22-31 set, bit 1 clear
  EXPECT_EQ(m.cpu.eflags, Reserved1);
}

TEST(StackFrame, PopfdTogglesAcAndIdAsCpuidDetectionExpects) {
  TestMachine m;
  m.exec("pushfd\n pop eax\n mov ecx, eax\n xor eax, 0x240000\n push eax\n popfd\n pushfd\n pop eax");
  EXPECT_EQ((m.r(EAX) ^ m.r(ECX)) & (AC | ID), AC | ID);
}

TEST(StackFrame, SixteenBitPopfChangesOnlyTheLowWord) {
  TestMachine m;
  m.load_asm("push 0xffff\n .byte 0x66, 0x9d");  // popfw
  m.cpu.eflags = Reserved1 | AC | RF;
  m.run();
  EXPECT_EQ(m.cpu.eflags, Reserved1 | AC | RF | CF | PF | AF | ZF | SF | TF | IF | DF | OF | IOPL | NT);
  EXPECT_EQ(m.r(ESP), kTop - 2);
}

TEST(StackFrame, PopfAboveIoplSilentlyKeepsIfAndIoplWithoutFaulting) {
  // The instruction that makes IA-32 unvirtualisable by trap-and-emulate: at CPL 1 with IOPL 0 a guest
  // kernel's POPF that tries to clear IF neither changes it nor traps.
  TestMachine m;
  m.load_asm("push 0x3000\n popfd");  // IF = 0, IOPL = 3, everything else clear
  m.cpu.cpl = 1;
  m.cpu.eflags = Reserved1 | IF | CF;
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_TRUE(m.flag(IF));
  EXPECT_EQ(m.cpu.eflags & IOPL, 0u);
  EXPECT_FALSE(m.flag(CF));  // the ordinary flags did change
  EXPECT_EQ(m.r(ESP), kTop);
}

TEST(StackFrame, PopfWithinIoplChangesIfButNotIopl) {
  TestMachine m;
  m.load_asm("push 0\n popfd");
  m.cpu.cpl = 1;
  m.cpu.eflags = Reserved1 | IF | (1u << 12);  // IOPL 1
  m.run();
  EXPECT_FALSE(m.flag(IF));
  EXPECT_EQ(m.cpu.eflags & IOPL, 1u << 12);
}

TEST(StackFrame, PopfAtCplZeroChangesIfAndIopl) {
  TestMachine m;
  m.load_asm("push 0x2000\n popfd");
  m.cpu.eflags = Reserved1 | IF;
  m.run();
  EXPECT_FALSE(m.flag(IF));
  EXPECT_EQ(m.cpu.eflags & IOPL, 2u << 12);
}

TEST(StackFrame, AFaultingPopfChangesNothing) {
  TestMachine m;
  m.load_asm("popfd");
  m.cpu.gpr[ESP] = kTop - 4;
  m.cpu.seg[SS].read_hi = kTop - 2;
  m.cpu.eflags = Reserved1 | ZF;
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.eflags, Reserved1 | ZF);
  EXPECT_EQ(m.r(ESP), kTop - 4);
}

TEST(StackFrame, EnterWithLevelZeroIsPushEbpMovEbpEspSubEsp) {
  TestMachine m;
  m.exec("mov ebp, 0x1234\n enter 0x20, 0");
  EXPECT_EQ(m.mem<u32>(kTop - 4), 0x1234u);
  EXPECT_EQ(m.r(EBP), kTop - 4);
  EXPECT_EQ(m.r(ESP), kTop - 4 - 0x20);
}

TEST(StackFrame, EnterWithLevelOnePushesTheNewFramePointer) {
  TestMachine m;
  m.exec("mov ebp, 0x1234\n enter 8, 1");
  EXPECT_EQ(m.mem<u32>(kTop - 4), 0x1234u);
  EXPECT_EQ(m.mem<u32>(kTop - 8), kTop - 4);
  EXPECT_EQ(m.r(EBP), kTop - 4);
  EXPECT_EQ(m.r(ESP), kTop - 8 - 8);
}

TEST(StackFrame, EnterWithLevelThreeCopiesTheEnclosingDisplay) {
  TestMachine m;
  const u32 outer = 0x70000;
  m.poke<u32>(outer - 4, 0xaaaa);
  m.poke<u32>(outer - 8, 0xbbbb);
  m.exec("mov ebp, 0x70000\n enter 4, 3");
  EXPECT_EQ(m.mem<u32>(kTop - 4), outer);     // old EBP
  EXPECT_EQ(m.mem<u32>(kTop - 8), 0xaaaau);   // [EBP-4]
  EXPECT_EQ(m.mem<u32>(kTop - 12), 0xbbbbu);  // [EBP-8]
  EXPECT_EQ(m.mem<u32>(kTop - 16), kTop - 4); // FrameTemp
  EXPECT_EQ(m.r(EBP), kTop - 4);
  EXPECT_EQ(m.r(ESP), kTop - 16 - 4);
}

TEST(StackFrame, EnterTakesTheNestingLevelModulo32) {
  TestMachine m;
  m.exec("mov ebp, 0x1234\n enter 0, 33");  // level 1
  EXPECT_EQ(m.mem<u32>(kTop - 8), kTop - 4);
  EXPECT_EQ(m.r(ESP), kTop - 8);
}

TEST(StackFrame, SixteenBitEnterAndLeavePushWords) {
  TestMachine m;
  m.poke<u16>(0x6ffe, 0xcccc);
  m.exec("mov esp, 0x8000\n mov ebp, 0x7000\n .byte 0x66, 0xc8, 0x10, 0x00, 0x02\n"  // enter 0x10, 2 (16-bit)
         "mov ebx, ebp\n mov edx, esp\n .byte 0x66, 0xc9");                         // leave (16-bit)
  EXPECT_EQ(m.mem<u16>(0x7ffe), 0x7000u);  // old BP
  EXPECT_EQ(m.mem<u16>(0x7ffc), 0xccccu);  // [BP-2]
  EXPECT_EQ(m.mem<u16>(0x7ffa), 0x7ffeu);  // FrameTemp
  EXPECT_EQ(m.r(EBX), 0x7ffeu);
  EXPECT_EQ(m.r(EDX), 0x7ffau - 0x10);
  EXPECT_EQ(m.r(ESP), 0x8000u);  // LEAVE: ESP = EBP, pop BP
  EXPECT_EQ(m.r(EBP), 0x7000u);
}

TEST(StackFrame, EnterOnASixteenBitStackMovesSpOnly) {
  TestMachine m;
  m.load_asm("mov ebp, 0x9999\n enter 0x10, 0");
  m.cpu.seg[SS].big = false;
  m.cpu.gpr[ESP] = 0xabcd8000u;
  m.run();
  EXPECT_EQ(m.mem<u32>(0x7ffc), 0x9999u);
  EXPECT_EQ(m.r(ESP), 0xabcd7fecu);
  EXPECT_EQ(m.r(EBP), 0xabcd7ffcu);  // FrameTemp is the full ESP after the push
}

TEST(StackFrame, AFaultingEnterLeavesEspEbpAndTheStackAsTheyWere) {
  TestMachine m;
  m.poke<u32>(kTop - 4, 0xdeadbeefu);
  m.load_asm("mov ebp, 0x70000\n enter 0, 3");
  m.cpu.seg[SS].write_lo = kTop - 12;  // the last push (FrameTemp at kTop-16) faults
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::SS));
  EXPECT_EQ(m.r(ESP), kTop);
  EXPECT_EQ(m.r(EBP), 0x70000u);
  EXPECT_EQ(m.mem<u32>(kTop - 4), 0xdeadbeefu);
}

TEST(StackFrame, EnterFaultsWhenTheAllocationLeavesTheStackSegment) {
  TestMachine m;
  m.load_asm("enter 0x100, 0");
  m.cpu.seg[SS].write_lo = kTop - 0x80;
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::SS));
  EXPECT_EQ(m.r(ESP), kTop);
}

TEST(StackFrame, LeaveUnwindsAFrame) {
  TestMachine m;
  m.exec("mov ebp, 0x4321\n enter 0x40, 0\n mov eax, ebp\n leave");
  EXPECT_EQ(m.r(EAX), kTop - 4);
  EXPECT_EQ(m.r(EBP), 0x4321u);
  EXPECT_EQ(m.r(ESP), kTop);
}

TEST(StackFrame, AFaultingLeaveChangesNothing) {
  TestMachine m;
  m.load_asm("mov ebp, 0x7fff0\n leave");
  m.cpu.seg[SS].read_hi = 0x7fff0;
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.r(EBP), 0x7fff0u);
  EXPECT_EQ(m.r(ESP), kTop);
}

TEST(StackFrame, XlatIndexesWithTheZeroExtendedAl) {
  TestMachine m;
  m.poke<u8>(TestMachine::kData + 0x80, 0x5a);
  m.exec("mov ebx, 0x100000\n mov eax, 0x12345680\n xlatb");
  EXPECT_EQ(m.r(EAX), 0x1234565au);
}

TEST(StackFrame, XlatWithSixteenBitAddressingWrapsBxPlusAl) {
  TestMachine m;
  m.poke<u8>(0x10, 0x77);
  m.exec("mov ebx, 0x1234fff0\n mov eax, 0x20\n .byte 0x67, 0xd7");
  EXPECT_EQ(m.r(EAX), 0x77u);
}

TEST(StackFrame, XlatHonoursASegmentOverride) {
  TestMachine m;
  m.cpu.seg[FS].base = 0x200000;
  m.poke<u8>(TestMachine::kData + 3, 0x11);
  m.poke<u8>(TestMachine::kData + 0x200000 + 3, 0x22);
  m.exec("mov ebx, 0x100000\n mov eax, 3\n .byte 0x64, 0xd7");
  EXPECT_EQ(m.r(EAX), 0x22u);
}

TEST(StackFrame, PushaPopaAndEnterCostAsComplexAndPushfPopfAsStack) {
  const CostProfile& p = CostProfile::pentium3();
  auto cost_of = [](std::string_view src) {
    TestMachine m;
    m.exec(src);
    return m.cpu.cycles;
  };
  EXPECT_EQ(cost_of("pushad"), p.cost(CostClass::Complex));
  EXPECT_EQ(cost_of("pushad\n popad"), 2u * p.cost(CostClass::Complex));
  EXPECT_EQ(cost_of("enter 0, 0"), p.cost(CostClass::Complex));
  EXPECT_EQ(cost_of("pushfd\n popfd"), 2u * p.cost(CostClass::Stack));
}

}  // namespace
}  // namespace ring1::test
