// Hardware task switching (SDM vol. 3, chapter 7; vol. 2, JMP, CALL, INT n, IRET): JMP and CALL to a TSS
// and through task gates, exceptions and INT n through IDT task gates (with the error code on the new
// task's stack, #DF included), IRET with NT through the back-link, busy bits and NT by table 7-2, the
// checks of table 7-1 before and after the save point, 16-bit TSSes, CR3 and LDT loads, CR0.TS, the T bit
// and the modelled cost. The SDM is the reference here: Unicorn's task-switch emulation is not used.
#include <gtest/gtest.h>

#include "support/system_guest.h"

namespace ring1::test {
namespace {

constexpr u32 kOut = 0x100000;

// SystemGuest's GDT (ring 0/1/3 code and data, the running task's 32-bit TSS at 0x28) plus:
struct TaskMachine : SystemGuest {
  static constexpr u16 kTssA = 0x40, kTssB = 0x48, kTss16 = 0x50, kGateB = 0x58, kLdt = 0x60, kAbsent = 0x68,
                       kGateA3 = 0x70;
  static constexpr u32 kTssABase = 0x303000, kTssBBase = 0x304000, kTss16Base = 0x305000, kLdtBase = 0x306000;

  TaskMachine() {
    poke<u64>(kGdt + kTssSel, sys_desc(kTss, 0x67, 0xB));  // the running task is busy
    poke<u64>(kGdt + kTssA, sys_desc(kTssABase, 0x67, 0x9));
    poke<u64>(kGdt + kTssB, sys_desc(kTssBBase, 0x67, 0x9));
    poke<u64>(kGdt + kTss16, sys_desc(kTss16Base, 0x2B, 0x1));
    poke<u64>(kGdt + kGateB, gate_desc(kTssB, 0, 0x5, 0));
    poke<u64>(kGdt + kLdt, sys_desc(kLdtBase, 0x0F, 0x2));
    poke<u64>(kGdt + kAbsent, seg_desc(0, 0xFFFFF, 0x3, 0, false, true, true));
    poke<u64>(kGdt + kGateA3, gate_desc(kTssA, 0, 0x5, 3));
    poke<u64>(kLdtBase + 8, seg_desc(0x200000, 0xFFFF, 0x3, 0));  // LDT selector 0x0C: data at 2 MiB
    cpu.gdtr = {kGdt, 0xFF};
  }
  // A 32-bit TSS for a ring-0 task starting at kCode + `offset` with flat ring-0 segments.
  void tss32(u32 base, u32 offset, u32 esp, u32 eflags = 0x2, u16 ds = kData0, u16 ldt = 0, u32 cr3 = 0) {
    poke<u32>(base + 0x1C, cr3);
    poke<u32>(base + 0x20, kCode + offset);
    poke<u32>(base + 0x24, eflags);
    for (u32 r = 0; r < 8; ++r) poke<u32>(base + 0x28 + 4 * r, 0x100 + r);
    poke<u32>(base + 0x38, esp);
    const u16 segs[6] = {kData0, kCode0, kData0, ds, kData0, kData0};
    for (u32 s = 0; s < 6; ++s) poke<u32>(base + 0x48 + 4 * s, segs[s]);
    poke<u32>(base + 0x60, ldt);
  }
  u8 type(u16 sel) const { return (mem<u64>(kGdt + sel) >> 40) & 0xF; }
  StopReason go(const std::string& src) {
    load_asm(src);
    return run();
  }
};

TEST(TaskSwitch, AJmpToATssSavesTheOldTaskLoadsTheNewOneAndMovesTheBusyBit) {
  TaskMachine m;
  m.tss32(TaskMachine::kTssABase, 0x40, 0x50000);
  // jmp far is 7 bytes at kCode + 5: the old task resumes at kCode + 12.
  ASSERT_EQ(m.go(" mov eax, 0x11\n jmp 0x40:0\n.org 0x40\n mov [0x100000], eax\n hlt\n"), StopReason::Halted);
  EXPECT_EQ(m.mem<u32>(kOut), 0x100u);                    // the new task's EAX
  EXPECT_EQ(m.r(ESP), 0x50000u);
  EXPECT_EQ(m.cpu.tr.selector, TaskMachine::kTssA);
  EXPECT_EQ(m.mem<u32>(SystemGuest::kTss + 0x20), TestMachine::kCode + 12);  // saved EIP
  EXPECT_EQ(m.mem<u32>(SystemGuest::kTss + 0x28), 0x11u);                    // saved EAX
  EXPECT_EQ(m.mem<u32>(SystemGuest::kTss + 0x4C), SystemGuest::kCode0);      // saved CS
  EXPECT_EQ(m.type(SystemGuest::kTssSel), 0x9);  // JMP: the old task is available again
  EXPECT_EQ(m.type(TaskMachine::kTssA), 0xB);
  EXPECT_EQ(m.mem<u16>(TaskMachine::kTssABase), 0u);  // no back-link
  EXPECT_FALSE(m.flag(eflags::NT));
  EXPECT_TRUE(m.cpu.cr0 & (1u << 3));  // CR0.TS
}

TEST(TaskSwitch, ATaskSwitchCostsTheProfilesTaskSwitchEventOnTopOfTheInstruction) {
  TaskMachine m;
  const CostProfile& p = CostProfile::pentium3();
  m.tss32(TaskMachine::kTssABase, 0x40, 0x50000);
  m.load_asm(" jmp 0x40:0\n.org 0x40\n hlt\n");
  RunLimits one;
  one.max_instructions = 1;
  ASSERT_EQ(m.cpu.run(one), StopReason::InsnLimit);
  EXPECT_EQ(m.cpu.cycles, Cycles(p.cost(CostClass::Complex) + p.events.task_switch));
  EXPECT_EQ(p.events.task_switch, 300);
}

TEST(TaskSwitch, ACallThroughATaskGateNestsTheTaskAndIretReturnsThroughTheBackLink) {
  TaskMachine m;
  m.tss32(TaskMachine::kTssBBase, 0x40, 0x50000);
  ASSERT_EQ(m.go(" mov ecx, 7\n call 0x58:0\n mov [0x100008], ecx\n hlt\n"
                 ".org 0x40\n pushfd\n pop dword ptr [0x100000]\n mov [0x100004], eax\n mov ecx, 5\n iretd\n"),
            StopReason::Halted);
  EXPECT_TRUE(m.mem<u32>(kOut) & eflags::NT);                    // the nested task runs with NT
  EXPECT_EQ(m.mem<u16>(TaskMachine::kTssBBase), SystemGuest::kTssSel);  // back-link
  EXPECT_EQ(m.mem<u32>(kOut + 8), 7u);  // the caller's ECX came back from its TSS
  EXPECT_EQ(m.cpu.tr.selector, SystemGuest::kTssSel);
  EXPECT_EQ(m.type(TaskMachine::kTssB), 0x9);  // IRET leaves the nested task available
  EXPECT_EQ(m.type(SystemGuest::kTssSel), 0xB);
  EXPECT_FALSE(m.flag(eflags::NT));
  EXPECT_EQ(m.mem<u32>(TaskMachine::kTssBBase + 0x2C), 5u);  // the nested task's ECX, saved by IRET
  EXPECT_FALSE(m.mem<u32>(TaskMachine::kTssBBase + 0x24) & eflags::NT);  // ... with NT clear in its image
}

TEST(TaskSwitch, ACallToABusyTaskIsGeneralProtectionAndIretToAnAvailableOneIsAnInvalidTss) {
  TaskMachine m;
  m.cpu.exception_mode = Cpu::ExceptionMode::Stop;
  ASSERT_EQ(m.go(" call 0x28:0\n"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 13);
  EXPECT_EQ(m.cpu.last_fault().error_code, SystemGuest::kTssSel);
  TaskMachine n;
  n.cpu.exception_mode = Cpu::ExceptionMode::Stop;
  n.poke<u16>(SystemGuest::kTss, TaskMachine::kTssA);  // back-link to an available TSS
  ASSERT_EQ(n.go(" pushfd\n or dword ptr [esp], 0x4000\n popfd\n iretd\n"), StopReason::UnhandledFault);
  EXPECT_EQ(n.cpu.last_fault().vector, 10);
  EXPECT_EQ(n.cpu.last_fault().error_code, TaskMachine::kTssA);
  EXPECT_EQ(n.cpu.tr.selector, SystemGuest::kTssSel);
}

TEST(TaskSwitch, ChecksBeforeTheSavePointFaultInTheOldTaskWithNothingSaved) {
  TaskMachine m;
  m.cpu.exception_mode = Cpu::ExceptionMode::Stop;
  m.poke<u64>(SystemGuest::kGdt + TaskMachine::kTssA, sys_desc(TaskMachine::kTssABase, 0x66, 0x9));
  ASSERT_EQ(m.go(" mov eax, 0x11\n jmp 0x40:0\n"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 10);  // limit below 67H: #TS(new TSS)
  EXPECT_EQ(m.cpu.last_fault().error_code, TaskMachine::kTssA);
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode + 5);
  EXPECT_EQ(m.mem<u32>(SystemGuest::kTss + 0x28), 0u);  // the old task's state was not saved
  EXPECT_EQ(m.type(SystemGuest::kTssSel), 0xB);
  TaskMachine n;
  n.cpu.exception_mode = Cpu::ExceptionMode::Stop;
  n.poke<u64>(SystemGuest::kGdt + TaskMachine::kTssA, sys_desc(TaskMachine::kTssABase, 0x67, 0x9, 0, false));
  ASSERT_EQ(n.go(" jmp 0x40:0\n"), StopReason::UnhandledFault);
  EXPECT_EQ(n.cpu.last_fault().vector, 11);  // not present: #NP(new TSS)
  EXPECT_EQ(n.cpu.last_fault().error_code, TaskMachine::kTssA);
}

TEST(TaskSwitch, AFaultAfterTheSavePointIsDeliveredInTheNewTask) {
  TaskMachine m;
  m.tss32(TaskMachine::kTssABase, 0x40, 0x50000, 0x2, TaskMachine::kAbsent);  // DS not present
  m.gate(11, 0x80, SystemGuest::kInterruptGate, 0);
  ASSERT_EQ(m.go(" mov eax, 0x11\n jmp 0x40:0\n.org 0x40\n hlt\n"
                 ".org 0x80\n pop dword ptr ss:[0x100000]\n pop dword ptr ss:[0x100004]\n str word ptr ss:[0x100008]\n hlt\n"),
            StopReason::Halted);
  EXPECT_EQ(m.mem<u32>(kOut), TaskMachine::kAbsent);           // #NP(new data segment)
  EXPECT_EQ(m.mem<u32>(kOut + 4), TestMachine::kCode + 0x40);  // at the new task's first instruction
  EXPECT_EQ(m.mem<u16>(kOut + 8), TaskMachine::kTssA);         // in the new task
  EXPECT_EQ(m.mem<u32>(SystemGuest::kTss + 0x28), 0x11u);      // the old task was saved
  EXPECT_EQ(m.r(ESP), 0x50000u - 8);  // the new task's stack, same ring
}

// Table 7-1 after the save point: each bad field of the new TSS and the fault it gives, in the new task.
struct BadField {
  u32 offset;  // in the 32-bit TSS
  u32 value;
  u8 vector;
  u32 error;
};
class TaskSwitchBadField : public ::testing::TestWithParam<BadField> {};

TEST_P(TaskSwitchBadField, IsReportedInTheNewTaskWithTheSelectorAsErrorCode) {
  const BadField b = GetParam();
  TaskMachine m;
  m.cpu.exception_mode = Cpu::ExceptionMode::Stop;
  m.tss32(TaskMachine::kTssABase, 0x40, 0x50000);
  m.poke<u32>(TaskMachine::kTssABase + b.offset, b.value);
  ASSERT_EQ(m.go(" jmp 0x40:0\n.org 0x40\n hlt\n"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, b.vector);
  EXPECT_EQ(m.cpu.last_fault().error_code, b.error);
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode + 0x40);
  EXPECT_EQ(m.cpu.tr.selector, TaskMachine::kTssA);
  EXPECT_EQ(m.type(SystemGuest::kTssSel), 0x9);  // the switch had committed
}
INSTANTIATE_TEST_SUITE_P(
    TaskSwitch, TaskSwitchBadField,
    ::testing::Values(BadField{0x60, 0x0C, 10, 0x0C},                                // LDT selector in an LDT
                      BadField{0x60, SystemGuest::kCode0, 10, SystemGuest::kCode0},    // not an LDT descriptor
                      BadField{0x4C, SystemGuest::kData0, 10, SystemGuest::kData0},    // CS not code
                      BadField{0x4C, 0x30, 10, 0x30},                                  // CS DPL 1, RPL 0
                      BadField{0x4C, SystemGuest::kCode3, 10, SystemGuest::kData0},   // CPL 3: SS DPL 0 != 3
                      BadField{0x50, 0, 10, 0},                                        // null SS
                      BadField{0x50, SystemGuest::kData3, 10, 0x20},                   // SS DPL 3 != CPL 0
                      BadField{0x50, TaskMachine::kAbsent, 12, TaskMachine::kAbsent},  // SS not present: #SS
                      BadField{0x54, SystemGuest::kTssSel, 10, SystemGuest::kTssSel}   // DS a system descriptor
                      ));

TEST(TaskSwitch, AFaultInARing3NewTaskIsDeliveredAtItsCplThroughTheNewTssRing0Stack) {
  TaskMachine m;
  m.tss32(TaskMachine::kTssABase, 0x40, 0x50000, 0x2, SystemGuest::kData3, 0x0C);  // LDT selector in an LDT
  m.poke<u32>(TaskMachine::kTssABase + 0x4C, SystemGuest::kCode3);
  m.poke<u32>(TaskMachine::kTssABase + 0x50, SystemGuest::kData3);
  m.poke<u32>(TaskMachine::kTssABase + 4, 0x58000);  // the new task's ESP0 and SS0
  m.poke<u32>(TaskMachine::kTssABase + 8, SystemGuest::kData0);
  m.gate(10, 0x80, SystemGuest::kInterruptGate, 0);
  ASSERT_EQ(m.go(" jmp 0x40:0\n.org 0x40\n hlt\n"
                 ".org 0x80\n pop dword ptr ss:[0x100000]\n mov eax, [esp+4]\n mov ss:[0x100004], eax\n"
                 " mov ss:[0x100008], esp\n hlt\n"),
            StopReason::Halted);
  EXPECT_EQ(m.mem<u32>(kOut), 0x0Cu);                    // #TS(LDT selector)
  EXPECT_EQ(m.mem<u32>(kOut + 4), SystemGuest::kCode3);  // interrupted at CPL 3, in the new task
  EXPECT_EQ(m.mem<u32>(kOut + 8), 0x58000u - 20);        // the new TSS's ring-0 stack, error code popped
  EXPECT_EQ(m.cpu.interrupt_stats.deliveries[3][0], 1u);
}

TEST(TaskSwitch, AnExceptionThroughATaskGatePushesItsErrorCodeOnTheNewTasksStack) {
  TaskMachine m;
  m.tss32(TaskMachine::kTssBBase, 0x40, 0x50000);
  m.poke<u64>(SystemGuest::kIdt + 13 * 8, gate_desc(TaskMachine::kTssB, 0, 0x5, 0));
  // mov ax, 0x7ff8 (4 bytes) then mov ds, ax at kCode + 4: #GP(0x7ff8), beyond the GDT limit.
  ASSERT_EQ(m.go(" mov ax, 0x7ff8\n mov ds, ax\n.org 0x40\n pop dword ptr [0x100000]\n mov [0x100004], esp\n hlt\n"),
            StopReason::Halted);
  EXPECT_EQ(m.mem<u32>(kOut), 0x7FF8u);
  EXPECT_EQ(m.mem<u32>(kOut + 4), 0x50000u);
  EXPECT_EQ(m.mem<u32>(SystemGuest::kTss + 0x20), TestMachine::kCode + 4);  // the fault's EIP is saved
  EXPECT_EQ(m.mem<u16>(TaskMachine::kTssBBase), SystemGuest::kTssSel);
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[13], 1u);
}

TEST(TaskSwitch, ADoubleFaultThroughATaskGateRunsInAFreshTaskWithErrorCodeZero) {
  TaskMachine m;
  m.tss32(TaskMachine::kTssBBase, 0x40, 0x50000);
  m.poke<u64>(SystemGuest::kIdt + 8 * 8, gate_desc(TaskMachine::kTssB, 0, 0x5, 0));
  m.gate(13, 0x80, SystemGuest::kInterruptGate, 0, SystemGuest::kCode0, false);  // #GP's gate absent
  // #GP's gate is not present: #NP while delivering #GP, two contributory faults, so #DF (table 6-5).
  ASSERT_EQ(m.go(" mov ax, 0x7ff8\n mov ds, ax\n.org 0x40\n pop dword ptr [0x100000]\n hlt\n"), StopReason::Halted);
  EXPECT_EQ(m.mem<u32>(kOut), 0u);
  EXPECT_EQ(m.cpu.tr.selector, TaskMachine::kTssB);
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[8], 1u);
}

TEST(TaskSwitch, IntNThroughADpl3TaskGateFromRing3SwitchesToARing0TaskAndIretComesBack) {
  TaskMachine m;
  m.tss32(TaskMachine::kTssABase, 0x40, 0x50000);
  m.poke<u64>(SystemGuest::kIdt + 0x50 * 8, gate_desc(TaskMachine::kTssA, 0, 0x5, 3));
  ASSERT_EQ(m.go(" jmp start\n.org 0x40\n mov eax, cs\n mov [0x100000], eax\n iretd\n"
                 ".org 0x80\nstart:\n" +
                 enter_ring("user", SystemGuest::kCode3, SystemGuest::kData3, SystemGuest::kUserStack) +
                 ".org 0x100\nuser:\n int 0x50\n mov ebx, cs\n"),
            StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u32>(kOut), SystemGuest::kCode0);
  EXPECT_EQ(m.cpu.cpl, 3);
  EXPECT_EQ(m.r(EBX), SystemGuest::kCode3);
  EXPECT_EQ(m.r(ESP), SystemGuest::kUserStack);
  EXPECT_EQ(m.cpu.interrupt_stats.deliveries[3][0], 1u);
}

TEST(TaskSwitch, ASixteenBitTssLoadsLowWordsAndItsTaskReturnsWithIret) {
  TaskMachine m;
  const u32 b = TaskMachine::kTss16Base;
  m.poke<u16>(b + 0x0E, u16(TestMachine::kCode + 0x40));  // IP
  m.poke<u16>(b + 0x10, 0x0002);                          // FLAGS
  for (u32 r = 0; r < 8; ++r) m.poke<u16>(b + 0x12 + 2 * r, u16(0x200 + r));
  m.poke<u16>(b + 0x1A, 0x6000);  // SP
  const u16 segs[4] = {SystemGuest::kData0, SystemGuest::kCode0, SystemGuest::kData0, SystemGuest::kData0};
  for (u32 s = 0; s < 4; ++s) m.poke<u16>(b + 0x22 + 2 * s, segs[s]);
  ASSERT_EQ(m.go(" call 0x50:0\n mov [0x100008], esi\n hlt\n"
                 ".org 0x40\n mov [0x100000], eax\n mov [0x100004], esp\n mov esi, 0x77\n iretd\n"),
            StopReason::Halted);
  EXPECT_EQ(m.mem<u32>(kOut), 0xFFFF0200u);  // the upper half of a 16-bit task's registers is all ones
  EXPECT_EQ(m.mem<u32>(kOut + 4), 0xFFFF6000u);
  EXPECT_EQ(m.mem<u16>(b + 0x1E), 0x77u);  // SI saved in the 16-bit TSS by the task return
  EXPECT_EQ(m.mem<u16>(b), SystemGuest::kTssSel);
  EXPECT_EQ(m.type(TaskMachine::kTss16), 0x1);
  EXPECT_EQ(m.cpu.tr.selector, SystemGuest::kTssSel);
}

TEST(TaskSwitch, TheNewTasksCr3IsARealCr3WriteAndItsLdtIsLoaded) {
  TaskMachine m;
  // Two page directories mapping the first 16 MiB with 4 MiB pages; the second also at 16 MiB.
  constexpr u32 kPd1 = 0x400000, kPd2 = 0x401000;
  for (u32 i = 0; i < 4; ++i) {
    m.poke<u32>(kPd1 + 4 * i, (i << 22) | 0x87);
    m.poke<u32>(kPd2 + 4 * i, (i << 22) | 0x87);
  }
  m.poke<u32>(kPd2 + 4 * 4, 0x87);  // 16 MiB -> 0 in the new task only
  m.cpu.set_cr4(1u << 4);           // PSE
  m.cpu.set_cr3(kPd1);
  m.cpu.set_cr0(m.cpu.cr0 | (1u << 31));
  m.tss32(TaskMachine::kTssABase, 0x40, 0x50000, 0x2, 0x0C, TaskMachine::kLdt, kPd2);
  m.poke<u32>(0x200000, 0xABCD);
  const u64 flushes = m.mmu.stats().flushes[size_t(FlushCause::Cr3Write)];
  m.load_asm(" jmp 0x40:0\n.org 0x40\n mov eax, [0]\n mov ebx, es:[0x1200000]\n hlt\n");
  RunLimits one;
  one.max_instructions = 1;
  const Cycles before = m.cpu.cycles, walks_before = m.mmu.stats().walk_cycles;
  ASSERT_EQ(m.cpu.run(one), StopReason::InsnLimit);
  // The JMP: its class, the switch, and the CR3 load priced as MOV CR3; page walks on top, as they happen.
  const CostProfile& p = CostProfile::pentium3();
  EXPECT_EQ(m.cpu.cycles - before - (m.mmu.stats().walk_cycles - walks_before),
            Cycles(p.cost(CostClass::Complex) + p.events.task_switch + p.events.cr3_write));
  ASSERT_EQ(m.run(), StopReason::Halted);
  EXPECT_EQ(m.cpu.cr3, kPd2);
  EXPECT_EQ(m.mmu.stats().flushes[size_t(FlushCause::Cr3Write)], flushes + 1);
  EXPECT_EQ(m.cpu.ldtr.selector, TaskMachine::kLdt);
  EXPECT_EQ(m.cpu.seg[DS].base, 0x200000u);  // DS from the new task's LDT
  EXPECT_EQ(m.r(EAX), 0xABCDu);
  EXPECT_EQ(m.r(EBX), 0xABCDu);  // through the mapping only the new address space has
}

TEST(TaskSwitch, TheTBitRaisesADebugTrapBeforeTheNewTasksFirstInstruction) {
  TaskMachine m;
  m.tss32(TaskMachine::kTssABase, 0x40, 0x50000);
  m.poke<u16>(TaskMachine::kTssABase + 0x64, 1);
  m.gate(1, 0x80, SystemGuest::kInterruptGate, 0);
  ASSERT_EQ(m.go(" jmp 0x40:0\n.org 0x40\n hlt\n.org 0x80\n pop dword ptr [0x100000]\n hlt\n"), StopReason::Halted);
  EXPECT_EQ(m.mem<u32>(kOut), TestMachine::kCode + 0x40);
  EXPECT_TRUE(m.cpu.dr[6] & (1u << 15));  // DR6.BT
  EXPECT_EQ(m.cpu.tr.selector, TaskMachine::kTssA);
}

}  // namespace
}  // namespace ring1::test
