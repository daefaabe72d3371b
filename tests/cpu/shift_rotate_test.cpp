// SHL/SAL SHR SAR ROL ROR RCL RCR SHLD SHRD: results, every defined flag, the count rules (5-bit mask, count 0,
// modulo 9/17 for RCL/RCR) and ring1's documented choices for what the SDM leaves undefined (SDM vol. 2).
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

using namespace eflags;

// One instruction (or a few) with EAX, ECX, EDX and the status flags preset; returns the stop reason.
struct Preset {
  u32 eax = 0, ecx = 0, edx = 0, flags = 0;
};
StopReason run_with(TestMachine& m, std::string_view src, Preset p) {
  m.load_asm(src);
  m.cpu.gpr[EAX] = p.eax;
  m.cpu.gpr[ECX] = p.ecx;
  m.cpu.gpr[EDX] = p.edx;
  m.cpu.gpr[EBX] = TestMachine::kData;
  m.cpu.eflags = Reserved1 | p.flags;
  return m.run();
}

// A row of a table: an instruction on EAX/AX/AL, its inputs, the expected EAX and the flags expected set/clear.
struct Row {
  const char* insn;
  Preset in;
  u32 eax;
  u32 set;
  u32 clear;
};
void check_rows(std::initializer_list<Row> rows) {
  for (const Row& r : rows) {
    SCOPED_TRACE(testing::Message() << r.insn << " eax=0x" << std::hex << r.in.eax << " ecx=0x" << r.in.ecx
                                    << " flags=0x" << r.in.flags);
    TestMachine m;
    ASSERT_EQ(run_with(m, r.insn, r.in), StopReason::Breakpoint);
    EXPECT_EQ(m.r(EAX), r.eax);
    EXPECT_EQ(m.cpu.eflags & r.set, r.set);
    EXPECT_EQ(m.cpu.eflags & r.clear, 0u);
  }
}

TEST(ShiftRotate, ShlByOneSetsCarryToTheTopBitAndOverflowWhenTheSignChanges) {
  check_rows({
      {"shl al, 1", {.eax = 0x80}, 0x00, CF | ZF | PF | OF, SF},
      {"shl al, 1", {.eax = 0x40}, 0x80, SF | OF, CF | ZF},
      {"shl al, 1", {.eax = 0xC0}, 0x80, CF | SF, OF | ZF},
      {"shl ax, 1", {.eax = 0xAAAA8001}, 0xAAAA0002, CF | OF, ZF | SF | PF},
      {"shl eax, 1", {.eax = 0x80000001}, 0x00000002, CF | OF, ZF | SF},
      {"sal eax, 1", {.eax = 0x3FFFFFFF}, 0x7FFFFFFE, 0, CF | OF | SF},
  });
}

TEST(ShiftRotate, ShlByALargerCountLeavesTheLastBitShiftedOutInCarry) {
  check_rows({
      {"shl eax, 31", {.eax = 0x3}, 0x80000000, CF | SF, ZF},
      {"shl eax, cl", {.eax = 0x12345678, .ecx = 4}, 0x23456780, CF, SF | ZF},
      {"shl ax, cl", {.eax = 0xFFFF0001, .ecx = 16}, 0xFFFF0000, CF | ZF | PF, SF},
      {"shl al, cl", {.eax = 0x01, .ecx = 8}, 0x00, CF | ZF, SF},
      // Documented choice: past the operand's edge the bit shifted out last is 0.
      {"shl al, cl", {.eax = 0xFF, .ecx = 9}, 0x00, ZF, CF},
  });
}

TEST(ShiftRotate, ShiftsClearTheUndefinedAuxiliaryCarry) {
  check_rows({
      {"shl eax, 2", {.eax = 1, .flags = AF}, 4, 0, AF},
      {"shr eax, 1", {.eax = 2, .flags = AF}, 1, 0, AF},
      {"sar eax, cl", {.eax = 2, .ecx = 1, .flags = AF}, 1, 0, AF},
  });
}

TEST(ShiftRotate, ShrByOneSetsOverflowToTheOriginalSignBit) {
  check_rows({
      {"shr al, 1", {.eax = 0x81}, 0x40, CF | OF, SF | ZF},
      {"shr ax, 1", {.eax = 0x0002}, 0x0001, 0, CF | OF | ZF},
      {"shr eax, 1", {.eax = 0x80000000}, 0x40000000, OF, CF | SF},
      {"shr eax, 1", {.eax = 1}, 0, CF | ZF | PF, OF},
  });
}

TEST(ShiftRotate, ShrByMoreThanOneClearsOverflowAsQemuDoes) {
  check_rows({
      {"shr eax, 4", {.eax = 0x80000018, .flags = OF}, 0x08000001, CF, OF | SF},
      {"shr al, cl", {.eax = 0x80, .ecx = 7, .flags = OF}, 0x01, 0, OF | CF},
      {"shr ax, cl", {.eax = 0x8000, .ecx = 16}, 0x0000, CF | ZF, OF},
  });
}

TEST(ShiftRotate, SarKeepsTheSignAndNeverOverflows) {
  check_rows({
      {"sar al, 1", {.eax = 0x81, .flags = OF}, 0xC0, CF | SF, OF | ZF},
      {"sar ax, 3", {.eax = 0x8008}, 0xF001, SF, CF | OF},
      {"sar eax, 31", {.eax = 0x80000000}, 0xFFFFFFFF, SF | PF, CF | OF},
      {"sar eax, cl", {.eax = 0x40000000, .ecx = 31}, 0, CF | ZF, SF},
      // Documented choice: an 8-bit SAR past the edge fills with the sign and leaves it in CF.
      {"sar al, cl", {.eax = 0x80, .ecx = 20}, 0xFF, CF | SF, OF},
  });
}

TEST(ShiftRotate, TheCountIsMaskedToFiveBits) {
  check_rows({
      {"shl eax, cl", {.eax = 1, .ecx = 33}, 2, 0, CF},
      {"shr eax, cl", {.eax = 4, .ecx = 0xE2}, 1, 0, CF},
      {"rol eax, cl", {.eax = 0x80000000, .ecx = 0x21}, 1, CF, 0},
  });
}

TEST(ShiftRotate, AMaskedCountOfZeroChangesNoFlagAndNoRegister) {
  const u32 all = CF | PF | AF | ZF | SF | OF;
  check_rows({
      {"shl eax, cl", {.eax = 0x80000001, .ecx = 32, .flags = all}, 0x80000001, all, 0},
      {"shr eax, 0", {.eax = 0x80000001, .flags = all}, 0x80000001, all, 0},
      {"sar ax, cl", {.eax = 0x8001, .ecx = 0}, 0x8001, 0, all},
      {"rol al, cl", {.eax = 0x81, .ecx = 64, .flags = all}, 0x81, all, 0},
      {"rcr eax, cl", {.eax = 0x81, .ecx = 32, .flags = CF}, 0x81, CF, OF},
  });
}

TEST(ShiftRotate, AMemoryOperandShiftedByZeroIsReadButNotWritten) {
  TestMachine m;
  m.poke<u32>(TestMachine::kData, 0x1234);
  m.cpu.seg[DS].write_lo = 1;  // no write through DS is allowed
  m.cpu.seg[DS].write_hi = 0;
  ASSERT_EQ(run_with(m, "shl dword ptr [ebx], cl", {.ecx = 32}), StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u32>(TestMachine::kData), 0x1234u);

  TestMachine n;
  n.cpu.seg[DS].read_lo = 1;  // no read either: the count-0 shift still faults
  n.cpu.seg[DS].read_hi = 0;
  ASSERT_EQ(run_with(n, "shl dword ptr [ebx], cl", {.ecx = 0}), StopReason::UnhandledFault);
  EXPECT_EQ(n.cpu.last_fault().vector, u8(Vector::GP));
}

TEST(ShiftRotate, RotatesMoveBitsAroundAndSetCarryAndOverflowOnly) {
  const u32 szap = SF | ZF | AF | PF;
  check_rows({
      {"rol al, 1", {.eax = 0x81}, 0x03, CF | OF, 0},
      {"rol al, 1", {.eax = 0x40, .flags = szap}, 0x80, OF | szap, CF},
      {"rol ax, 4", {.eax = 0x1234}, 0x2341, CF, ZF},
      {"rol eax, cl", {.eax = 0x80000000, .ecx = 31}, 0x40000000, 0, CF | ZF | SF},
      {"ror al, 1", {.eax = 0x01}, 0x80, CF | OF, SF},
      {"ror ax, cl", {.eax = 0x0001, .ecx = 4, .flags = ZF}, 0x1000, ZF, CF},
      {"ror eax, 8", {.eax = 0x12345678, .flags = szap}, 0x78123456, szap | OF, CF},
      {"ror eax, 1", {.eax = 0x2}, 0x1, 0, CF | OF},
  });
}

TEST(ShiftRotate, ARotateByAMultipleOfTheSizeKeepsTheValueButSetsCarry) {
  check_rows({
      {"rol al, cl", {.eax = 0x81, .ecx = 8}, 0x81, CF, 0},
      {"rol ax, cl", {.eax = 0x8000, .ecx = 16}, 0x8000, OF, CF},
      {"ror al, cl", {.eax = 0x80, .ecx = 16}, 0x80, CF | OF, 0},
  });
}

TEST(ShiftRotate, RotateThroughCarryIncludesCarryAsAnExtraBit) {
  check_rows({
      {"rcl al, 1", {.eax = 0x80}, 0x00, CF | OF, 0},
      {"rcl al, 1", {.eax = 0x00, .flags = CF}, 0x01, 0, CF | OF},
      {"rcl al, cl", {.eax = 0x00, .ecx = 8, .flags = CF}, 0x80, 0, CF},
      {"rcl ax, cl", {.eax = 0x8000, .ecx = 16}, 0x4000, 0, CF},
      {"rcl eax, cl", {.eax = 1, .ecx = 31}, 0x80000000, 0, CF},
      {"rcl eax, 2", {.eax = 0xC0000000, .flags = CF}, 0x00000003, CF, 0},
      {"rcr al, 1", {.eax = 0x01, .flags = CF}, 0x80, CF | OF, 0},
      {"rcr al, 1", {.eax = 0x02}, 0x01, 0, CF | OF},
      {"rcr ax, cl", {.eax = 0x0001, .ecx = 2}, 0x8000, 0, CF},
      {"rcr eax, 1", {.eax = 0x80000000}, 0x40000000, OF, CF},
      {"rcr eax, cl", {.eax = 0, .ecx = 32 + 31, .flags = CF}, 0x00000002, 0, CF},
  });
}

TEST(ShiftRotate, RotateThroughCarryOfAByteByNineOrAWordBySeventeenChangesNothing) {
  const u32 f = CF | OF | ZF;
  check_rows({
      {"rcl al, cl", {.eax = 0x5A, .ecx = 9, .flags = f}, 0x5A, f, 0},
      {"rcr al, cl", {.eax = 0x5A, .ecx = 18, .flags = f}, 0x5A, f, 0},
      {"rcl ax, cl", {.eax = 0x1234, .ecx = 17}, 0x1234, 0, CF | OF},
      {"rcr ax, cl", {.eax = 0x1234, .ecx = 17, .flags = f}, 0x1234, f, 0},
      // 10 mod 9 is 1: a one-bit rotate.
      {"rcl al, cl", {.eax = 0x80, .ecx = 10}, 0x00, CF | OF, 0},
  });
}

// OF for counts > 1 is the count-1 formula applied to the result (the 386's answer, and Bochs's for the P6):
// RCL: CF XOR MSB(result); RCR: the result's two top bits XORed.
TEST(ShiftRotate, RotateThroughCarryByMoreThanOneSetsOverflowFromTheResultAsTheHardwareDoes) {
  check_rows({
      {"rcl al, 2", {.eax = 0x40}, 0x00, CF | OF, 0},
      {"rcl al, 7", {.eax = 0x02}, 0x00, CF | OF, 0},
      {"rcl al, 7", {.eax = 0x03}, 0x80, CF, OF},
      {"rcr eax, 2", {.eax = 0x80000000}, 0x20000000, 0, CF | OF},
      {"rcr eax, 2", {.eax = 0x00000002}, 0x00000000, CF, OF},
      {"rcr al, 7", {.eax = 0x00, .flags = CF}, 0x02, 0, CF | OF},
      {"rcr al, 7", {.eax = 0x80}, 0x01, 0, CF | OF},
      {"rcr ax, 2", {.eax = 0x0000, .flags = CF}, 0x4000, OF, CF},
  });
}

TEST(ShiftRotate, ShldShiftsInTheTopBitsOfTheSource) {
  check_rows({
      {"shld eax, edx, 4", {.eax = 0x12345678, .edx = 0x9ABCDEF0}, 0x23456789, CF, SF | ZF | AF},
      {"shld eax, edx, cl", {.eax = 0x40000000, .ecx = 1}, 0x80000000, SF | OF, CF | ZF},
      {"shld eax, edx, cl", {.eax = 0x80000000, .ecx = 31, .edx = 0xFFFFFFFE}, 0x7FFFFFFF, 0, SF | CF},
      {"shld ax, dx, 8", {.eax = 0xAAAA1234, .edx = 0x5678}, 0xAAAA3456, 0, CF | SF},
      {"shld ax, dx, cl", {.eax = 0x8001, .ecx = 1, .edx = 0x8000}, 0x0003, CF | OF, SF},
  });
}

TEST(ShiftRotate, ShrdShiftsInTheBottomBitsOfTheSource) {
  check_rows({
      {"shrd eax, edx, 4", {.eax = 0x12345678, .edx = 0x9ABCDEF0}, 0x01234567, CF, SF | ZF},
      {"shrd eax, edx, cl", {.eax = 0x00000002, .ecx = 1, .edx = 1}, 0x80000001, SF | OF, CF},
      {"shrd eax, edx, 31", {.eax = 0x40000000, .edx = 0}, 0, CF | ZF, SF},
      {"shrd ax, dx, 4", {.eax = 0xAAAA1234, .edx = 0x5678}, 0xAAAA8123, SF, CF},
      {"shrd ax, dx, cl", {.eax = 0x0001, .ecx = 1}, 0x0000, CF | ZF, OF},
  });
}

TEST(ShiftRotate, DoubleShiftsByZeroChangeNothing) {
  const u32 all = CF | PF | AF | ZF | SF | OF;
  check_rows({
      {"shld eax, edx, cl", {.eax = 0x1234, .ecx = 32, .edx = 0xFFFFFFFF, .flags = all}, 0x1234, all, 0},
      {"shrd ax, dx, 0", {.eax = 0x1234, .edx = 0xFFFF}, 0x1234, 0, all},
  });
}

// A 16-bit double shift by 16 yields the source; by 17..31 it takes bits of dest:src:dest (documented choice:
// the Intel behaviour QEMU implements).
TEST(ShiftRotate, SixteenBitDoubleShiftsAtAndBeyondTheOperandSizeFollowQemu) {
  check_rows({
      {"shld ax, dx, cl", {.eax = 0x1235, .ecx = 16, .edx = 0x5678}, 0x5678, CF, ZF},
      {"shrd ax, dx, cl", {.eax = 0x8234, .ecx = 16, .edx = 0x5678}, 0x5678, CF, ZF},
      {"shld ax, dx, cl", {.eax = 0x1234, .ecx = 20, .edx = 0x5678}, 0x6781, CF, ZF},
      {"shrd ax, dx, cl", {.eax = 0x1234, .ecx = 20, .edx = 0x5678}, 0x4567, CF, ZF},
  });
}

TEST(ShiftRotate, EveryFormAndSizeWorksOnMemory) {
  TestMachine m;
  m.poke<u32>(TestMachine::kData, 0x80000001);
  m.poke<u16>(TestMachine::kData + 4, 0x0003);
  m.poke<u8>(TestMachine::kData + 6, 0x81);
  m.poke<u32>(TestMachine::kData + 8, 0x12345678);
  ASSERT_EQ(run_with(m,
                     "rol dword ptr [ebx], 1\n"
                     "rcr word ptr [ebx+4], cl\n"
                     "sar byte ptr [ebx+6], 1\n"
                     "shld dword ptr [ebx+8], edx, 8\n",
                     {.ecx = 1, .edx = 0xAB000000}),
            StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u32>(TestMachine::kData), 0x00000003u);
  EXPECT_EQ(m.mem<u16>(TestMachine::kData + 4), 0x8001u);  // CF from the ROL came in at the top
  EXPECT_EQ(m.mem<u8>(TestMachine::kData + 6), 0xC0u);
  EXPECT_EQ(m.mem<u32>(TestMachine::kData + 8), 0x345678ABu);
  EXPECT_FALSE(m.flag(CF));  // SHLD: bit 24 of 0x12345678
}

TEST(ShiftRotate, AFaultingMemoryShiftLeavesMemoryAndFlagsUntouched) {
  TestMachine m;
  m.poke<u32>(TestMachine::kData, 0x80000000);
  m.cpu.seg[DS].write_lo = 1;
  m.cpu.seg[DS].write_hi = 0;
  ASSERT_EQ(run_with(m, "shl dword ptr [ebx], 1", {.flags = ZF}), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::GP));
  EXPECT_EQ(m.cpu.eip, TestMachine::kCode);
  EXPECT_EQ(m.mem<u32>(TestMachine::kData), 0x80000000u);
  EXPECT_EQ(m.cpu.eflags, Reserved1 | ZF);
}

// Encodings the assembler does not emit: C1 /4 ib with a count of 1, and SAL's alias D1 /6.
TEST(ShiftRotate, TheImmediateFormWithCountOneAndTheSalAliasBehaveLikeShl) {
  for (std::vector<u8> bytes : {std::vector<u8>{0xC1, 0xE0, 0x01}, std::vector<u8>{0xD1, 0xF0}}) {
    TestMachine m;
    m.load(bytes);
    m.cpu.gpr[EAX] = 0x40000001;
    ASSERT_EQ(m.run(), StopReason::Breakpoint);
    EXPECT_EQ(m.r(EAX), 0x80000002u);
    EXPECT_TRUE(m.flag(OF));
    EXPECT_FALSE(m.flag(CF));
  }
}

TEST(ShiftRotate, RegisterShiftsCostSimpleAndMemoryShiftsCostAStore) {
  const CostProfile& p = CostProfile::pentium3();
  TestMachine m;
  run_with(m, "shl eax, 1", {});
  EXPECT_EQ(m.cpu.cycles, p.cost(CostClass::Simple));
  TestMachine n;
  run_with(n, "shrd dword ptr [ebx], edx, cl", {});
  EXPECT_EQ(n.cpu.cycles, p.cost(CostClass::Store));
}

}  // namespace
}  // namespace ring1::test
