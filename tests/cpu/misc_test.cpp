// CBW CWDE CWD CDQ LAHF SAHF CLC STC CMC CLD STD CPUID RDTSC UD2: results, flags and faults (SDM vol. 2),
// and the processor identity ring1 reports through CPUID.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

using namespace eflags;

TEST(Misc, CbwSignExtendsAlIntoAxAndKeepsTheUpperHalf) {
  TestMachine m;
  m.exec("mov eax, 0x12345680\n cbw");
  EXPECT_EQ(m.r(EAX), 0x1234ff80u);
  m.exec("mov eax, 0x1234567f\n cbw");
  EXPECT_EQ(m.r(EAX), 0x1234007fu);
}

TEST(Misc, CwdeSignExtendsAxIntoEax) {
  TestMachine m;
  m.exec("mov eax, 0x12348000\n cwde");
  EXPECT_EQ(m.r(EAX), 0xffff8000u);
  m.exec("mov eax, 0xffff7fff\n cwde");
  EXPECT_EQ(m.r(EAX), 0x00007fffu);
}

TEST(Misc, CwdFillsDxWithTheSignOfAx) {
  TestMachine m;
  m.exec("mov eax, 0x8000\n mov edx, 0xabcd1234\n cwd");
  EXPECT_EQ(m.r(EDX), 0xabcdffffu);
  m.exec("mov eax, 0xffff7000\n mov edx, 0xabcd1234\n cwd");
  EXPECT_EQ(m.r(EDX), 0xabcd0000u);
}

TEST(Misc, CdqFillsEdxWithTheSignOfEax) {
  TestMachine m;
  m.exec("mov eax, 0x80000000\n mov edx, 0\n cdq");
  EXPECT_EQ(m.r(EDX), 0xffffffffu);
  m.exec("mov eax, 0x7fffffff\n mov edx, 5\n cdq");
  EXPECT_EQ(m.r(EDX), 0u);
}

TEST(Misc, SignExtensionsLeaveTheFlagsAlone) {
  TestMachine m;
  m.exec("stc\n mov eax, 0x80\n cbw\n cwde\n cdq");
  EXPECT_TRUE(m.flag(CF));
  EXPECT_FALSE(m.flag(SF));
}

TEST(Misc, LahfCopiesTheLowFlagsWithBitOneSet) {
  TestMachine m;
  // 0xffffffff + 1: CF ZF AF PF set, SF clear.
  m.exec("mov eax, 0xffffffff\n add eax, 1\n mov eax, 0x12340000\n lahf");
  EXPECT_EQ(m.r(EAX), 0x12340000u | (u32(CF | Reserved1 | PF | AF | ZF) << 8));
  m.exec("mov eax, 0x7f\n add al, 1\n lahf");  // 0x80: SF AF set, ZF PF CF clear
  EXPECT_EQ((m.r(EAX) >> 8) & 0xff, u32(SF | AF | Reserved1));
}

TEST(Misc, SahfLoadsOnlySfZfAfPfCf) {
  TestMachine m;
  m.exec("mov eax, 0x7fffffff\n add eax, 1\n mov eax, 0xff00\n sahf");  // OF set before, AH all ones
  EXPECT_EQ(m.cpu.eflags & 0xff, u32(SF | ZF | AF | PF | CF | Reserved1));  // bits 3 and 5 stay 0
  EXPECT_TRUE(m.flag(OF));
  m.exec("mov eax, 0xffffffff\n add eax, 1\n mov eax, 0\n sahf");
  EXPECT_EQ(m.cpu.eflags & 0xff, u32(Reserved1));
}

TEST(Misc, ClcStcAndCmcSetTheCarry) {
  TestMachine m;
  m.exec("stc");
  EXPECT_TRUE(m.flag(CF));
  m.exec("stc\n cmc");
  EXPECT_FALSE(m.flag(CF));
  m.exec("clc\n cmc");
  EXPECT_TRUE(m.flag(CF));
  m.exec("stc\n clc");
  EXPECT_FALSE(m.flag(CF));
}

TEST(Misc, CldAndStdSetTheDirectionFlagOnly) {
  TestMachine m;
  m.exec("stc\n std");
  EXPECT_TRUE(m.flag(DF));
  EXPECT_TRUE(m.flag(CF));
  m.exec("cld");
  EXPECT_FALSE(m.flag(DF));
  EXPECT_TRUE(m.flag(CF));
}

TEST(Misc, CpuidLeafZeroNamesGenuineIntelWithMaxLeafOne) {
  TestMachine m;
  m.exec("xor eax, eax\n cpuid");
  EXPECT_EQ(m.r(EAX), 1u);
  char vendor[13] = {};
  u32 parts[3] = {m.r(EBX), m.r(EDX), m.r(ECX)};
  std::memcpy(vendor, parts, 12);
  EXPECT_EQ(std::string(vendor), "GenuineIntel");
}

TEST(Misc, CpuidLeafOneIsAPentiumIiSignatureWithTheImplementedFeatures) {
  TestMachine m;
  m.exec("mov eax, 1\n mov ebx, -1\n mov ecx, -1\n cpuid");
  EXPECT_EQ(m.r(EAX), 0x633u);
  EXPECT_EQ(m.r(EBX), 0u);
  EXPECT_EQ(m.r(ECX), 0u);
  const u32 edx = m.r(EDX);
  EXPECT_FALSE(edx & (1u << 0)) << "no FPU";
  EXPECT_FALSE(edx & (1u << 1)) << "no VME";
  EXPECT_FALSE(edx & (1u << 2)) << "no DE";
  EXPECT_TRUE(edx & (1u << 3)) << "PSE";
  EXPECT_TRUE(edx & (1u << 4)) << "TSC";
  EXPECT_TRUE(edx & (1u << 5)) << "MSR";
  EXPECT_TRUE(edx & (1u << 8)) << "CX8";
  EXPECT_TRUE(edx & (1u << 11)) << "SEP (SYSENTER/SYSEXIT)";
  EXPECT_TRUE(edx & (1u << 13)) << "PGE";
  EXPECT_TRUE(edx & (1u << 15)) << "CMOV";
  EXPECT_TRUE(edx & (1u << 12)) << "MTRR";
  EXPECT_TRUE(edx & (1u << 16)) << "PAT";
  EXPECT_FALSE(edx & (1u << 9)) << "no APIC on a bare CPU (the PC platform adds one)";
  EXPECT_FALSE(edx & (1u << 23)) << "no MMX";
  EXPECT_EQ(edx, 0x0001b938u);
}

TEST(Misc, CpuidMatchesTheSignatureInEdxAtPowerOn) {
  TestMachine m;
  m.cpu.reset_power_on();
  const u32 reset_edx = m.cpu.gpr[EDX];
  m.cpu.reset_flat32();
  m.cpu.gpr[ESP] = TestMachine::kStackTop;
  m.exec("mov eax, 1\n cpuid");
  EXPECT_EQ(m.r(EAX), reset_edx);
}

TEST(Misc, CpuidAboveTheMaximumLeafReturnsZeros) {
  TestMachine m;
  m.exec("mov eax, 2\n mov ebx, 7\n mov ecx, 7\n mov edx, 7\n cpuid");
  EXPECT_EQ(m.r(EAX) | m.r(EBX) | m.r(ECX) | m.r(EDX), 0u);
  m.exec("mov eax, 0x80000000\n cpuid");
  EXPECT_EQ(m.r(EAX), 0u);
}

TEST(Misc, RdtscReadsTheCycleCountAtTheStartOfTheInstruction) {
  TestMachine m;
  m.cpu.cycles = 0x123456789ull;
  const Cycles start = m.cpu.cycles;
  // nop (Simple) then rdtsc: the counter read includes the nop's cost but not rdtsc's own.
  ASSERT_EQ(m.exec("nop\n rdtsc"), StopReason::Breakpoint);
  const u64 read = (u64(m.r(EDX)) << 32) | m.r(EAX);
  EXPECT_EQ(read, start + m.cpu.costs().cost(CostClass::Simple));
  EXPECT_EQ(m.cpu.cycles, read + m.cpu.costs().cost(CostClass::Complex));
}

TEST(Misc, RdtscIsAllowedAtCplZeroEvenWithTsdSet) {
  TestMachine m;
  m.cpu.cr4 |= 1u << 2;
  EXPECT_EQ(m.exec("rdtsc"), StopReason::Breakpoint);
}

TEST(Misc, RdtscOutsideRingZeroWithTsdSetIsGeneralProtection) {
  TestMachine m;
  m.cpu.cr4 |= 1u << 2;
  m.cpu.cpl = 3;
  m.cpu.gpr[EAX] = 0x1111;
  ASSERT_EQ(m.exec("rdtsc"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::GP));
  EXPECT_TRUE(m.cpu.last_fault().has_error_code);
  EXPECT_EQ(m.cpu.last_fault().error_code, 0u);
  EXPECT_EQ(m.r(EAX), 0x1111u);
  m.cpu.cr4 = 0;
  EXPECT_EQ(m.exec("rdtsc"), StopReason::Breakpoint);
}

TEST(Misc, Ud2RaisesInvalidOpcodeAtItself) {
  TestMachine m;
  ASSERT_EQ(m.exec("nop\n ud2\n mov eax, 1"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::UD));
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode + 1);
  EXPECT_EQ(m.r(EAX), 0u);
}

TEST(Misc, SalcSetsAlFromTheCarryAndLeavesTheFlags) {
  TestMachine m;
  m.load({0xB8, 0x34, 0x12, 0x00, 0x00, 0xF9, 0xD6});  // mov eax, 0x1234; stc; salc
  m.run();
  EXPECT_EQ(m.r(EAX), 0x12FFu);
  EXPECT_TRUE(m.flag(CF));
  m.load({0xB8, 0x34, 0x12, 0x00, 0x00, 0xF8, 0xD6});  // mov eax, 0x1234; clc; salc
  m.run();
  EXPECT_EQ(m.r(EAX), 0x1200u);
  EXPECT_FALSE(m.flag(CF));
}

TEST(Misc, PauseIsANop) {
  TestMachine m;
  EXPECT_EQ(m.exec("mov eax, 5\n stc\n pause\n pause"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 5u);
  EXPECT_TRUE(m.flag(CF));
  EXPECT_EQ(m.cpu.instret, 4u);
}

TEST(Misc, Int1IsADebugTrapAfterTheInstruction) {
  TestMachine m;
  m.load({0x90, 0xF1, 0x90});  // nop; int1; nop
  EXPECT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 1);
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode + 2);  // a trap: the next instruction
}

}  // namespace
}  // namespace ring1::test
