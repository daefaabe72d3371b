// IRET (SDM vol. 2, IRET; vol. 3, 6.12.1): returns within a ring and to an outer ring, the EFLAGS rules by
// CPL and IOPL, the segment registers an outer return nulls, the checks on the return CS and SS (with the
// instruction left restartable when they fail), and what ring1 does not model (task returns).
#include <gtest/gtest.h>

#include "support/system_guest.h"

namespace ring1::test {
namespace {

constexpr u32 kOut = 0x100000;

std::string drop_to_ring3(const std::string& user, u32 flags = 0x2) {
  return " jmp start\n.org 0x80\nstart:\n" +
         enter_ring("user", SystemGuest::kCode3, SystemGuest::kData3, SystemGuest::kUserStack, flags) +
         ".org 0x100\nuser:\n" + user;
}

TEST(Iret, AReturnToAnOuterRingNullsDataSegmentsTheNewCplCannotUse) {
  SystemGuest m;
  load_data_segment(m.cpu, DS, SystemGuest::kData0);
  load_data_segment(m.cpu, FS, SystemGuest::kData1);
  m.load_asm(drop_to_ring3(" nop\n"));
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(m.cpu.cpl, 3);
  EXPECT_EQ(m.cpu.seg[DS].selector, 0u);
  EXPECT_EQ(m.cpu.seg[FS].selector, 0u);
  EXPECT_EQ(m.cpu.seg[ES].selector, SystemGuest::kData3);  // DPL 3: kept
  EXPECT_EQ(m.cpu.seg[SS].selector, SystemGuest::kData3);
  EXPECT_EQ(m.r(ESP), SystemGuest::kUserStack);
}

TEST(Iret, AtCpl3IfAndIoplAreSilentlyKeptWhileOtherFlagsLoad) {
  SystemGuest m;
  m.load_asm(drop_to_ring3(" push 0x3203\n push 0x1b\n push offset next\n iretd\n"
                           "next:\n pushfd\n pop dword ptr [0x100000]\n"));
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  const u32 f = m.mem<u32>(kOut);
  EXPECT_TRUE(f & eflags::CF);
  EXPECT_FALSE(f & eflags::IF);
  EXPECT_EQ(f & eflags::IOPL, 0u);
  EXPECT_EQ(m.cpu.cpl, 3);
}

TEST(Iret, AtCpl0IfAndIoplLoad) {
  SystemGuest m;
  EXPECT_EQ(m.exec(" push 0x3202\n push 0x08\n push offset next\n iretd\nnext:\n"), StopReason::Breakpoint);
  EXPECT_TRUE(m.flag(eflags::IF));
  EXPECT_EQ(m.cpu.eflags & eflags::IOPL, eflags::IOPL);
}

TEST(Iret, AReturnToAMorePrivilegedRingIsGeneralProtectionAndLeavesTheStateUntouched) {
  SystemGuest m;
  m.load_asm(drop_to_ring3(" push 0x2\n push 0x08\n push offset user\n iretd\n"));
  ASSERT_EQ(m.run_to(TestMachine::kCode + 0x100), StopReason::Breakpoint);
  m.cpu.exception_mode = Cpu::ExceptionMode::Stop;
  EXPECT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 13);
  EXPECT_EQ(m.cpu.last_fault().error_code, SystemGuest::kCode0);
  EXPECT_EQ(m.cpu.eip, TestMachine::kCode + 0x100 + 2 + 2 + 5);  // on the IRETD
  EXPECT_EQ(m.r(ESP), SystemGuest::kUserStack - 12);
  EXPECT_EQ(m.cpu.cpl, 3);
}

TEST(Iret, AReturnStackWhoseRplIsNotTheReturnCsRplIsGeneralProtectionWithTheSelector) {
  SystemGuest m;
  m.cpu.exception_mode = Cpu::ExceptionMode::Stop;
  EXPECT_EQ(m.exec(enter_ring("next", SystemGuest::kCode3, 0x20, 0x70000) + "next:\n"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 13);
  EXPECT_EQ(m.cpu.last_fault().error_code, 0x20u);
  EXPECT_EQ(m.cpu.cpl, 0);
  EXPECT_EQ(m.cpu.seg[CS].selector, SystemGuest::kCode0);
}

TEST(Iret, WithNtSetItIsATaskReturnWhichEndsTheRunAsNotModelled) {
  SystemGuest m;
  EXPECT_EQ(m.exec(" pushfd\n or dword ptr [esp], 0x4000\n popfd\n iretd\n"), StopReason::NotModelled);
  EXPECT_NE(m.cpu.host_error().find("task return"), std::string::npos) << m.cpu.host_error();
}

TEST(Iret, ANullSs0InTheTssIsAnInvalidTssFaultWithExtDeliveredInTheSameRing) {
  SystemGuest m;
  m.poke<u32>(SystemGuest::kTss + 8, 0);  // SS0 null
  m.gate(6, 0x40, SystemGuest::kInterruptGate, 0);                            // #UD to ring 0: needs SS0
  m.gate(10, 0x40, SystemGuest::kInterruptGate, 0, SystemGuest::kCode3);      // #TS handled in ring 3
  m.load_asm(" jmp start\n.org 0x40\n pop eax\n mov [0x100000], eax\n mov [0x100004], esp\n jmp done\n" +
             drop_to_ring3(" ud2\n.org 0x120\ndone:\n").substr(std::string(" jmp start\n").size()));
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut), 1u);                                  // null selector, EXT set
  EXPECT_EQ(m.mem<u32>(kOut + 4), SystemGuest::kUserStack - 12);    // same ring: no stack switch
  EXPECT_EQ(m.cpu.cpl, 3);
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[10], 1u);
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[6], 0u);
}

}  // namespace
}  // namespace ring1::test
