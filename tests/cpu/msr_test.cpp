// The MSR table (cpu/msr.cpp) against the SDM: the P6-era registers a 32-bit kernel touches read their
// power-on values, take valid values, and raise #GP(0) for reserved bits, undefined memory types and writes
// to read-only registers; MSRs the modelled processor lacks are #GP(0) both ways.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

u64 rdmsr(TestMachine& m, u32 index) {
  EXPECT_EQ(m.exec(fmt::format("mov ecx, {:#x}\n rdmsr\n", index)), StopReason::Breakpoint) << index;
  return (u64(m.r(EDX)) << 32) | m.r(EAX);
}

StopReason wrmsr(TestMachine& m, u32 index, u64 value) {
  return m.exec(fmt::format("mov ecx, {:#x}\n mov eax, {:#x}\n mov edx, {:#x}\n wrmsr\n", index, u32(value),
                            u32(value >> 32)));
}

TEST(Msr, PatReadsItsPowerOnValueAndRefusesReservedMemoryTypes) {
  TestMachine m;
  EXPECT_EQ(rdmsr(m, 0x277), 0x0007040600070406ull);
  EXPECT_EQ(wrmsr(m, 0x277, 0x0006060606060606ull), StopReason::Breakpoint);
  EXPECT_EQ(rdmsr(m, 0x277), 0x0006060606060606ull);
  for (u64 bad : {0x0007040600070402ull, 0x0307040600070406ull, 0x0007040600070408ull}) {
    TestMachine t;
    EXPECT_EQ(wrmsr(t, 0x277, bad), StopReason::UnhandledFault) << std::hex << bad;
    EXPECT_EQ(t.cpu.last_fault().vector, 13);
  }
}

TEST(Msr, MtrrCapSaysNoRangesAndIsReadOnly) {
  TestMachine m;
  EXPECT_EQ(rdmsr(m, 0xFE), 0u);
  EXPECT_EQ(wrmsr(m, 0xFE, 0), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 13);
}

TEST(Msr, MtrrDefTypeTakesADefinedTypeAndTheEnableBitOnly) {
  TestMachine m;
  EXPECT_EQ(rdmsr(m, 0x2FF), 0u);
  EXPECT_EQ(wrmsr(m, 0x2FF, 0x806), StopReason::Breakpoint);
  EXPECT_EQ(rdmsr(m, 0x2FF), 0x806u);
  for (u64 bad : {0x802ull, 0xC06ull, 0x1000ull}) {
    TestMachine t;
    EXPECT_EQ(wrmsr(t, 0x2FF, bad), StopReason::UnhandledFault) << std::hex << bad;
  }
}

TEST(Msr, MiscEnableKeepsItsReadOnlyBitsAndTakesFastStrings) {
  TestMachine m;
  EXPECT_EQ(rdmsr(m, 0x1A0), 0x1801u);
  EXPECT_EQ(wrmsr(m, 0x1A0, 0x1800), StopReason::Breakpoint);
  EXPECT_EQ(rdmsr(m, 0x1A0), 0x1800u);
  EXPECT_EQ(wrmsr(m, 0x1A0, 0x0001), StopReason::UnhandledFault) << "clearing read-only bits";
}

TEST(Msr, MsrsTheModelLacksAreGeneralProtection) {
  for (u32 index : {0x8Bu, 0x200u, 0xC0000080u, 0x6E0u}) {
    TestMachine m;
    EXPECT_EQ(m.exec(fmt::format("mov ecx, {:#x}\n rdmsr\n", index)), StopReason::UnhandledFault) << index;
    EXPECT_EQ(m.cpu.last_fault().vector, 13);
    TestMachine w;
    EXPECT_EQ(wrmsr(w, index, 0), StopReason::UnhandledFault) << index;
  }
}

}  // namespace
}  // namespace ring1::test
