// DAA DAS AAA AAS AAM AAD: the SDM's pseudocode (vol. 2) on worked examples, every defined flag, and the
// undefined flags as ring1 documents them (QEMU's behaviour: see src/cpu/isa/bcd.cpp).
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

using namespace eflags;

TEST(Bcd, DaaAdjustsBothDigitsAfterAPackedAddition) {
  TestMachine m;
  m.exec("mov eax, 0x79\n add al, 0x35\n daa");  // the SDM's example: 79 + 35 = 114
  EXPECT_EQ(m.r(EAX), 0x14u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(AF));
  EXPECT_FALSE(m.flag(ZF));
}

TEST(Bcd, DaaAdjustsTheLowDigitOnlyWhenItOverflowed) {
  TestMachine m;
  m.exec("mov eax, 0x38\n add al, 0x45\n daa");  // 38 + 45 = 83
  EXPECT_EQ(m.r(EAX), 0x83u);
  EXPECT_TRUE(m.flag(AF));
  EXPECT_FALSE(m.flag(CF));
  EXPECT_TRUE(m.flag(SF));
  m.exec("mov eax, 0x19\n add al, 0x28\n daa");  // 19 + 28 = 47: AF from the add, nibble 1 looks valid
  EXPECT_EQ(m.r(EAX), 0x47u);
  EXPECT_TRUE(m.flag(AF));
  EXPECT_FALSE(m.flag(CF));
}

TEST(Bcd, DaaLeavesAValidSumAloneAndClearsAuxCarry) {
  TestMachine m;
  m.exec("mov eax, 0x12\n add al, 0x34\n daa");
  EXPECT_EQ(m.r(EAX), 0x46u);
  EXPECT_FALSE(m.flag(AF));
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(PF));  // 0x46 has three bits set
}

TEST(Bcd, DaaOfAHundredIsZeroWithCarryAndClearsOverflow) {
  TestMachine m;
  m.exec("mov eax, 0x50\n add al, 0x50\n daa");  // 50 + 50 = 100; ADD set OF (0x50 + 0x50 = 0xa0)
  EXPECT_EQ(m.r(EAX), 0x00u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(ZF));
  EXPECT_TRUE(m.flag(PF));
  EXPECT_FALSE(m.flag(SF));
  EXPECT_FALSE(m.flag(OF));  // undefined: cleared, as QEMU does
}

TEST(Bcd, DaaHonoursAnIncomingCarry) {
  TestMachine m;
  m.exec("mov eax, 0x99\n add al, 0x99\n daa");  // 99 + 99 = 198: ADD leaves 0x32 with CF and AF
  EXPECT_EQ(m.r(EAX), 0x98u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(AF));
}

TEST(Bcd, DasAdjustsAfterAPackedSubtraction) {
  TestMachine m;
  m.exec("mov eax, 0x35\n sub al, 0x47\n das");  // the SDM's example: 35 - 47 = -12 -> 88 with borrow
  EXPECT_EQ(m.r(EAX), 0x88u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(AF));
  EXPECT_TRUE(m.flag(SF));
  EXPECT_TRUE(m.flag(PF));
  EXPECT_FALSE(m.flag(OF));
}

TEST(Bcd, DasAdjustsTheLowDigitOnlyOnABorrowFromIt) {
  TestMachine m;
  m.exec("mov eax, 0x45\n sub al, 0x18\n das");  // 45 - 18 = 27
  EXPECT_EQ(m.r(EAX), 0x27u);
  EXPECT_TRUE(m.flag(AF));
  EXPECT_FALSE(m.flag(CF));
  m.exec("mov eax, 0x40\n sub al, 0x40\n das");  // 40 - 40 = 0
  EXPECT_EQ(m.r(EAX), 0u);
  EXPECT_TRUE(m.flag(ZF));
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(AF));
}

TEST(Bcd, DasSetsCarryOnABorrowOutOfTheLowAdjust) {
  TestMachine m;
  m.exec("mov eax, 0x0c\n sub al, 0x09\n das");  // 0x03 with AF and CF clear: a valid result, left alone
  EXPECT_EQ(m.r(EAX), 0x03u);
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(AF));
  // 0x12 - 0x0f = 0x03 with AF set (2 < f) and CF clear: AL - 6 borrows, so CF is set though AL <= 0x99.
  m.exec("mov eax, 0x12\n sub al, 0x0f\n das");
  EXPECT_EQ(m.r(EAX), 0xfdu);
  EXPECT_TRUE(m.flag(AF));
  EXPECT_TRUE(m.flag(CF));
}

TEST(Bcd, AaaAdjustsAnUnpackedSumIntoAhAndAl) {
  TestMachine m;
  m.exec("mov eax, 0x12340005\n add al, 8\n aaa");  // 5 + 8 = 13
  EXPECT_EQ(m.r(EAX), 0x12340103u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(AF));
  m.exec("mov eax, 0x0239\n add al, 0x35\n aaa");  // ASCII '9' + '5' with 2 in AH
  EXPECT_EQ(m.r(EAX), 0x0304u);
}

TEST(Bcd, AaaCarriesOutOfAlIntoAhAsASixteenBitAdd) {
  TestMachine m;
  m.exec("mov eax, 0x00fa\n aaa");  // AX + 0x106 = 0x0200
  EXPECT_EQ(m.r(EAX), 0x0200u);
  EXPECT_TRUE(m.flag(CF));
}

TEST(Bcd, AaaWithoutAdjustMasksAlAndClearsCarryLeavingOtherFlags) {
  TestMachine m;
  // xor sets ZF and PF and clears SF; AAA must leave those three and OF as they were.
  m.exec("xor ebx, ebx\n stc\n mov eax, 0x0734\n aaa");
  EXPECT_EQ(m.r(EAX), 0x0704u);
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(AF));
  EXPECT_TRUE(m.flag(ZF));
  EXPECT_TRUE(m.flag(PF));
  m.exec("mov eax, 0x7fffffff\n add eax, 1\n mov eax, 0x0f\n aaa");  // OF and SF set before
  EXPECT_EQ(m.r(EAX), 0x0105u);
  EXPECT_TRUE(m.flag(OF));
  EXPECT_TRUE(m.flag(SF));
  EXPECT_FALSE(m.flag(ZF));
}

TEST(Bcd, AasAdjustsAnUnpackedDifferenceBorrowingFromAh) {
  TestMachine m;
  m.exec("mov eax, 0x0502\n sub al, 5\n aas");  // 52 - 5 = 47 in unpacked digits
  EXPECT_EQ(m.r(EAX), 0x0407u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_TRUE(m.flag(AF));
  m.exec("mov eax, 0x0508\n sub al, 5\n aas");
  EXPECT_EQ(m.r(EAX), 0x0503u);
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(AF));
}

TEST(Bcd, AasBorrowsOutOfAlIntoAhAsASixteenBitSubtract) {
  TestMachine m;
  // AL = 3 with AF set: AX - 6 borrows from AH, then AH - 1 again.
  m.exec("mov eax, 0x0512\n sub al, 0x0f\n aas");  // AL = 0x03, AF set
  EXPECT_EQ(m.r(EAX), 0x030du);
  EXPECT_TRUE(m.flag(CF));
}

TEST(Bcd, AamSplitsAlIntoDigits) {
  TestMachine m;
  m.exec("mov eax, 0x1234ff3f\n aam");  // 63 -> AH 6, AL 3
  EXPECT_EQ(m.r(EAX), 0x12340603u);
  EXPECT_FALSE(m.flag(ZF));
  EXPECT_TRUE(m.flag(PF));  // 3: two bits set
  m.exec("mov eax, 0x3f\n aam 16");
  EXPECT_EQ(m.r(EAX), 0x030fu);
}

TEST(Bcd, AamSetsSignZeroParityFromAlAndClearsTheRest) {
  TestMachine m;
  m.exec("mov eax, 0xffffffff\n add eax, 1\n mov eax, 50\n aam");  // CF AF set before; 50 -> 5, 0
  EXPECT_EQ(m.r(EAX), 0x0500u);
  EXPECT_TRUE(m.flag(ZF));
  EXPECT_TRUE(m.flag(PF));
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(AF));
  EXPECT_FALSE(m.flag(OF));
  m.exec("mov eax, 200\n aam 0x81");  // 200 = 1 * 0x81 + 0x47
  EXPECT_EQ(m.r(EAX), 0x0147u);
  m.exec("mov eax, 0xff\n aam 0xfe");
  EXPECT_EQ(m.r(EAX), 0x0101u);
  EXPECT_FALSE(m.flag(SF));
}

TEST(Bcd, AamWithBaseZeroIsADivideErrorThatChangesNothing) {
  TestMachine m;
  m.exec("stc\n mov eax, 0x1234\n aam 0");
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::DE));
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode + 6);  // stc (1) + mov (5)
  EXPECT_EQ(m.r(EAX), 0x1234u);
  EXPECT_TRUE(m.flag(CF));
}

TEST(Bcd, AadCombinesDigitsAndClearsAh) {
  TestMachine m;
  m.exec("mov eax, 0x12340607\n aad");  // 6 * 10 + 7 = 67
  EXPECT_EQ(m.r(EAX), 0x12340043u);
  m.exec("mov eax, 0x0304\n aad 16");
  EXPECT_EQ(m.r(EAX), 0x0034u);
  m.exec("mov eax, 0x1a05\n aad");  // 26 * 10 + 5 = 265: AL keeps the low byte
  EXPECT_EQ(m.r(EAX), 0x0009u);
}

TEST(Bcd, AadSetsSignZeroParityFromAlAndClearsTheRest) {
  TestMachine m;
  m.exec("mov eax, 0xffffffff\n add eax, 1\n mov eax, 0x0c08\n aad");  // 128: SF set
  EXPECT_EQ(m.r(EAX), 0x0080u);
  EXPECT_TRUE(m.flag(SF));
  EXPECT_FALSE(m.flag(ZF));
  EXPECT_FALSE(m.flag(PF));
  EXPECT_FALSE(m.flag(CF));
  EXPECT_FALSE(m.flag(AF));
  m.exec("mov eax, 0x1900\n aad 0x10");  // 0x19 * 16 = 0x190
  EXPECT_EQ(m.r(EAX), 0x0090u);
  m.exec("mov eax, 0x0000\n aad 0");
  EXPECT_TRUE(m.flag(ZF));
}

TEST(Bcd, AdjustsAreChargedAsComplex) {
  TestMachine m;
  m.exec("daa\n aam");
  EXPECT_EQ(m.cpu.cycles, 2u * m.cpu.costs().cost(CostClass::Complex));
}

}  // namespace
}  // namespace ring1::test
