// ADD ADC SUB SBB CMP AND OR XOR TEST INC DEC NEG NOT: results and every defined flag (SDM vol. 2).
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

using namespace eflags;

TEST(Alu, AddSetsCarryAndZeroOnUnsignedWrap) {
  TestMachine m;
  ASSERT_EQ(m.exec("mov eax, 0xffffffff\n add eax, 1"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 0u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(ZF));
  EXPECT_TRUE(m.flag(AF));
  EXPECT_FALSE(m.flag(OF));
  EXPECT_TRUE(m.flag(PF));
}

TEST(Alu, AddSetsOverflowOnSignedWrap) {
  TestMachine m;
  m.exec("mov eax, 0x7fffffff\n add eax, 1");
  EXPECT_EQ(m.r(EAX), 0x80000000u);
  EXPECT_TRUE(m.flag(OF));
  EXPECT_TRUE(m.flag(SF));
  EXPECT_FALSE(m.flag(CF));
}

TEST(Alu, ByteRegistersAddressHighAndLowHalves) {
  TestMachine m;
  m.exec("mov eax, 0x11223344\n add ah, 0x10\n add al, 1");
  EXPECT_EQ(m.r(EAX), 0x11224345u);
}

TEST(Alu, SixteenBitOperationsKeepTheUpperHalf) {
  TestMachine m;
  m.exec("mov eax, 0xabcdffff\n add ax, 1");
  EXPECT_EQ(m.r(EAX), 0xabcd0000u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(ZF));
}

TEST(Alu, AdcAndSbbChainACarryAcrossWords) {
  TestMachine m;
  m.exec("mov eax, 0xffffffff\n mov edx, 1\n add eax, 1\n adc edx, 0\n"
         "mov ebx, 0\n mov ecx, 5\n sub ebx, 1\n sbb ecx, 0");
  EXPECT_EQ(m.r(EAX), 0u);
  EXPECT_EQ(m.r(EDX), 2u);
  EXPECT_EQ(m.r(EBX), 0xffffffffu);
  EXPECT_EQ(m.r(ECX), 4u);
}

TEST(Alu, CmpSetsFlagsWithoutWriting) {
  TestMachine m;
  m.exec("mov eax, 3\n cmp eax, 5");
  EXPECT_EQ(m.r(EAX), 3u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(SF));
  EXPECT_FALSE(m.flag(ZF));
}

TEST(Alu, LogicClearsCarryAndOverflow) {
  TestMachine m;
  m.exec("mov eax, 0x7fffffff\n add eax, 1\n stc\n or eax, 0x0f");
  EXPECT_EQ(m.r(EAX), 0x8000000fu);
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(OF));
  EXPECT_TRUE(m.flag(SF));
}

TEST(Alu, MemoryDestinationIsReadModifiedAndWritten) {
  TestMachine m;
  m.poke<u32>(TestMachine::kData, 40);
  m.exec("mov ebx, 0x100000\n add dword ptr [ebx], 2\n xor byte ptr [ebx+1], 0xff");
  EXPECT_EQ(m.mem<u32>(TestMachine::kData), 0xff2au);
}

TEST(Alu, IncAndDecLeaveCarryAlone) {
  TestMachine m;
  m.exec("stc\n mov eax, 0xffffffff\n inc eax\n mov ebx, 0\n dec ebx");
  EXPECT_TRUE(m.flag(CF));
  EXPECT_EQ(m.r(EAX), 0u);
  EXPECT_EQ(m.r(EBX), 0xffffffffu);
  EXPECT_TRUE(m.flag(SF));
}

TEST(Alu, NegSetsCarryUnlessZeroAndNotTouchesNoFlag) {
  TestMachine m;
  m.exec("mov eax, 5\n neg eax\n mov ebx, 0\n not ebx");
  EXPECT_EQ(m.r(EAX), u32(-5));
  EXPECT_TRUE(m.flag(CF));
  EXPECT_EQ(m.r(EBX), 0xffffffffu);
  m.exec("mov eax, 0\n neg eax");
  EXPECT_FALSE(m.flag(CF));
  EXPECT_TRUE(m.flag(ZF));
}

}  // namespace
}  // namespace ring1::test
