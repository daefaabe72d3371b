// MOVS CMPS SCAS LODS STOS with REP/REPE/REPNE: element sizes, direction, address size, the source segment
// override, and the SDM's REP restart rule (a fault on element k leaves the registers at element k).
#include <gtest/gtest.h>

#include <cstring>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

using namespace eflags;

constexpr u32 kSrc = TestMachine::kData;
constexpr u32 kDst = TestMachine::kData + 0x1000;

void poke_bytes(TestMachine& m, u32 at, const char* s) { m.ram.write_bytes(at, s, u32(std::strlen(s))); }

// Runs `src` with DF set beforehand.
StopReason exec_with_df(TestMachine& m, std::string_view src) {
  m.load_asm(src);
  m.cpu.eflags |= DF;
  return m.run();
}

TEST(Strings, RepMovsbCopiesForwardAndLeavesIndicesPastTheBlock) {
  TestMachine m;
  poke_bytes(m, kSrc, "hello");
  ASSERT_EQ(m.exec("mov esi, 0x100000\n mov edi, 0x101000\n mov ecx, 5\n rep movsb"), StopReason::Breakpoint);
  EXPECT_EQ(std::memcmp(m.ram.host(kDst), "hello", 5), 0);
  EXPECT_EQ(m.r(ESI), kSrc + 5);
  EXPECT_EQ(m.r(EDI), kDst + 5);
  EXPECT_EQ(m.r(ECX), 0u);
}

TEST(Strings, MovsLeavesTheFlagsAlone) {
  TestMachine m;
  m.load_asm("mov esi, 0x100000\n mov edi, 0x101000\n movsd");
  m.cpu.eflags |= CF | ZF | SF;
  m.run();
  EXPECT_EQ(m.cpu.eflags & Status, CF | ZF | SF);
}

TEST(Strings, MovsdWithDirectionFlagSetWalksDownward) {
  TestMachine m;
  for (u32 k = 0; k < 3; ++k) m.poke<u32>(kSrc + 4 * k, 0x11111111u * (k + 1));
  ASSERT_EQ(exec_with_df(m, "mov esi, 0x100008\n mov edi, 0x101008\n mov ecx, 3\n rep movsd"),
            StopReason::Breakpoint);
  for (u32 k = 0; k < 3; ++k) EXPECT_EQ(m.mem<u32>(kDst + 4 * k), 0x11111111u * (k + 1));
  EXPECT_EQ(m.r(ESI), kSrc - 4);
  EXPECT_EQ(m.r(EDI), kDst - 4);
}

TEST(Strings, MovswMovesAWordAndStepsByTwo) {
  TestMachine m;
  m.poke<u32>(kSrc, 0xaabbccddu);
  m.poke<u32>(kDst, 0);
  m.exec("mov esi, 0x100000\n mov edi, 0x101000\n movsw");
  EXPECT_EQ(m.mem<u32>(kDst), 0x0000ccddu);
  EXPECT_EQ(m.r(ESI), kSrc + 2);
  EXPECT_EQ(m.r(EDI), kDst + 2);
}

TEST(Strings, RepWithZeroCountTouchesNothing) {
  TestMachine m;
  m.poke<u32>(kDst, 0x12345678u);
  m.load_asm("mov esi, 0x100000\n mov edi, 0x101000\n mov eax, 0xffffffff\n xor ecx, ecx\n"
             "rep stosd\n rep movsd\n repe cmpsd\n repne scasd\n rep lodsd");
  m.run();
  EXPECT_EQ(m.mem<u32>(kDst), 0x12345678u);
  EXPECT_EQ(m.r(ESI), kSrc);
  EXPECT_EQ(m.r(EDI), kDst);
  EXPECT_EQ(m.r(EAX), 0xffffffffu);
  EXPECT_TRUE(m.flag(ZF));  // from the XOR: the compares did not run
}

TEST(Strings, RepStosFillsWithTheAccumulatorOfEachSize) {
  TestMachine m;
  m.exec("mov edi, 0x101000\n mov eax, 0x11223344\n mov ecx, 3\n rep stosd\n"
         "mov ecx, 2\n rep stosw\n mov ecx, 1\n stosb");
  EXPECT_EQ(m.mem<u32>(kDst), 0x11223344u);
  EXPECT_EQ(m.mem<u32>(kDst + 8), 0x11223344u);
  EXPECT_EQ(m.mem<u32>(kDst + 12), 0x33443344u);
  EXPECT_EQ(m.mem<u8>(kDst + 16), 0x44u);
  EXPECT_EQ(m.r(EDI), kDst + 17);
  EXPECT_EQ(m.r(ECX), 1u);  // STOSB without REP ignores ECX
}

TEST(Strings, LodsLoadsTheAccumulatorAndRepLodsKeepsTheLastElement) {
  TestMachine m;
  m.poke<u32>(kSrc, 0x04030201u);
  m.exec("mov esi, 0x100000\n mov eax, 0xffffffff\n lodsb\n mov ebx, eax\n"
         "mov esi, 0x100000\n mov ecx, 3\n rep lodsb");
  EXPECT_EQ(m.r(EBX), 0xffffff01u);
  EXPECT_EQ(m.r(EAX), 0xffffff03u);
  EXPECT_EQ(m.r(ESI), kSrc + 3);
}

TEST(Strings, CmpsComparesSourceMinusDestination) {
  TestMachine m;
  m.poke<u32>(kSrc, 1);
  m.poke<u32>(kDst, 2);
  m.exec("mov esi, 0x100000\n mov edi, 0x101000\n cmpsd");
  EXPECT_TRUE(m.flag(CF));  // 1 - 2 borrows
  EXPECT_TRUE(m.flag(SF));
  EXPECT_FALSE(m.flag(ZF));
  EXPECT_FALSE(m.flag(OF));
  EXPECT_EQ(m.r(ESI), kSrc + 4);
  EXPECT_EQ(m.r(EDI), kDst + 4);
}

TEST(Strings, ScasComparesAccumulatorMinusDestination) {
  TestMachine m;
  m.poke<u8>(kDst, 0x80);
  m.exec("mov edi, 0x101000\n mov al, 0x7f\n scasb");
  EXPECT_TRUE(m.flag(CF));  // 0x7f - 0x80 borrows
  EXPECT_TRUE(m.flag(OF));  // and overflows signed: 127 - (-128)
  EXPECT_TRUE(m.flag(SF));
  EXPECT_EQ(m.r(EDI), kDst + 1);
}

TEST(Strings, RepeCmpsStopsAfterTheFirstDifference) {
  TestMachine m;
  poke_bytes(m, kSrc, "abcXefgh");
  poke_bytes(m, kDst, "abcYefgh");
  m.exec("mov esi, 0x100000\n mov edi, 0x101000\n mov ecx, 8\n repe cmpsb");
  EXPECT_EQ(m.r(ECX), 4u);
  EXPECT_EQ(m.r(ESI), kSrc + 4);
  EXPECT_EQ(m.r(EDI), kDst + 4);
  EXPECT_FALSE(m.flag(ZF));
  EXPECT_TRUE(m.flag(CF));  // 'X' < 'Y'
}

TEST(Strings, RepeCmpsOverEqualBlocksRunsTheCountOut) {
  TestMachine m;
  poke_bytes(m, kSrc, "same");
  poke_bytes(m, kDst, "same");
  m.exec("mov esi, 0x100000\n mov edi, 0x101000\n mov ecx, 2\n repe cmpsw");
  EXPECT_EQ(m.r(ECX), 0u);
  EXPECT_TRUE(m.flag(ZF));
  EXPECT_EQ(m.r(ESI), kSrc + 4);
}

TEST(Strings, RepneScasFindsTheTerminatorAsStrlenDoes) {
  TestMachine m;
  poke_bytes(m, kDst, "ring1");
  m.poke<u8>(kDst + 5, 0);
  m.exec("mov edi, 0x101000\n xor eax, eax\n mov ecx, -1\n repne scasb\n not ecx\n dec ecx");
  EXPECT_EQ(m.r(ECX), 5u);
  EXPECT_EQ(m.r(EDI), kDst + 6);
}

TEST(Strings, RepneCmpsStopsAtTheFirstEqualElement) {
  TestMachine m;
  poke_bytes(m, kSrc, "abcd");
  poke_bytes(m, kDst, "xycz");
  m.exec("mov esi, 0x100000\n mov edi, 0x101000\n mov ecx, 4\n repne cmpsb");
  EXPECT_EQ(m.r(ECX), 1u);
  EXPECT_TRUE(m.flag(ZF));
}

TEST(Strings, RepeScasWithDirectionFlagSetScansDownward) {
  TestMachine m;
  poke_bytes(m, kDst, "xaaa");
  ASSERT_EQ(exec_with_df(m, "mov edi, 0x101003\n mov al, 0x61\n mov ecx, 10\n repe scasb"),
            StopReason::Breakpoint);
  EXPECT_EQ(m.r(ECX), 6u);
  EXPECT_EQ(m.r(EDI), kDst - 1);
  EXPECT_FALSE(m.flag(ZF));
}

TEST(Strings, SixteenBitAddressingUsesSiDiCxAndWrapsAt64K) {
  TestMachine m;
  m.poke<u8>(0xfffe, 0xa1);
  m.poke<u8>(0xffff, 0xa2);
  m.poke<u8>(0x0000, 0xa3);
  // 67 F3 A4: addr16 rep movsb
  m.exec("mov esi, 0x1234fffe\n mov edi, 0x56782000\n mov ecx, 0xaaaa0003\n .byte 0x67, 0xf3, 0xa4");
  EXPECT_EQ(m.mem<u8>(0x2000), 0xa1);
  EXPECT_EQ(m.mem<u8>(0x2001), 0xa2);
  EXPECT_EQ(m.mem<u8>(0x2002), 0xa3);
  EXPECT_EQ(m.r(ESI), 0x12340001u);
  EXPECT_EQ(m.r(EDI), 0x56782003u);
  EXPECT_EQ(m.r(ECX), 0xaaaa0000u);
}

TEST(Strings, SixteenBitAddressingCountsDownCxOnly) {
  TestMachine m;
  // CX = 0 with a non-zero upper ECX: nothing is stored.
  m.poke<u32>(kDst, 0);
  m.exec("mov edi, 0x101000\n mov ecx, 0x00010000\n mov eax, -1\n .byte 0x67, 0xf3, 0xab");
  EXPECT_EQ(m.mem<u32>(kDst), 0u);
  EXPECT_EQ(m.r(ECX), 0x00010000u);
}

TEST(Strings, ASegmentOverrideRedirectsTheSource) {
  TestMachine m;
  m.cpu.seg[FS].base = 0x200000;
  m.poke<u32>(kSrc, 0x11111111u);
  m.poke<u32>(kSrc + 0x200000, 0x22222222u);
  // 64 A5: movs dword ptr es:[edi], dword ptr fs:[esi]; 64 AD: lods eax, dword ptr fs:[esi]
  m.exec("mov esi, 0x100000\n mov edi, 0x101000\n .byte 0x64, 0xa5\n mov esi, 0x100000\n .byte 0x64, 0xad");
  EXPECT_EQ(m.mem<u32>(kDst), 0x22222222u);
  EXPECT_EQ(m.r(EAX), 0x22222222u);
}

TEST(Strings, ASegmentOverrideOnRepCmpsRedirectsOnlyTheSource) {
  TestMachine m;
  m.cpu.seg[GS].base = 0x200000;
  poke_bytes(m, kSrc + 0x200000, "abcd");
  poke_bytes(m, kDst, "abcd");
  poke_bytes(m, kDst + 0x200000, "wxyz");
  // 65 F3 A6: repe cmps byte ptr gs:[esi], byte ptr es:[edi]
  m.exec("mov esi, 0x100000\n mov edi, 0x101000\n mov ecx, 4\n .byte 0x65, 0xf3, 0xa6");
  EXPECT_EQ(m.r(ECX), 0u);
  EXPECT_TRUE(m.flag(ZF));
}

TEST(Strings, TheDestinationStaysInEsDespiteAnOverride) {
  TestMachine m;
  m.cpu.seg[FS].base = 0x200000;
  m.poke<u32>(kDst, 0);
  m.poke<u32>(kDst + 0x200000, 0);
  m.exec("mov edi, 0x101000\n mov eax, 0x5a5a5a5a\n .byte 0x64, 0xab");  // fs stosd
  EXPECT_EQ(m.mem<u32>(kDst), 0x5a5a5a5au);
  EXPECT_EQ(m.mem<u32>(kDst + 0x200000), 0u);
}

TEST(Strings, AFaultMidRunLeavesTheRegistersAtTheFaultingElementAndResumes) {
  TestMachine m;
  for (u32 k = 0; k < 6; ++k) m.poke<u32>(kSrc + 4 * k, 100 + k);
  m.load_asm("mov esi, 0x100000\n mov edi, 0x101000\n mov ecx, 6\n rep movsd\n");
  const u32 insn_at = m.code_end - 2;  // F3 A5
  // ES ends after the third destination doubleword: element 3 runs off the segment.
  m.cpu.seg[ES].write_hi = kDst + 12 - 1;
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::GP));
  EXPECT_EQ(m.cpu.last_fault().eip, insn_at);
  EXPECT_EQ(m.cpu.eip, insn_at);
  EXPECT_EQ(m.r(ECX), 3u);
  EXPECT_EQ(m.r(ESI), kSrc + 12);
  EXPECT_EQ(m.r(EDI), kDst + 12);
  EXPECT_EQ(m.mem<u32>(kDst + 8), 102u);
  EXPECT_EQ(m.mem<u32>(kDst + 12), 0u);

  // Re-executing the instruction after the fault is resolved finishes the copy.
  m.cpu.seg[ES].write_hi = 0xffffffffu;
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.r(ECX), 0u);
  EXPECT_EQ(m.mem<u32>(kDst + 20), 105u);
}

TEST(Strings, AFaultingCompareLeavesFlagsFromTheLastCompletedElement) {
  TestMachine m;
  poke_bytes(m, kSrc, "aaaa");
  poke_bytes(m, kDst, "aaaa");
  m.load_asm("mov esi, 0x100000\n mov edi, 0x101000\n mov ecx, 4\n cmp ecx, 5\n repe cmpsb");
  m.cpu.seg[ES].read_hi = kDst + 2 - 1;
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.r(ECX), 2u);
  EXPECT_TRUE(m.flag(ZF));   // from element 1 ('a' == 'a'), not from CMP ECX, 5
  EXPECT_FALSE(m.flag(CF));
}

TEST(Strings, ASingleFaultingMovsChangesNothing) {
  TestMachine m;
  m.load_asm("mov esi, 0x100000\n mov edi, 0x101000\n movsb");
  m.cpu.seg[ES].write_hi = kDst - 1;
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.r(ESI), kSrc);
  EXPECT_EQ(m.r(EDI), kDst);
}

TEST(Strings, EachRepElementIsChargedAsAStringIteration) {
  auto cycles_for = [](u32 count) {
    TestMachine m;
    m.load_asm("mov edi, 0x101000\n rep stosb");
    m.cpu.gpr[ECX] = count;
    m.run();
    return m.cpu.cycles;
  };
  EXPECT_EQ(cycles_for(20) - cycles_for(10),
            10u * CostProfile::pentium3().cost(CostClass::StringIter));
}

TEST(Strings, Sse2MovsdAndCmpsdAreNotStringInstructions) {
  TestMachine m;
  ASSERT_EQ(m.exec("movsd xmm0, xmm1"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::UD));
  TestMachine m2;
  ASSERT_EQ(m2.exec("cmpsd xmm0, xmm1, 0"), StopReason::UnhandledFault);
  EXPECT_EQ(m2.cpu.last_fault().vector, u8(Vector::UD));
}

TEST(Strings, LockedStringInstructionsAreInvalid) {
  TestMachine m;
  ASSERT_EQ(m.exec("mov esi, 0x100000\n mov edi, 0x101000\n .byte 0xf0, 0xa4"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::UD));
  EXPECT_EQ(m.r(EDI), kDst);
}

}  // namespace
}  // namespace ring1::test

namespace ring1::test {
namespace {

// A REP instruction stops between elements when the run loop's deadline comes (a limit here, an interrupt
// later), unretired, and resumes where it stopped; slicing changes neither the result nor the cost.
TEST(StringsRep, ARepInterruptedByACycleLimitResumesAndCostsTheSame) {
  const char* src = "mov edi, 0x100000\n mov ecx, 1000\n mov eax, 0x11223344\n rep stosd\n mov ebx, 1";
  TestMachine whole;
  whole.exec(src);

  TestMachine sliced;
  sliced.load_asm(src);
  RunLimits lim;
  lim.stop_at_eip = sliced.code_end;
  int stops = 0;
  for (Cycles limit = 500;; limit += 500) {
    lim.max_cycles = limit;
    StopReason r = sliced.cpu.run(lim);
    if (r != StopReason::CycleLimit) break;
    ++stops;
  }
  EXPECT_GE(stops, 5);
  EXPECT_EQ(sliced.r(EBX), 1u);
  EXPECT_EQ(sliced.r(ECX), 0u);
  EXPECT_EQ(sliced.mem<u32>(0x100000 + 999 * 4), 0x11223344u);
  EXPECT_EQ(sliced.cpu.instret, whole.cpu.instret);
  EXPECT_EQ(sliced.cpu.cycles, whole.cpu.cycles);
}

TEST(StringsRep, AnInterruptedRepIsNotCountedAsRetired) {
  TestMachine m;
  m.load_asm("mov edi, 0x100000\n mov ecx, 1000\n rep stosb");
  RunLimits lim;
  lim.max_cycles = 100;
  EXPECT_EQ(m.cpu.run(lim), StopReason::CycleLimit);
  EXPECT_EQ(m.cpu.instret, 2u);
  EXPECT_EQ(m.cpu.eip, TestMachine::kCode + 10);  // still at REP STOSB
  EXPECT_GT(m.r(ECX), 0u);
  EXPECT_LT(m.r(ECX), 1000u);
}

}  // namespace
}  // namespace ring1::test
