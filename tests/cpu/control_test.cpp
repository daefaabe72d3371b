// Near JMP/Jcc/CALL/RET, LOOP and JCXZ, INT n/INT3/INTO/BOUND and HLT (SDM vol. 2).
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

TEST(Control, ConditionalBranchesFollowTheFlags) {
  TestMachine m;
  m.exec(R"(
      mov eax, 0
      mov ecx, 10
    again:
      add eax, ecx
      dec ecx
      jnz again
  )");
  EXPECT_EQ(m.r(EAX), 55u);
}

TEST(Control, CallPushesTheReturnAddressAndRetPopsIt) {
  TestMachine m;
  m.exec(R"(
      call f
      jmp done
    f:
      mov eax, [esp]
      ret
    done:
  )");
  EXPECT_EQ(m.r(EAX), TestMachine::kCode + 5);
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop);
}

TEST(Control, RetImmediateReleasesArguments) {
  TestMachine m;
  m.exec(R"(
      push 1
      push 2
      call f
      jmp done
    f:
      mov eax, [esp+4]
      ret 8
    done:
  )");
  EXPECT_EQ(m.r(EAX), 2u);
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop);
}

TEST(Control, IndirectJumpAndCallThroughRegisterAndMemory) {
  TestMachine m;
  m.exec(R"(
      lea ebx, [t1]
      jmp ebx
      mov eax, 0xbad
    t1:
      lea ecx, [f]
      mov [0x100000], ecx
      call dword ptr [0x100000]
      jmp done
    f:
      mov eax, 0x600d
      ret
    done:
  )");
  EXPECT_EQ(m.r(EAX), 0x600du);
}

TEST(Control, LoopDecrementsEcxAndStopsAtZero) {
  TestMachine m;
  m.exec(R"(
      mov ecx, 4
      xor eax, eax
    l:
      inc eax
      loop l
  )");
  EXPECT_EQ(m.r(EAX), 4u);
  EXPECT_EQ(m.r(ECX), 0u);
}

TEST(Control, LoopneStopsWhenZeroFlagIsSet) {
  TestMachine m;
  m.exec(R"(
      mov ecx, 100
      xor eax, eax
    l:
      inc eax
      cmp eax, 7
      loopne l
  )");
  EXPECT_EQ(m.r(EAX), 7u);
  EXPECT_EQ(m.r(ECX), 93u);
}

TEST(Control, JecxzBranchesOnlyWhenEcxIsZero) {
  TestMachine m;
  m.exec(R"(
      xor ecx, ecx
      mov eax, 1
      jecxz z
      mov eax, 2
    z:
  )");
  EXPECT_EQ(m.r(EAX), 1u);
}

TEST(Control, IntNIsATrapReportedWithTheNextEip) {
  TestMachine m;
  EXPECT_EQ(m.exec("nop\n int 0x80\n nop"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 0x80);
  EXPECT_TRUE(m.cpu.last_fault().software);
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode + 3);
  EXPECT_EQ(m.cpu.instret, 2u);
}

TEST(Control, IntoTrapsOnlyWhenOverflowIsSet) {
  TestMachine m;
  EXPECT_EQ(m.exec("mov eax, 1\n add eax, 1\n into"), StopReason::Breakpoint);
  EXPECT_EQ(m.exec("mov eax, 0x7fffffff\n add eax, 1\n into"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 4);
}

TEST(Control, BoundFaultsOutsideTheSignedRange) {
  TestMachine m;
  m.poke<i32>(TestMachine::kData, -5);
  m.poke<i32>(TestMachine::kData + 4, 10);
  EXPECT_EQ(m.exec("mov eax, -5\n bound eax, [0x100000]\n mov eax, 10\n bound eax, [0x100000]"),
            StopReason::Breakpoint);
  EXPECT_EQ(m.exec("mov eax, 11\n bound eax, [0x100000]"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 5);
  EXPECT_FALSE(m.cpu.last_fault().software);
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode + 5);  // a fault: EIP of BOUND itself
}

TEST(Control, HltStopsTheRunAtRingZeroAndFaultsElsewhere) {
  TestMachine m;
  EXPECT_EQ(m.exec("mov eax, 1\n hlt\n mov eax, 2"), StopReason::Halted);
  EXPECT_EQ(m.r(EAX), 1u);
  m.cpu.cpl = 3;
  EXPECT_EQ(m.exec("hlt"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 13);
}

TEST(Control, BranchOutsideTheCodeSegmentLimitIsGeneralProtection) {
  TestMachine m;
  m.cpu.seg[CS].limit = 0x1fff;
  m.cpu.seg[CS].read_hi = 0x1fff;
  EXPECT_EQ(m.exec("mov eax, 0x3000\n jmp eax"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 13);
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode + 5);  // at the JMP, nothing committed
}

TEST(Control, UndefinedOpcodeRaisesInvalidOpcode) {
  TestMachine m;
  m.load({0x90, 0x0f, 0xff});  // 0F FF is not an instruction
  EXPECT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 6);
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode + 1);
}

}  // namespace
}  // namespace ring1::test
