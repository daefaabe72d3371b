// MUL IMUL DIV IDIV: results in every operand size and form, CF/OF as the SDM defines them, ring1's
// documented choice for the undefined flags, and #DE on divide by zero and quotient overflow (SDM vol. 2).
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

using namespace eflags;

// Runs `src` and expects it to stop on a #DE at the last instruction, which is a fault: EIP stays on it.
void expect_divide_error(TestMachine& m, std::string_view src, u32 faulting_eip) {
  ASSERT_EQ(m.exec(src), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::DE));
  EXPECT_FALSE(m.cpu.last_fault().has_error_code);
  EXPECT_EQ(m.cpu.last_fault().eip, faulting_eip);
  EXPECT_EQ(m.cpu.eip, faulting_eip);
}

TEST(MulDiv, MulOfBytesWritesAxAndFlagsAHighHalf) {
  TestMachine m;
  ASSERT_EQ(m.exec("mov eax, 0xabcd0080\n mov ecx, 0x1234ff03\n mul cl"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 0xabcd0180u);  // 0x80 * 3 = 0x180: AH = 1
  EXPECT_EQ(m.r(ECX), 0x1234ff03u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(OF));
}

TEST(MulDiv, MulThatFitsTheLowHalfClearsCarryAndOverflow) {
  TestMachine m;
  m.exec("mov eax, 0x10\n mov edx, 0xdeadbeef\n mov ebx, 0x10\n stc\n mul ebx");
  EXPECT_EQ(m.r(EAX), 0x100u);
  EXPECT_EQ(m.r(EDX), 0u);
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(OF));
}

TEST(MulDiv, MulOfDoublewordsFillsEdxEax) {
  TestMachine m;
  m.exec("mov eax, 0xffffffff\n mov ebx, 0xffffffff\n mul ebx");
  EXPECT_EQ(m.r(EAX), 1u);
  EXPECT_EQ(m.r(EDX), 0xfffffffeu);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(OF));
}

TEST(MulDiv, MulOfWordsFillsDxAxAndKeepsTheUpperHalves) {
  TestMachine m;
  m.exec("mov eax, 0x1111ffff\n mov edx, 0x22220000\n mov esi, 0x3333fffe\n mul si");
  EXPECT_EQ(m.r(EAX), 0x11110002u);  // 0xffff * 0xfffe = 0xfffd0002
  EXPECT_EQ(m.r(EDX), 0x2222fffdu);
  EXPECT_TRUE(m.flag(CF));
}

TEST(MulDiv, MulReadsAMemoryOperand) {
  TestMachine m;
  m.poke<u32>(TestMachine::kData, 1000);
  m.exec("mov eax, 3000000\n mov ebx, 0x100000\n mul dword ptr [ebx]");
  EXPECT_EQ(m.r(EAX), u32(3000000000ull));
  EXPECT_EQ(m.r(EDX), 0u);
  EXPECT_FALSE(m.flag(CF));
}

TEST(MulDiv, MultiplyTakesSignZeroAndParityFromTheLowHalfAndClearsAuxCarry) {
  TestMachine m;
  // 0x100 * 0x100 = 0x10000: low half 0 -> ZF PF set, SF clear; AF cleared even though it was set.
  m.exec("mov eax, 0x0f\n add eax, 1\n mov eax, 0x100\n mov ecx, 0x100\n mul cx");
  EXPECT_EQ(m.r(EAX) & 0xffff, 0u);
  EXPECT_EQ(m.r(EDX) & 0xffff, 1u);
  EXPECT_TRUE(m.flag(ZF));
  EXPECT_TRUE(m.flag(PF));
  EXPECT_FALSE(m.flag(SF));
  EXPECT_FALSE(m.flag(AF));
  m.exec("mov eax, 0x81\n mov ecx, 1\n mul cl");
  EXPECT_TRUE(m.flag(SF));
  EXPECT_FALSE(m.flag(ZF));
  EXPECT_TRUE(m.flag(PF));  // 0x81 has two bits set
}

TEST(MulDiv, OneOperandImulSignExtendsAndFlagsOnlyASignificantHighHalf) {
  TestMachine m;
  m.exec("mov eax, -3\n mov ebx, 5\n imul ebx");
  EXPECT_EQ(m.r(EAX), u32(-15));
  EXPECT_EQ(m.r(EDX), 0xffffffffu);  // the high half is only sign extension
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(OF));
  EXPECT_TRUE(m.flag(SF));
  m.exec("mov eax, 0x40000000\n mov ebx, 4\n imul ebx");
  EXPECT_EQ(m.r(EAX), 0u);
  EXPECT_EQ(m.r(EDX), 1u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(OF));
}

TEST(MulDiv, OneOperandImulOfBytesWritesAx) {
  TestMachine m;
  m.exec("mov eax, 0x12340080\n mov ebx, 0xff\n imul bl");  // -128 * -1 = 128: does not fit a byte
  EXPECT_EQ(m.r(EAX), 0x12340080u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(OF));
  m.exec("mov eax, 0x7f\n mov ebx, 0xff\n imul bl");  // 127 * -1 = -127 fits
  EXPECT_EQ(m.r(EAX) & 0xffff, 0xff81u);
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(OF));
}

TEST(MulDiv, OneOperandImulOfWordsWritesDxAx) {
  TestMachine m;
  m.exec("mov eax, 0xaaaa8000\n mov edx, 0xbbbb1234\n mov ecx, 2\n imul cx");  // -32768 * 2 = -65536
  EXPECT_EQ(m.r(EAX), 0xaaaa0000u);
  EXPECT_EQ(m.r(EDX), 0xbbbbffffu);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(ZF));
}

TEST(MulDiv, TwoOperandImulTruncatesIntoTheDestination) {
  TestMachine m;
  m.exec("mov eax, 0x10000\n mov ebx, 0x10000\n mov edx, 7\n imul eax, ebx");
  EXPECT_EQ(m.r(EAX), 0u);
  EXPECT_EQ(m.r(EDX), 7u);  // no implicit high half
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(OF));
  m.exec("mov eax, -7\n mov ebx, 6\n imul eax, ebx");
  EXPECT_EQ(m.r(EAX), u32(-42));
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(OF));
}

TEST(MulDiv, TwoOperandImulOfWordsReadsMemoryAndKeepsTheUpperHalf) {
  TestMachine m;
  m.poke<u16>(TestMachine::kData, 0x0100);
  m.exec("mov ecx, 0x55550080\n mov ebx, 0x100000\n imul cx, word ptr [ebx]");  // 128 * 256 = 32768
  EXPECT_EQ(m.r(ECX), 0x55558000u);
  EXPECT_TRUE(m.flag(OF));
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(SF));
}

TEST(MulDiv, ThreeOperandImulSignExtendsAByteImmediate) {
  TestMachine m;
  m.exec("mov ebx, 10\n mov eax, 0x99\n imul eax, ebx, -3");
  EXPECT_EQ(m.r(EAX), u32(-30));
  EXPECT_EQ(m.r(EBX), 10u);
  EXPECT_FALSE(m.flag(CF));
  m.exec("mov ebx, 1000\n imul si, bx, -2");
  EXPECT_EQ(m.r(ESI) & 0xffff, u32(u16(-2000)));
  EXPECT_FALSE(m.flag(OF));
}

TEST(MulDiv, ThreeOperandImulWithAFullImmediateAndAMemorySource) {
  TestMachine m;
  m.poke<u32>(TestMachine::kData, 0x10000);
  m.exec("mov ebx, 0x100000\n imul edx, dword ptr [ebx], 0x12345");
  EXPECT_EQ(m.r(EDX), 0x23450000u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(OF));
  m.exec("mov ebx, 3\n imul cx, bx, 0x1000");
  EXPECT_EQ(m.r(ECX) & 0xffff, 0x3000u);
  EXPECT_FALSE(m.flag(CF));
}

TEST(MulDiv, DivOfDoublewordsLeavesQuotientAndRemainder) {
  TestMachine m;
  m.exec("mov edx, 1\n mov eax, 5\n mov ecx, 3\n div ecx");  // 0x1_00000005 / 3
  EXPECT_EQ(m.r(EAX), 0x55555557u);
  EXPECT_EQ(m.r(EDX), 0u);
  m.exec("mov edx, 0\n mov eax, 100\n mov ecx, 7\n div ecx");
  EXPECT_EQ(m.r(EAX), 14u);
  EXPECT_EQ(m.r(EDX), 2u);
}

TEST(MulDiv, DivOfBytesDividesAxIntoAlAndAh) {
  TestMachine m;
  m.exec("mov eax, 0x12340103\n mov ebx, 0x10\n div bl");  // 0x103 / 0x10 = 0x10 r 3
  EXPECT_EQ(m.r(EAX), 0x12340310u);
}

TEST(MulDiv, DivOfWordsDividesDxAx) {
  TestMachine m;
  m.exec("mov edx, 0xffff0001\n mov eax, 0xeeee0000\n mov ecx, 0x10\n div cx");  // 0x10000 / 16
  EXPECT_EQ(m.r(EAX), 0xeeee1000u);
  EXPECT_EQ(m.r(EDX), 0xffff0000u);
}

TEST(MulDiv, DivReadsAMemoryDivisor) {
  TestMachine m;
  m.poke<u8>(TestMachine::kData, 9);
  m.exec("mov eax, 100\n mov ebx, 0x100000\n div byte ptr [ebx]");
  EXPECT_EQ(m.r(EAX) & 0xffff, 0x010bu);  // 11 r 1
}

TEST(MulDiv, DivLeavesTheStatusFlagsUnchanged) {
  TestMachine m;
  m.exec("mov eax, 0xffffffff\n add eax, 1\n mov edx, 0\n mov eax, 10\n mov ecx, 3\n div ecx");
  EXPECT_EQ(m.r(EAX), 3u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(ZF));
  EXPECT_TRUE(m.flag(AF));
  EXPECT_TRUE(m.flag(PF));
  m.exec("mov eax, 0\n add eax, 1\n mov edx, -1\n mov eax, -10\n mov ecx, 3\n idiv ecx");
  EXPECT_EQ(m.r(EAX), u32(-3));
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(ZF));
  EXPECT_FALSE(m.flag(SF));
}

TEST(MulDiv, IdivTruncatesTowardZeroAndGivesTheRemainderTheDividendsSign) {
  TestMachine m;
  m.exec("mov eax, -7\n cdq\n mov ecx, 2\n idiv ecx");
  EXPECT_EQ(m.r(EAX), u32(-3));
  EXPECT_EQ(m.r(EDX), u32(-1));
  m.exec("mov eax, 7\n mov edx, 0\n mov ecx, -2\n idiv ecx");
  EXPECT_EQ(m.r(EAX), u32(-3));
  EXPECT_EQ(m.r(EDX), 1u);
}

TEST(MulDiv, IdivOfBytesAndWords) {
  TestMachine m;
  // AX = -128 / -1 = 128 does not fit a byte; -256 / 2 = -128 does.
  ASSERT_EQ(m.exec("mov eax, 0xffffff80\n mov ebx, 0xff\n idiv bl"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::DE));
  ASSERT_EQ(m.exec("mov eax, 0x0000ff00\n mov ebx, 2\n idiv bl"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX) & 0xffff, 0x0080u);
  m.exec("mov edx, 0xffff\n mov eax, 0xfff9\n mov ecx, 2\n idiv cx");  // DX:AX = -7
  EXPECT_EQ(m.r(EAX) & 0xffff, u32(u16(-3)));
  EXPECT_EQ(m.r(EDX) & 0xffff, 0xffffu);
}

TEST(MulDiv, DivideByZeroIsAFaultThatChangesNothing) {
  TestMachine m;
  // mov eax, imm32 (5) + mov edx, imm32 (5) + xor ecx, ecx (2): the DIV starts at kCode + 12.
  expect_divide_error(m, "mov eax, 0x1234\n mov edx, 0x5678\n xor ecx, ecx\n div ecx", TestMachine::kCode + 12);
  EXPECT_EQ(m.r(EAX), 0x1234u);
  EXPECT_EQ(m.r(EDX), 0x5678u);
  TestMachine m2;
  expect_divide_error(m2, "mov eax, 0x1234\n mov edx, 0x5678\n xor ecx, ecx\n idiv cl", TestMachine::kCode + 12);
  EXPECT_EQ(m2.r(EAX), 0x1234u);
}

TEST(MulDiv, UnsignedQuotientOverflowIsADivideError) {
  TestMachine m;
  expect_divide_error(m, "mov eax, 0x0100\n mov edx, 0\n mov ecx, 1\n div cl", TestMachine::kCode + 15);
  EXPECT_EQ(m.r(EAX), 0x0100u);
  TestMachine m2;
  expect_divide_error(m2, "mov eax, 0\n mov edx, 5\n mov ecx, 5\n div ecx", TestMachine::kCode + 15);
  EXPECT_EQ(m2.r(EDX), 5u);
  TestMachine m3;
  expect_divide_error(m3, "mov eax, 0\n mov edx, 1\n mov ecx, 1\n div cx", TestMachine::kCode + 15);
}

TEST(MulDiv, IdivOfTheMostNegativeDividendByMinusOneIsADivideError) {
  TestMachine m;
  expect_divide_error(m, "mov eax, 0\n mov edx, 0x80000000\n mov ecx, -1\n idiv ecx", TestMachine::kCode + 15);
  EXPECT_EQ(m.r(EDX), 0x80000000u);
  TestMachine m2;  // EDX:EAX = -2^31 / -1 = 2^31: one past the largest quotient
  expect_divide_error(m2, "mov eax, 0x80000000\n mov edx, -1\n mov ecx, -1\n idiv ecx", TestMachine::kCode + 15);
  TestMachine m3;
  expect_divide_error(m3, "mov eax, 0x8000\n mov edx, 0xffff\n mov ecx, -1\n idiv cx", TestMachine::kCode + 15);
}

TEST(MulDiv, IdivAcceptsTheMostNegativeQuotient) {
  TestMachine m;
  // EDX:EAX = -2^32; -2^32 / 2 = -2^31
  ASSERT_EQ(m.exec("mov eax, 0\n mov edx, 0xffffffff\n mov ecx, 2\n idiv ecx"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 0x80000000u);
  EXPECT_EQ(m.r(EDX), 0u);
}

TEST(MulDiv, MultipliesAndDividesAreChargedTheirCostClasses) {
  TestMachine m;
  const CostProfile& p = m.cpu.costs();
  m.exec("imul eax, ecx, 3");
  EXPECT_EQ(m.cpu.cycles, p.cost(CostClass::Multiply));
  m.cpu.cycles = 0;
  m.exec("mov ecx, 1\n div ecx");
  EXPECT_EQ(m.cpu.cycles, p.cost(CostClass::Simple) + p.cost(CostClass::Divide));
}

}  // namespace
}  // namespace ring1::test
