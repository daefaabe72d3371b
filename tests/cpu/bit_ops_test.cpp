// BT BTS BTR BTC BSF BSR: the selected bit, bit-string addressing through a signed register offset, the
// scans' zero-source rule, and ring1's documented choices for the flags the SDM leaves undefined (SDM vol. 2).
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

using namespace eflags;
constexpr u32 kData = TestMachine::kData;

StopReason run_with(TestMachine& m, std::string_view src, u32 eax, u32 ecx, u32 flags = 0) {
  m.load_asm(src);
  m.cpu.gpr[EAX] = eax;
  m.cpu.gpr[ECX] = ecx;
  m.cpu.gpr[EBX] = kData + 0x100;  // room below for negative bit offsets
  m.cpu.eflags = Reserved1 | flags;
  return m.run();
}

TEST(BitOps, BtCopiesTheSelectedBitToCarryAndLeavesTheOperandAlone) {
  TestMachine m;
  run_with(m, "bt eax, 5", 0x20, 0);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_EQ(m.r(EAX), 0x20u);
  run_with(m, "bt eax, 4", 0x20, 0, CF);
  EXPECT_FALSE(m.flag(CF));
}

TEST(BitOps, ARegisterOperandTakesTheOffsetModuloItsSize) {
  TestMachine m;
  run_with(m, "bt eax, ecx", 0x20, 37);  // 37 mod 32 = 5
  EXPECT_TRUE(m.flag(CF));
  run_with(m, "bt ax, cx", 0x8000, 0xFFFF);  // 0xFFFF mod 16 = 15
  EXPECT_TRUE(m.flag(CF));
  run_with(m, "bt ax, 21", 0x20, 0);  // an immediate is masked too: 21 mod 16 = 5
  EXPECT_TRUE(m.flag(CF));
}

TEST(BitOps, BtsBtrAndBtcSetResetAndComplementTheBitAfterCopyingItToCarry) {
  TestMachine m;
  run_with(m, "bts eax, 3", 0x1, 0);
  EXPECT_EQ(m.r(EAX), 0x9u);
  EXPECT_FALSE(m.flag(CF));
  run_with(m, "btr eax, ecx", 0xFFFFFFFF, 31);
  EXPECT_EQ(m.r(EAX), 0x7FFFFFFFu);
  EXPECT_TRUE(m.flag(CF));
  run_with(m, "btc ax, cx", 0xABCD0001, 16);  // bit 0 of AX; the upper half is untouched
  EXPECT_EQ(m.r(EAX), 0xABCD0000u);
  EXPECT_TRUE(m.flag(CF));
  run_with(m, "btc eax, 31", 0, 0);
  EXPECT_EQ(m.r(EAX), 0x80000000u);
  EXPECT_FALSE(m.flag(CF));
  run_with(m, "bts ax, 15", 0x8000, 0);
  EXPECT_EQ(m.r(EAX), 0x8000u);
  EXPECT_TRUE(m.flag(CF));
}

// ZF is unaffected (SDM); OF SF AF PF are undefined and ring1 leaves them unchanged (documented choice).
TEST(BitOps, BitTestsChangeOnlyCarry) {
  const u32 others = ZF | SF | OF | AF | PF;
  TestMachine m;
  run_with(m, "btc eax, 0", 1, 0, others);
  EXPECT_EQ(m.cpu.eflags, Reserved1 | others | CF);
  run_with(m, "bt eax, 1", 1, 0, 0);
  EXPECT_EQ(m.cpu.eflags, Reserved1);
}

TEST(BitOps, AnImmediateOffsetOnMemoryStaysInsideTheOperand) {
  TestMachine m;
  run_with(m, "bts dword ptr [ebx], 33\n bts word ptr [ebx+4], 17", 0, 0);
  EXPECT_EQ(m.mem<u32>(kData + 0x100), 0x2u);
  EXPECT_EQ(m.mem<u16>(kData + 0x104), 0x2u);
  EXPECT_EQ(m.mem<u32>(kData + 0x108), 0u);
}

TEST(BitOps, ARegisterOffsetOnMemoryAddressesABitStringBeyondTheOperand) {
  TestMachine m;
  m.poke<u32>(kData + 0x104, 0x8);
  run_with(m, "bt dword ptr [ebx], ecx", 0, 35);  // dword at +4, bit 3
  EXPECT_TRUE(m.flag(CF));
  run_with(m, "bts dword ptr [ebx], ecx", 0, 1000);  // dword at +124, bit 8
  EXPECT_EQ(m.mem<u32>(kData + 0x100 + 124), 0x100u);
  EXPECT_FALSE(m.flag(CF));
}

TEST(BitOps, ANegativeRegisterOffsetAddressesMemoryBelowTheOperand) {
  TestMachine m;
  m.poke<u32>(kData + 0xFC, 0x80000000);
  run_with(m, "bt dword ptr [ebx], ecx", 0, u32(-1));  // dword at -4, bit 31
  EXPECT_TRUE(m.flag(CF));
  run_with(m, "btr dword ptr [ebx], ecx", 0, u32(-1));
  EXPECT_EQ(m.mem<u32>(kData + 0xFC), 0u);
  EXPECT_TRUE(m.flag(CF));
  run_with(m, "btc dword ptr [ebx], ecx", 0, u32(-33));  // dword at -8, bit 31
  EXPECT_EQ(m.mem<u32>(kData + 0xF8), 0x80000000u);
  EXPECT_FALSE(m.flag(CF));
  EXPECT_EQ(m.mem<u32>(kData + 0x100), 0u);
}

TEST(BitOps, ASixteenBitRegisterOffsetIsASignedWord) {
  TestMachine m;
  run_with(m, "bts word ptr [ebx], cx", 0, 0x0001FFFF);  // CX = -1: word at -2, bit 15
  EXPECT_EQ(m.mem<u16>(kData + 0xFE), 0x8000u);
  EXPECT_EQ(m.mem<u32>(kData + 0x100), 0u);
  run_with(m, "bts word ptr [ebx], cx", 0, 17);  // word at +2, bit 1
  EXPECT_EQ(m.mem<u16>(kData + 0x102), 0x2u);
}

TEST(BitOps, AFaultingBitWriteLeavesMemoryAndCarryUntouched) {
  TestMachine m;
  m.poke<u32>(kData + 0x100, 0x1);
  m.cpu.seg[DS].write_lo = 1;
  m.cpu.seg[DS].write_hi = 0;
  ASSERT_EQ(run_with(m, "btr dword ptr [ebx], 0", 0, 0), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::GP));
  EXPECT_EQ(m.mem<u32>(kData + 0x100), 0x1u);
  EXPECT_FALSE(m.flag(CF));
  // BT only reads, so it runs on the same read-only data.
  ASSERT_EQ(run_with(m, "bt dword ptr [ebx], 0", 0, 0), StopReason::Breakpoint);
  EXPECT_TRUE(m.flag(CF));
}

TEST(BitOps, BsfAndBsrFindTheLowestAndHighestSetBit) {
  TestMachine m;
  run_with(m, "bsf eax, ecx", 0xFFFFFFFF, 0x00F0, ZF);
  EXPECT_EQ(m.r(EAX), 4u);
  EXPECT_FALSE(m.flag(ZF));
  run_with(m, "bsr eax, ecx", 0xFFFFFFFF, 0x00F0);
  EXPECT_EQ(m.r(EAX), 7u);
  run_with(m, "bsr eax, ecx", 0, 0x80000001);
  EXPECT_EQ(m.r(EAX), 31u);
  run_with(m, "bsf ax, cx", 0xABCDFFFF, 0x00018000);  // only CX counts; the upper half of EAX is kept
  EXPECT_EQ(m.r(EAX), 0xABCD000Fu);
  run_with(m, "bsr ax, cx", 0xABCDFFFF, 0x00010001);
  EXPECT_EQ(m.r(EAX), 0xABCD0000u);
}

TEST(BitOps, ScanningAZeroSourceSetsZeroAndLeavesTheDestinationUnchanged) {
  TestMachine m;
  run_with(m, "bsf eax, ecx", 0x12345678, 0);
  EXPECT_EQ(m.r(EAX), 0x12345678u);
  EXPECT_TRUE(m.flag(ZF));
  run_with(m, "bsr ax, cx", 0x12345678, 0xFFFF0000);
  EXPECT_EQ(m.r(EAX), 0x12345678u);
  EXPECT_TRUE(m.flag(ZF));
}

// Documented choice (QEMU): CF OF AF cleared, SF and PF from the source, as for a logic operation.
TEST(BitOps, ScansSetTheUndefinedFlagsAsALogicOperationOnTheSource) {
  TestMachine m;
  run_with(m, "bsf eax, ecx", 0, 0x80000003, CF | OF | AF);
  EXPECT_EQ(m.cpu.eflags, Reserved1 | SF | PF);
  run_with(m, "bsr eax, ecx", 0, 0x1, CF | OF | AF | SF | PF);
  EXPECT_EQ(m.cpu.eflags, Reserved1);
}

TEST(BitOps, ScansReadAMemorySource) {
  TestMachine m;
  m.poke<u32>(kData + 0x100, 0x00100400);
  run_with(m, "bsf eax, dword ptr [ebx]\n bsr dx, word ptr [ebx+2]", 0, 0);
  EXPECT_EQ(m.r(EAX), 10u);
  EXPECT_EQ(m.r(EDX) & 0xFFFF, 4u);
}

TEST(BitOps, BitTestsOnMemoryCostALoadAndTheirWritingFormsAStore) {
  const CostProfile& p = CostProfile::pentium3();
  TestMachine m;
  run_with(m, "bt dword ptr [ebx], ecx", 0, 0);
  EXPECT_EQ(m.cpu.cycles, p.cost(CostClass::Load));
  TestMachine n;
  run_with(n, "btc dword ptr [ebx], 3", 0, 0);
  EXPECT_EQ(n.cpu.cycles, p.cost(CostClass::Store));
  TestMachine r;
  run_with(r, "bts eax, ecx", 0, 0);
  EXPECT_EQ(r.cpu.cycles, p.cost(CostClass::Simple));
}

TEST(BitOps, LockOnARegisterDestinationIsInvalid) {
  TestMachine m;
  m.load({0xF0, 0x0F, 0xBA, 0xE8, 0x01});  // lock bts eax, 1
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::UD));
}

TEST(BitOps, LockOnAMemoryDestinationIsAllowed) {
  TestMachine m;
  ASSERT_EQ(run_with(m, "lock bts dword ptr [ebx], 2", 0, 0), StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u32>(kData + 0x100), 0x4u);
}

}  // namespace
}  // namespace ring1::test
