// MOV, MOVZX/MOVSX, LEA, XCHG, PUSH/POP, CMOVcc, SETcc (SDM vol. 2).
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

TEST(DataMove, MovCopiesBetweenRegistersMemoryAndImmediates) {
  TestMachine m;
  m.exec("mov eax, 0x12345678\n mov ebx, 0x100000\n mov [ebx], eax\n mov cx, [ebx+2]\n"
         "mov byte ptr [ebx+8], 0x99\n mov dl, [ebx+8]");
  EXPECT_EQ(m.mem<u32>(TestMachine::kData), 0x12345678u);
  EXPECT_EQ(m.r(ECX) & 0xffff, 0x1234u);
  EXPECT_EQ(m.r(EDX) & 0xff, 0x99u);
}

TEST(DataMove, MovWithAMoffsOperandUsesTheAbsoluteAddress) {
  TestMachine m;
  m.poke<u32>(0x100010, 0xcafef00d);
  m.exec("mov eax, ds:[0x100010]\n mov ds:[0x100020], eax");
  EXPECT_EQ(m.r(EAX), 0xcafef00du);
  EXPECT_EQ(m.mem<u32>(0x100020), 0xcafef00du);
}

TEST(DataMove, MovzxAndMovsxExtendBytesAndWords) {
  TestMachine m;
  m.exec("mov ecx, 0x80f0\n movzx eax, cl\n movsx ebx, cl\n movsx edx, cx\n movzx esi, cx");
  EXPECT_EQ(m.r(EAX), 0xf0u);
  EXPECT_EQ(m.r(EBX), 0xfffffff0u);
  EXPECT_EQ(m.r(EDX), 0xffff80f0u);
  EXPECT_EQ(m.r(ESI), 0x80f0u);
}

TEST(DataMove, LeaComputesTheAddressWithoutTouchingMemoryOrFlags) {
  TestMachine m;
  m.exec("mov ebx, 0x1000\n mov ecx, 3\n lea eax, [ebx + ecx*8 + 0x10]\n lea dx, [ebx + 0xffff]");
  EXPECT_EQ(m.r(EAX), 0x1028u);
  EXPECT_EQ(m.r(EDX) & 0xffff, 0x0fffu);
}

TEST(DataMove, SixteenBitAddressingWrapsAtSixtyFourKilobytes) {
  TestMachine m;
  m.exec("mov ebx, 0xfff0\n mov esi, 0x20\n lea ax, [bx+si]");  // 16-bit LEA: low word only
  EXPECT_EQ(m.r(EAX) & 0xffff, 0x0010u);
  // A 16-bit address [bx+si] = 0xfff0 + 0x20 wraps to 0x0010 (SDM vol. 1, 3.7.5).
  m.poke<u16>(0x0010, 0xbeef);
  m.exec("mov ebx, 0xfff0\n mov esi, 0x20\n addr16 mov cx, [bx+si]");
  EXPECT_EQ(m.r(ECX) & 0xffff, 0xbeefu);
}

TEST(DataMove, XchgSwapsRegistersAndMemory) {
  TestMachine m;
  m.poke<u32>(TestMachine::kData, 7);
  m.exec("mov eax, 1\n mov ebx, 2\n xchg eax, ebx\n mov ecx, 9\n xchg [0x100000], ecx");
  EXPECT_EQ(m.r(EAX), 2u);
  EXPECT_EQ(m.r(EBX), 1u);
  EXPECT_EQ(m.r(ECX), 7u);
  EXPECT_EQ(m.mem<u32>(TestMachine::kData), 9u);
}

TEST(DataMove, PushAndPopMoveEspByTheOperandSize) {
  TestMachine m;
  m.exec("push 0x11223344\n push word ptr 0x5566\n pop ax\n pop ebx\n push esp\n pop ecx");
  EXPECT_EQ(m.r(EAX) & 0xffff, 0x5566u);
  EXPECT_EQ(m.r(EBX), 0x11223344u);
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop);
  EXPECT_EQ(m.r(ECX), TestMachine::kStackTop);  // PUSH ESP pushes the value before the decrement
}

TEST(DataMove, PopToMemoryAddressedThroughEspUsesTheIncrementedEsp) {
  TestMachine m;
  m.exec("push 0xaabbccdd\n push 0x11111111\n pop dword ptr [esp]");
  EXPECT_EQ(m.mem<u32>(TestMachine::kStackTop - 4), 0x11111111u);
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop - 4);
}

TEST(DataMove, CmovMovesOnlyWhenTheConditionHolds) {
  TestMachine m;
  m.exec("mov eax, 1\n mov ebx, 2\n mov ecx, 3\n cmp eax, ebx\n cmovb eax, ebx\n cmova ecx, ebx");
  EXPECT_EQ(m.r(EAX), 2u);
  EXPECT_EQ(m.r(ECX), 3u);
}

TEST(DataMove, SetccWritesZeroOrOne) {
  TestMachine m;
  m.exec("mov eax, 5\n cmp eax, 5\n sete bl\n setne bh\n setge byte ptr [0x100000]\n setl cl");
  EXPECT_EQ(m.r(EBX) & 0xffff, 0x0001u);
  EXPECT_EQ(m.mem<u8>(TestMachine::kData), 1u);
  EXPECT_EQ(m.r(ECX) & 0xff, 0u);
}

TEST(DataMove, SignedConditionsUseSignAndOverflow) {
  TestMachine m;
  m.exec("mov eax, 0x80000000\n cmp eax, 1\n setl bl\n setb cl\n setg dl");
  EXPECT_EQ(m.r(EBX) & 0xff, 1u);  // INT_MIN < 1 signed
  EXPECT_EQ(m.r(ECX) & 0xff, 0u);  // but not unsigned
  EXPECT_EQ(m.r(EDX) & 0xff, 0u);
}


// The hint-NOP space: NOP r/m and ENDBR32 (a NOP without CET, SDM vol. 2) change nothing, flags included.
TEST(DataMove, HintNopsIncludingEndbr32ExecuteAsNops) {
  TestMachine m;
  ASSERT_EQ(m.exec("mov eax, 5\n cmp eax, 5\n endbr32\n nop dword ptr [eax + 0x10]\n setz bl"),
            StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 5u);
  EXPECT_EQ(m.r(EBX) & 0xFF, 1u);
}

}  // namespace
}  // namespace ring1::test
