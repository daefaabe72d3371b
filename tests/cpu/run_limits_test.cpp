// Every run is bounded by its limits, whatever the guest does (docs/failure-channels.md): the instruction
// limit counts steps, which also advance when nothing retires (faults delivered, REP elements, halted
// waits), a REP string instruction stops between elements and resumes exactly, and every step takes at
// least one modelled cycle, so a cycle limit comes even with a cost profile that prices something at zero.
#include <gtest/gtest.h>

#include "support/system_guest.h"
#include "support/test_machine.h"

namespace ring1::test {
namespace {

TEST(RunLimits, AFaultLoopThatRetiresNothingEndsAtTheInstructionLimit) {
  SystemGuest m;
  m.gate(6, 0x40, SystemGuest::kInterruptGate, 0);  // the #UD handler is itself UD2
  m.load_asm(" jmp start\n.org 0x40\n ud2\n.org 0x80\nstart:\n ud2\n");
  RunLimits lim;
  lim.max_instructions = 100;
  ASSERT_EQ(m.cpu.run(lim), StopReason::InsnLimit) << m.cpu.host_error();
  EXPECT_EQ(m.cpu.instret, 1u);  // the JMP; every later step is a #UD delivered
  EXPECT_EQ(m.cpu.steps(), 100u);
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[6], 99u);
}

TEST(RunLimits, AFaultLoopThatRetiresNothingEndsAtTheCycleLimit) {
  SystemGuest m;
  m.gate(6, 0x40, SystemGuest::kInterruptGate, 0);
  m.load_asm(" jmp start\n.org 0x40\n ud2\n.org 0x80\nstart:\n ud2\n");
  RunLimits lim;
  lim.max_cycles = 10'000;
  ASSERT_EQ(m.cpu.run(lim), StopReason::CycleLimit);
  EXPECT_GE(m.cpu.cycles, 10'000u);
  EXPECT_EQ(m.cpu.instret, 1u);
}

constexpr char kRep[] = "mov ecx, 100\n mov edi, 0x100000\n mov al, 7\n rep stosb\n mov ebx, 1\n";
constexpr u32 kRepAt = TestMachine::kCode + 5 + 5 + 2;  // EIP of the REP STOSB

TEST(RunLimits, TheInstructionLimitLandsBetweenTheElementsOfARepWithItsRegistersAtThatElement) {
  TestMachine m;
  m.load_asm(kRep);
  ASSERT_EQ(m.run(10), StopReason::InsnLimit);
  // Three instructions retired, seven elements done; the REP has not retired and EIP is still on it.
  EXPECT_EQ(m.cpu.instret, 3u);
  EXPECT_EQ(m.cpu.steps(), 10u);
  EXPECT_EQ(m.r(ECX), 93u);
  EXPECT_EQ(m.r(EDI), 0x100007u);
  EXPECT_EQ(m.cpu.eip, kRepAt);
  EXPECT_EQ(m.mem<u8>(0x100006), 7);
  EXPECT_EQ(m.mem<u8>(0x100007), 0);
}

TEST(RunLimits, ARepStoppedByTheLimitResumesExactlyWhereItStopped) {
  TestMachine whole;
  whole.load_asm(kRep);
  ASSERT_EQ(whole.run(), StopReason::Breakpoint);
  TestMachine sliced;
  sliced.load_asm(kRep);
  ASSERT_EQ(sliced.run(10), StopReason::InsnLimit);
  ASSERT_EQ(sliced.run(), StopReason::Breakpoint);
  for (TestMachine* m : {&whole, &sliced}) {
    EXPECT_EQ(m->r(ECX), 0u);
    EXPECT_EQ(m->r(EDI), 0x100064u);
    EXPECT_EQ(m->r(EBX), 1u);
    EXPECT_EQ(m->cpu.instret, 5u);
    EXPECT_EQ(m->cpu.steps(), 104u);  // four instructions and the REP's 100 elements
  }
  EXPECT_EQ(sliced.cpu.cycles, whole.cpu.cycles);
}

TEST(RunLimits, SteppingARepOneStepAtATimeGivesTheCountsOfRunningItWhole) {
  const char* code = "mov ecx, 9\n mov esi, 0x100000\n mov edi, 0x100100\n rep movsd\n mov ebx, 1\n";
  TestMachine whole;
  whole.load_asm(code);
  ASSERT_EQ(whole.run(), StopReason::Breakpoint);
  TestMachine stepped;
  stepped.load_asm(code);
  for (int k = 0; k < 12; ++k) ASSERT_EQ(stepped.run(1), StopReason::InsnLimit) << k;
  ASSERT_EQ(stepped.run(1), StopReason::InsnLimit);  // the 13th step: MOV EBX, and the code ends
  EXPECT_EQ(stepped.cpu.eip, stepped.code_end);
  EXPECT_EQ(stepped.cpu.steps(), whole.cpu.steps());
  EXPECT_EQ(stepped.cpu.instret, whole.cpu.instret);
  EXPECT_EQ(stepped.cpu.cycles, whole.cpu.cycles);
  EXPECT_EQ(stepped.r(EDI), whole.r(EDI));
}

TEST(RunLimits, InstructionsAfterARepInTheSameBlockStopExactlyAtTheLimit) {
  TestMachine m;
  m.load_asm("mov ecx, 5\n rep stosb\n inc eax\n inc eax\n inc eax\n inc eax\n inc eax\n inc eax\n inc eax\n");
  ASSERT_EQ(m.run(10), StopReason::InsnLimit);
  // MOV (1) + the REP's five elements (5) + four INCs (4) = 10 steps.
  EXPECT_EQ(m.r(EAX), 4u);
  EXPECT_EQ(m.cpu.instret, 6u);
}

// A machine with its own cost profile (the fixtures use p3).
struct PricedMachine {
  CostProfile costs;
  PhysicalMemory ram{1u << 20};
  Mmu mmu{ram, TlbProfile::p3(), TlbMode::Untagged};
  Cpu cpu{mmu, costs};
  explicit PricedMachine(CostProfile p) : costs(std::move(p)) { cpu.gpr[ESP] = 0x80000; }
  void load(std::string_view src) {
    const std::vector<u8> code = assemble(src, Bits::b32, TestMachine::kCode);
    ram.write_bytes(TestMachine::kCode, code.data(), u32(code.size()));
    cpu.eip = TestMachine::kCode;
  }
};

CostProfile priced_at_zero(CostClass c) {
  CostProfile p = CostProfile::pentium3();
  p.insn[static_cast<size_t>(c)] = 0;
  return p;
}

TEST(RunLimits, AZeroCostJumpToItselfStillReachesTheCycleLimit) {
  PricedMachine m(priced_at_zero(CostClass::Branch));
  m.load("l:\n jmp l\n");
  RunLimits lim;
  lim.max_cycles = 1000;
  ASSERT_EQ(m.cpu.run(lim), StopReason::CycleLimit);
  EXPECT_EQ(m.cpu.cycles, 1000u);  // one cycle a jump: the floor of every step
  EXPECT_EQ(m.cpu.instret, 1000u);
}

TEST(RunLimits, AZeroCostRepStillReachesTheCycleLimit) {
  PricedMachine m(priced_at_zero(CostClass::StringIter));
  m.load("mov ecx, 0xffffffff\n mov edi, 0x10000\n rep stosb\n");
  RunLimits lim;
  lim.max_cycles = 1000;
  ASSERT_EQ(m.cpu.run(lim), StopReason::CycleLimit);
  EXPECT_EQ(m.cpu.cycles, 1000u);
  EXPECT_GT(m.cpu.gpr[ECX], 0xfffff000u);  // about a thousand elements, one cycle each
  EXPECT_LT(m.cpu.gpr[ECX], 0xffffffffu);
}

// A controller that never has an interrupt but (like a PIC whose timer line is unmasked yet silent) does
// not know that nothing will come; and a timer that ticks every 1000 cycles without raising anything.
struct SilentTimer {
  const char* blocked = nullptr;
  static bool pending(void*) { return false; }
  static u8 ack(void*) { return 0x20; }
  static const char* wake_blocked(void* p) { return static_cast<SilentTimer*>(p)->blocked; }
  static void fire(void* p, Cycles now) { static_cast<SilentTimer*>(p)->cpu->schedule_event(now + 1000); }
  Cpu* cpu = nullptr;
  void attach(Cpu& c) {
    cpu = &c;
    c.interrupt_controller = {&pending, &ack, this, &wake_blocked};
    c.event_hook = {&fire, this};
    c.schedule_event(1000);
  }
};

TEST(RunLimits, AHaltThatTimerTicksKeepAliveWithoutWakingEndsAtTheInstructionLimit) {
  TestMachine m;
  SilentTimer t;
  t.attach(m.cpu);
  m.load_asm("sti\n hlt\n");
  ASSERT_EQ(m.run(50), StopReason::InsnLimit);
  EXPECT_EQ(m.cpu.instret, 2u);
  EXPECT_EQ(m.cpu.steps(), 50u);  // every wait until the next tick is a step
  EXPECT_EQ(m.cpu.cycles, 48'000u);  // 48 waits, each to the next tick
  EXPECT_GT(m.cpu.halted_cycles, 47'000u);
  EXPECT_TRUE(m.cpu.halted());
}

TEST(RunLimits, AHaltThatNothingCanWakeEndsTheRunAndSaysWhy) {
  TestMachine m;
  SilentTimer t;
  t.blocked = "IRQ 0 (the timer) is masked at the master PIC (IMR 0x01)";
  t.attach(m.cpu);
  m.load_asm("sti\n hlt\n nop\n");
  ASSERT_EQ(m.run(), StopReason::Halted);
  EXPECT_EQ(m.cpu.host_error(), std::string("HLT with interrupts enabled, but nothing can wake the CPU: ") + t.blocked);
  EXPECT_EQ(m.cpu.halted_cycles, 0u);
  EXPECT_EQ(m.cpu.eip, TestMachine::kCode + 2);  // after the HLT, where a wake-up would resume
}

}  // namespace
}  // namespace ring1::test
