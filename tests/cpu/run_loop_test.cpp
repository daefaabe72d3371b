// The run loop: exact instruction and cycle limits, exact cycle accounting, and faults that leave the
// state as it was before the faulting instruction (SDM vol. 3, 6.5).
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

TEST(RunLoop, InstructionLimitStopsAtAnExactInstruction) {
  TestMachine m;
  m.load_asm("l:\n inc eax\n inc ebx\n inc ecx\n jmp l");
  RunLimits lim;
  lim.max_instructions = 10;
  EXPECT_EQ(m.cpu.run(lim), StopReason::InsnLimit);
  EXPECT_EQ(m.cpu.instret, 10u);
  EXPECT_EQ(m.r(EAX), 3u);
  EXPECT_EQ(m.r(EBX), 3u);
  EXPECT_EQ(m.r(ECX), 2u);
}

TEST(RunLoop, CyclesAreTheSumOfTheProfileCostsOfRetiredInstructions) {
  TestMachine m;
  const CostProfile& p = CostProfile::pentium3();
  m.exec("mov eax, 1\n mov [0x100000], eax\n mov ebx, [0x100000]\n jmp next\n next:");
  EXPECT_EQ(m.cpu.cycles, Cycles(p.cost(CostClass::Simple) + p.cost(CostClass::Store) + p.cost(CostClass::Load) +
                                 p.cost(CostClass::Branch)));
  EXPECT_EQ(m.cpu.cycles_by_ring[0], m.cpu.cycles);
  EXPECT_EQ(m.cpu.insns_by_ring[0], 4u);
}

TEST(RunLoop, CycleLimitStopsAtTheFirstInstructionReachingIt) {
  TestMachine m;
  m.load_asm("l:\n inc eax\n jmp l");  // 1 + 2 cycles per iteration
  RunLimits lim;
  lim.max_cycles = 30;
  EXPECT_EQ(m.cpu.run(lim), StopReason::CycleLimit);
  EXPECT_EQ(m.cpu.cycles, 30u);
  EXPECT_EQ(m.r(EAX), 10u);
}

TEST(RunLoop, TheSameProgramGivesTheSameCountsEveryRun) {
  auto counts = [] {
    TestMachine m;
    m.exec("mov ecx, 500\n l:\n add eax, ecx\n mov [0x100000 + ecx*4], eax\n loop l");
    return std::pair{m.cpu.instret, m.cpu.cycles};
  };
  EXPECT_EQ(counts(), counts());
}

TEST(RunLoop, AFaultingStoreLeavesRegistersFlagsAndMemoryUntouched) {
  TestMachine m;
  m.cpu.seg[DS].write_hi = 0xfffff;  // DS writable only below 1 MiB
  m.poke<u32>(0x100000, 5);
  m.cpu.eflags = eflags::Reserved1;
  EXPECT_EQ(m.exec("mov ebx, 0x100000\n add dword ptr [ebx], 0x7fffffff"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 13);
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode + 5);
  EXPECT_EQ(m.cpu.eip, TestMachine::kCode + 5);  // restartable: EIP at the faulting instruction
  EXPECT_EQ(m.mem<u32>(0x100000), 5u);
  EXPECT_EQ(m.cpu.eflags, eflags::Reserved1);
  EXPECT_EQ(m.cpu.instret, 1u);
}

TEST(RunLoop, AStackFaultIsReportedAsStackSegmentFault) {
  TestMachine m;
  m.cpu.seg[SS].write_lo = 0x70000;  // nothing below 0x70000 is writable through SS
  m.cpu.gpr[ESP] = 0x70002;
  EXPECT_EQ(m.exec("push eax"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 12);
  EXPECT_EQ(m.r(ESP), 0x70002u);
}

TEST(RunLoop, FetchingFromUnassignedMemoryIsAHostErrorNotACrash) {
  TestMachine m;
  m.cpu.eip = 0x40000000;  // beyond 16 MiB of RAM
  RunLimits lim;
  EXPECT_EQ(m.cpu.run(lim), StopReason::HostError);
  EXPECT_NE(m.cpu.host_error().find("0x40000000"), std::string::npos);
}

}  // namespace
}  // namespace ring1::test
