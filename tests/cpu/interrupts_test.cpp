// Interrupt and exception delivery (SDM vol. 3, chapter 6) seen from small guests: system calls through a
// DPL-3 gate with the TSS stack switch, the gate-DPL check of INT n, privileged instructions at CPL 1 and 3,
// #PF with CR2, #DF and the triple fault, interrupt vs trap gates, real mode, CLI/STI and external interrupts.
// Handlers live at fixed offsets (.org) so the IDT can point at them.
#include <vector>
#include <gtest/gtest.h>

#include "support/system_guest.h"

namespace ring1::test {
namespace {

constexpr u32 kOut = 0x100000;  // where handlers store what they saw

// Ring 0 drops to ring 3 at kCode+0x100; vector 0x80 is a DPL-3 trap gate to kCode+0x40.
std::string syscall_guest(const std::string& user, const std::string& handler) {
  return " jmp start\n.org 0x40\n" + handler + "\n.org 0x80\nstart:\n" +
         enter_ring("user", SystemGuest::kCode3, SystemGuest::kData3, SystemGuest::kUserStack) + ".org 0x100\nuser:\n" +
         user;
}

TEST(Interrupts, ASystemCallFromRing3SwitchesToTheRing0StackAndIretReturnsToRing3) {
  SystemGuest m;
  m.gate(0x80, 0x40, SystemGuest::kTrapGate, 3);
  // user: mov eax, 41 (5 bytes) then int 0x80 (2): the saved EIP is kCode + 0x107.
  m.load_asm(syscall_guest(" mov eax, 41\n int 0x80\n mov ebx, eax\n",
                           " mov [0x100000], esp\n mov ecx, cs\n mov [0x100004], ecx\n inc eax\n iretd\n"));
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut), SystemGuest::kEsp0 - 20);
  EXPECT_EQ(m.mem<u32>(kOut + 4), SystemGuest::kCode0);
  const u32 frame = SystemGuest::kEsp0 - 20;
  EXPECT_EQ(m.mem<u32>(frame), TestMachine::kCode + 0x107);      // EIP
  EXPECT_EQ(m.mem<u32>(frame + 4), SystemGuest::kCode3);         // CS
  EXPECT_EQ(m.mem<u32>(frame + 12), SystemGuest::kUserStack);    // ESP
  EXPECT_EQ(m.mem<u32>(frame + 16), SystemGuest::kData3);        // SS
  EXPECT_EQ(m.cpu.cpl, 3);
  EXPECT_EQ(m.cpu.seg[CS].selector, SystemGuest::kCode3);
  EXPECT_EQ(m.cpu.seg[SS].selector, SystemGuest::kData3);
  EXPECT_EQ(m.r(ESP), SystemGuest::kUserStack);
  EXPECT_EQ(m.r(EBX), 42u);
  EXPECT_EQ(m.cpu.interrupt_stats.deliveries[3][0], 1u);
  EXPECT_EQ(m.cpu.interrupt_stats.returns[0][3], 2u);  // the drop to ring 3 and the system call's return
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[0x80], 1u);
}

TEST(Interrupts, AnIntIretRoundTripCostsExactlyTheProfilesEventsAndInstructions) {
  SystemGuest m;
  const CostProfile& p = CostProfile::pentium3();
  m.gate(0x80, 0x40, SystemGuest::kTrapGate, 3);
  m.load_asm(syscall_guest(" int 0x80\n", " iretd\n"));
  ASSERT_EQ(m.run_to(TestMachine::kCode + 0x100), StopReason::Breakpoint);
  const Cycles before = m.cpu.cycles;
  const auto ring0 = m.cpu.cycles_by_ring[0], ring3 = m.cpu.cycles_by_ring[3];
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  const Cycles int_side = p.cost(CostClass::Complex) + p.events.exception_ring_change;
  const Cycles iret_side = p.cost(CostClass::Branch) + p.events.iret_ring_change;
  EXPECT_EQ(m.cpu.cycles - before, int_side + iret_side);
  // A transition is charged to the ring it leaves: INT and its delivery to ring 3, IRET to ring 0.
  EXPECT_EQ(m.cpu.cycles_by_ring[3] - ring3, int_side);
  EXPECT_EQ(m.cpu.cycles_by_ring[0] - ring0, iret_side);
  EXPECT_EQ(m.cpu.insns_by_ring[3], 1u);
}

// A #GP handler (placed at kCode+0x40) that stores the error code, saved EIP and saved CS, then halts.
constexpr const char* kGpHandler = " pop eax\n mov [0x100000], eax\n mov eax, [esp]\n mov [0x100004], eax\n"
                                   " mov eax, [esp+4]\n mov [0x100008], eax\n mov [0x10000C], esp\n hlt\n";

TEST(Interrupts, IntNThroughAGateOfLowerDplThanCplIsGeneralProtectionWithTheVector) {
  SystemGuest m;
  m.gate(0x40, 0x40, SystemGuest::kInterruptGate, 0);
  m.gate(13, 0x40, SystemGuest::kInterruptGate, 0);
  m.load_asm(syscall_guest(" int 0x40\n", kGpHandler));
  ASSERT_EQ(m.run(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut), 0x40u * 8 + 2);                   // IDT bit set, EXT clear (software)
  EXPECT_EQ(m.mem<u32>(kOut + 4), TestMachine::kCode + 0x100);  // a fault: the INT instruction itself
  EXPECT_EQ(m.mem<u32>(kOut + 8), SystemGuest::kCode3);
  EXPECT_EQ(m.mem<u32>(kOut + 12), SystemGuest::kEsp0 - 20);     // after popping the error code
  EXPECT_EQ(m.cpu.cpl, 0);
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[0x40], 0u);
  EXPECT_EQ(m.cpu.insns_by_ring[3], 0u);  // the INT did not retire
}

TEST(Interrupts, HltAtCpl3IsGeneralProtectionDeliveredToRing0) {
  SystemGuest m;
  m.gate(13, 0x40, SystemGuest::kInterruptGate, 0);
  m.load_asm(syscall_guest(" nop\n hlt\n", kGpHandler));
  ASSERT_EQ(m.run(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut), 0u);
  EXPECT_EQ(m.mem<u32>(kOut + 4), TestMachine::kCode + 0x101);
  EXPECT_EQ(m.mem<u32>(kOut + 8), SystemGuest::kCode3);
  EXPECT_EQ(m.cpu.cpl, 0);
}

TEST(Interrupts, MovToCr3AtCpl1IsGeneralProtectionDeliveredToRing0OnTheRing0Stack) {
  SystemGuest m;
  m.gate(13, 0x40, SystemGuest::kInterruptGate, 0);
  m.load_asm(" jmp start\n.org 0x40\n" + std::string(kGpHandler) + ".org 0x80\nstart:\n" +
             enter_ring("ring1", SystemGuest::kCode1, SystemGuest::kData1, 0x60000) +
             ".org 0x100\nring1:\n mov cr3, eax\n");
  ASSERT_EQ(m.run(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut), 0u);
  EXPECT_EQ(m.mem<u32>(kOut + 4), TestMachine::kCode + 0x100);
  EXPECT_EQ(m.mem<u32>(kOut + 8), SystemGuest::kCode1);
  EXPECT_EQ(m.mem<u32>(SystemGuest::kEsp0 - 8), 0x60000u);                // saved ESP
  EXPECT_EQ(m.mem<u32>(SystemGuest::kEsp0 - 4), SystemGuest::kData1);     // saved SS
  EXPECT_EQ(m.cpu.interrupt_stats.deliveries[1][0], 1u);
}

TEST(Interrupts, APageFaultDeliversCr2AndTheErrorCodeOnTheHandlersStack) {
  SystemGuest m;
  constexpr u32 kPd = 0x200000;
  m.poke<u32>(kPd, 0x87);  // 0-4 MiB: present, writable, user, 4 MiB page; 4 MiB and up not present
  m.cpu.set_cr4(1u << 4);
  m.cpu.set_cr3(kPd);
  m.cpu.set_cr0(m.cpu.cr0 | 0x80000000u);
  m.gate(14, 0x40, SystemGuest::kInterruptGate, 0);
  m.load_asm(syscall_guest(" mov eax, [0x500000]\n",
                           " pop eax\n mov [0x100000], eax\n mov eax, cr2\n mov [0x100004], eax\n"
                           " mov eax, [esp]\n mov [0x100008], eax\n hlt\n"));
  ASSERT_EQ(m.run(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut), pf_error::User);  // a user-mode read of a not-present page
  EXPECT_EQ(m.mem<u32>(kOut + 4), 0x500000u);
  EXPECT_EQ(m.mem<u32>(kOut + 8), TestMachine::kCode + 0x100);
}

TEST(Interrupts, AFaultWhileDeliveringGeneralProtectionBecomesADoubleFault) {
  SystemGuest m;
  m.gate(13, 0x40, SystemGuest::kInterruptGate, 0, SystemGuest::kCode0, false);  // not present: #NP
  m.gate(8, 0x40, SystemGuest::kInterruptGate, 0);
  m.load_asm(syscall_guest(" hlt\n", " pop eax\n mov [0x100000], eax\n mov eax, [esp]\n mov [0x100004], eax\n hlt\n"));
  ASSERT_EQ(m.run(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut), 0u);  // #DF's error code is always 0
  EXPECT_EQ(m.mem<u32>(kOut + 4), TestMachine::kCode + 0x100);
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[8], 1u);
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[13], 0u);
}

TEST(Interrupts, AnExceptionWhileDeliveringADoubleFaultIsATripleFaultThatEndsTheRun) {
  SystemGuest m;
  m.cpu.idtr.limit = 0;  // no gate at all: #BP -> #GP -> #GP => #DF -> #GP: shutdown
  const Cycles before = m.cpu.cycles;
  EXPECT_EQ(m.exec(" nop\n int3\n nop\n"), StopReason::TripleFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 13);
  EXPECT_EQ(m.cpu.last_fault().error_code, 8u * 8 + 2 + 1);  // the #DF gate, EXT set
  EXPECT_EQ(m.cpu.last_fault().eip, TestMachine::kCode + 1);
  // The record names the chain: the breakpoint, the faults delivering it, the double fault, the last straw.
  EXPECT_EQ(m.cpu.host_error().rfind("#BP -> ", 0), 0u) << m.cpu.host_error();
  EXPECT_NE(m.cpu.host_error().find("=> #DF -> #GP"), std::string::npos) << m.cpu.host_error();
  EXPECT_EQ(m.cpu.eip, TestMachine::kCode + 1);
  EXPECT_EQ(m.cpu.instret, 1u);
  EXPECT_GT(m.cpu.cycles, before);
}

TEST(Interrupts, AnInterruptGateClearsIfAndATrapGateLeavesIt) {
  SystemGuest m;
  m.gate(0x20, 0x40, SystemGuest::kInterruptGate, 0);
  m.gate(0x21, 0x60, SystemGuest::kTrapGate, 0);
  m.load_asm(" jmp start\n.org 0x40\n pushfd\n pop dword ptr [0x100000]\n iretd\n"
             ".org 0x60\n pushfd\n pop dword ptr [0x100004]\n iretd\n"
             ".org 0x80\nstart:\n sti\n int 0x20\n int 0x21\n pushfd\n pop dword ptr [0x100008]\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_FALSE(m.mem<u32>(kOut) & eflags::IF);
  EXPECT_TRUE(m.mem<u32>(kOut + 4) & eflags::IF);
  EXPECT_TRUE(m.mem<u32>(kOut + 8) & eflags::IF);  // IRET restored it
  EXPECT_EQ(m.cpu.interrupt_stats.deliveries[0][0], 2u);
}

TEST(Interrupts, RealModeIntGoesThroughTheIvtAndIretComesBack) {
  TestMachine m;
  m.deliver_exceptions();
  m.cpu.set_cr0(m.cpu.cr0 & ~1u);
  for (SegReg r : {ES, CS, SS, DS, FS, GS}) m.cpu.load_segment_flat(r, 0, 0, r == CS, false);
  m.cpu.gpr[ESP] = 0x8000;
  m.cpu.idtr = {0, 0x3FF};
  m.poke<u32>(0x21 * 4, (0x0100u << 16) | 0x0040);  // 0100:0040 = linear 0x1040 = kCode + 0x40
  m.load_asm(" jmp start\n.org 0x40\n pushf\n pop cx\n mov ax, 0x1234\n iret\n"
             ".org 0x80\nstart:\n sti\n int 0x21\n mov bx, ax\n",
             Bits::b16);
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(m.r(EBX) & 0xFFFF, 0x1234u);
  EXPECT_FALSE(m.r(ECX) & eflags::IF);  // cleared on entry
  EXPECT_TRUE(m.flag(eflags::IF));      // restored by IRET
  EXPECT_EQ(m.r(ESP), 0x8000u);
  EXPECT_EQ(m.cpu.seg[CS].selector, 0u);
  EXPECT_EQ(m.mem<u16>(0x8000 - 6), TestMachine::kCode + 0x80 + 1 + 2);  // saved IP: after STI, INT 0x21
  EXPECT_EQ(m.mem<u16>(0x8000 - 4), 0u);            // saved CS
}

TEST(Interrupts, CliAtCpl3WithIopl0IsGeneralProtection) {
  SystemGuest m;
  m.gate(13, 0x40, SystemGuest::kInterruptGate, 0);
  m.load_asm(syscall_guest(" cli\n", kGpHandler));
  ASSERT_EQ(m.run(), StopReason::Halted);
  EXPECT_EQ(m.mem<u32>(kOut + 4), TestMachine::kCode + 0x100);
}

TEST(Interrupts, CliAndStiAtCpl3AreAllowedWithIopl3) {
  SystemGuest m;
  m.load_asm(" jmp start\n.org 0x80\nstart:\n" +
             enter_ring("user", SystemGuest::kCode3, SystemGuest::kData3, SystemGuest::kUserStack, 0x3002) +
             ".org 0x100\nuser:\n sti\n pushfd\n pop dword ptr [0x100000]\n cli\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_TRUE(m.mem<u32>(kOut) & eflags::IF);
  EXPECT_FALSE(m.flag(eflags::IF));
}

// A stand-in for the PIC: one pending vector until acknowledged.
struct FakePic {
  int pending = 0;
  u8 vector = 0x30;
  int acks = 0;
  static bool is_pending(void* p) { return static_cast<FakePic*>(p)->pending > 0; }
  static u8 ack(void* p) {
    auto* pic = static_cast<FakePic*>(p);
    --pic->pending;
    ++pic->acks;
    return pic->vector;
  }
  void attach(Cpu& c) { c.interrupt_controller = {&is_pending, &ack, this}; }
};

TEST(Interrupts, AnExternalInterruptWaitsOutTheStiShadowAndIsTakenAtTheNextBoundary) {
  SystemGuest m;
  FakePic pic;
  pic.attach(m.cpu);
  m.gate(0x30, 0x40, SystemGuest::kInterruptGate, 0);
  m.load_asm(" jmp start\n.org 0x40\n mov [0x100000], eax\n mov eax, [esp]\n mov [0x100004], eax\n iretd\n"
             ".org 0x80\nstart:\n mov eax, 7\n sti\n mov eax, 1\n mov eax, 2\n mov eax, 3\n");
  pic.pending = 1;
  m.cpu.interrupt_requested();
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(pic.acks, 1);
  EXPECT_EQ(m.mem<u32>(kOut), 1u);  // the instruction after STI ran first
  EXPECT_EQ(m.mem<u32>(kOut + 4), TestMachine::kCode + 0x80 + 5 + 1 + 5);
  EXPECT_EQ(m.r(EAX), 3u);
}

TEST(Interrupts, AnInterruptRaisedWhileRunningIsTakenAfterTheCurrentInstruction) {
  SystemGuest m;
  FakePic pic;
  pic.attach(m.cpu);
  m.gate(0x30, 0x40, SystemGuest::kInterruptGate, 0);
  m.cpu.eflags |= eflags::IF;
  m.load_asm(" jmp start\n.org 0x40\n mov eax, [esp]\n mov [0x100004], eax\n iretd\n"
             ".org 0x80\nstart:\n inc ebx\n inc ebx\n inc ebx\n inc ebx\n");
  RunLimits lim;
  lim.max_instructions = 2;  // jmp, inc
  ASSERT_EQ(m.cpu.run(lim), StopReason::InsnLimit);
  pic.pending = 1;
  m.cpu.interrupt_requested();
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u32>(kOut + 4), TestMachine::kCode + 0x81);
  EXPECT_EQ(m.r(EBX), 4u);
}

TEST(Interrupts, HltWithAnInterruptPendingWakesAtOnceAndWithoutOneEndsTheRun) {
  SystemGuest m;
  FakePic pic;
  pic.attach(m.cpu);
  m.gate(0x30, 0x40, SystemGuest::kInterruptGate, 0);
  m.load_asm(" jmp start\n.org 0x40\n inc ecx\n iretd\n.org 0x80\nstart:\n sti\n hlt\n hlt\n");
  pic.pending = 1;
  EXPECT_EQ(m.run(), StopReason::Halted);  // first HLT wakes for the interrupt, the second has nothing
  EXPECT_NE(m.cpu.host_error().find("no timer is counting"), std::string::npos) << m.cpu.host_error();
  EXPECT_EQ(m.r(ECX), 1u);
  EXPECT_EQ(m.cpu.eip, TestMachine::kCode + 0x83);
}


// A timer as the PIT will be: at its deadline it raises the line and, if periodic, schedules the next tick.
struct FakeTimer {
  FakePic* pic = nullptr;
  Cpu* cpu = nullptr;
  Cycles period = 0;
  std::vector<Cycles> fired_at;
  static void fire(void* p, Cycles now) {
    auto* t = static_cast<FakeTimer*>(p);
    t->fired_at.push_back(now);
    ++t->pic->pending;
    t->cpu->interrupt_requested();
    if (t->period) t->cpu->schedule_event(now + t->period);
  }
  void attach(Cpu& c, FakePic& p, Cycles first) {
    pic = &p;
    cpu = &c;
    c.event_hook = {&fire, this};
    c.schedule_event(first);
  }
};

TEST(Interrupts, ATimedEventFiresAtTheFirstInstructionBoundaryPastItsDeadline) {
  SystemGuest m;
  FakePic pic;
  pic.attach(m.cpu);
  FakeTimer timer;
  m.gate(0x30, 0x40, SystemGuest::kInterruptGate, 0);
  m.load_asm(" jmp start\n.org 0x40\n inc ecx\n iretd\n.org 0x80\nstart:\n sti\n"
             ".rept 200\n inc ebx\n.endr\n");
  timer.attach(m.cpu, pic, 100);
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  ASSERT_EQ(timer.fired_at.size(), 1u);
  // Every instruction here costs whole cycles; the event fires at the first boundary at or past 100,
  // never later than one instruction's cost.
  EXPECT_GE(timer.fired_at[0], 100u);
  EXPECT_LT(timer.fired_at[0], 100u + 5);
  EXPECT_EQ(m.r(ECX), 1u);
  EXPECT_EQ(m.r(EBX), 200u);
}

TEST(Interrupts, HltWaitsForTheNextTimedEventAndCountsTheWaitAsHaltedCycles) {
  SystemGuest m;
  FakePic pic;
  pic.attach(m.cpu);
  FakeTimer timer;
  timer.period = 10000;
  m.gate(0x30, 0x40, SystemGuest::kInterruptGate, 0);
  // Three ticks wake three HLTs; then CLI; HLT ends the run for good.
  m.load_asm(" jmp start\n.org 0x40\n inc ecx\n iretd\n.org 0x80\nstart:\n sti\n hlt\n hlt\n hlt\n cli\n hlt\n");
  timer.attach(m.cpu, pic, 10000);
  ASSERT_EQ(m.run(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.r(ECX), 3u);
  ASSERT_EQ(timer.fired_at.size(), 3u);
  EXPECT_EQ(timer.fired_at[0], 10000u);  // a halted CPU wakes exactly at the deadline
  EXPECT_EQ(timer.fired_at[1], 20000u);
  EXPECT_EQ(timer.fired_at[2], 30000u);
  EXPECT_GT(m.cpu.halted_cycles, 29000u);
  EXPECT_LT(m.cpu.halted_cycles, 30000u);
  EXPECT_EQ(m.cpu.cycles_by_ring[0], m.cpu.cycles);  // the wait is charged to the ring that halted
}

TEST(Interrupts, ACycleLimitInsideHltStopsThereAndTheNextRunKeepsWaiting) {
  SystemGuest m;
  FakePic pic;
  pic.attach(m.cpu);
  FakeTimer timer;
  m.gate(0x30, 0x40, SystemGuest::kInterruptGate, 0);
  m.load_asm(" jmp start\n.org 0x40\n inc ecx\n iretd\n.org 0x80\nstart:\n sti\n hlt\n cli\n hlt\n");
  timer.attach(m.cpu, pic, 50000);
  RunLimits lim;
  lim.max_cycles = 20000;
  ASSERT_EQ(m.cpu.run(lim), StopReason::CycleLimit);
  EXPECT_EQ(m.cpu.cycles, 20000u);
  EXPECT_TRUE(m.cpu.halted());
  EXPECT_EQ(m.r(ECX), 0u);
  ASSERT_EQ(m.run(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.r(ECX), 1u);
  ASSERT_EQ(timer.fired_at.size(), 1u);
  EXPECT_EQ(timer.fired_at[0], 50000u);
}

}  // namespace
}  // namespace ring1::test
