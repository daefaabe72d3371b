// The local APIC (SDM vol. 3, chapter 10) as a guest reaches it: its registers by MOV to and from the window
// IA32_APIC_BASE names (through segmentation, paging and the TLB), its power-on values, IPIs to itself with
// the ICR's delivery status, priorities and EOI, the timer in exact modelled cycles, and the 8259A behind
// LINT0.
#include <gtest/gtest.h>

#include "devices/pc_guest.h"

namespace ring1::test {
namespace {

constexpr u32 kApic = 0xFEE00000;
constexpr u32 kVector = 0x40;

// Reads the APIC register at `offset` the way a guest does: a 32-bit MOV from the window.
u32 guest_read(PcGuest& m, u32 offset) {
  m.load_asm(fmt::format("mov eax, [{:#x}]\n", kApic + offset));
  EXPECT_EQ(m.run(), StopReason::Breakpoint);
  return m.r(EAX);
}

TEST(LocalApic, RegistersReadTheSdmPowerOnValuesAfterReset) {
  PcGuest m;
  m.pc.apic().reset();
  EXPECT_EQ(guest_read(m, 0x20), 0u) << "ID: the bootstrap processor is APIC 0";
  EXPECT_EQ(guest_read(m, 0x30), 0x00030014u) << "version 0x14, four LVT entries";
  EXPECT_EQ(guest_read(m, 0x80), 0u) << "TPR";
  EXPECT_EQ(guest_read(m, 0xA0), 0u) << "PPR";
  EXPECT_EQ(guest_read(m, 0xD0), 0u) << "LDR";
  EXPECT_EQ(guest_read(m, 0xE0), 0xFFFFFFFFu) << "DFR: the flat model";
  EXPECT_EQ(guest_read(m, 0xF0), 0xFFu) << "SVR: software-disabled, vector 0xFF";
  for (u32 i = 0; i < 8; ++i) {
    EXPECT_EQ(guest_read(m, 0x100 + 0x10 * i), 0u) << "ISR";
    EXPECT_EQ(guest_read(m, 0x180 + 0x10 * i), 0u) << "TMR";
    EXPECT_EQ(guest_read(m, 0x200 + 0x10 * i), 0u) << "IRR";
  }
  EXPECT_EQ(guest_read(m, 0x320), 0x10000u) << "LVT timer masked";
  EXPECT_EQ(guest_read(m, 0x350), 0x700u) << "LINT0: ExtINT, unmasked, as QEMU resets its BSP";
  EXPECT_EQ(guest_read(m, 0x360), 0x10000u) << "LINT1 masked";
  EXPECT_EQ(guest_read(m, 0x370), 0x10000u) << "LVT error masked";
  EXPECT_EQ(guest_read(m, 0x380), 0u) << "initial count";
  EXPECT_EQ(guest_read(m, 0x390), 0u) << "current count";
  EXPECT_EQ(guest_read(m, 0x3E0), 0u) << "divide configuration";
}

TEST(LocalApic, ApicBaseMsrNamesTheWindowAndItsEnableBitIsCpuidsApicFlag) {
  PcGuest m;
  m.load_asm("mov ecx, 0x1b\n rdmsr\n mov esi, eax\n mov edi, edx\n mov eax, 1\n cpuid\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.r(ESI), 0xFEE00900u) << "base 0xFEE00000, enabled, bootstrap processor";
  EXPECT_EQ(m.r(EDI), 0u);
  EXPECT_TRUE(m.r(EDX) & (1u << 9)) << "CPUID.1:EDX.APIC";

  // Globally disabled: no window (the bus reads all ones) and no APIC flag (SDM 10.4.3).
  m.load_asm(
      "mov ecx, 0x1b\n mov eax, 0xFEE00100\n xor edx, edx\n wrmsr\n mov esi, [0xFEE00030]\n"
      "mov eax, 1\n cpuid\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.r(ESI), 0xFFFFFFFFu);
  EXPECT_FALSE(m.r(EDX) & (1u << 9));

  // Re-enabled at another base: the registers answer there, not at the old one.
  m.load_asm(
      "mov ecx, 0x1b\n mov eax, 0xFED40900\n xor edx, edx\n wrmsr\n mov esi, [0xFED40030]\n mov edi, "
      "[0xFEE00030]\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.r(ESI), 0x00030014u);
  EXPECT_EQ(m.r(EDI), 0xFFFFFFFFu);
}

TEST(LocalApic, ApicBaseMsrWithReservedBitsIsGeneralProtection) {
  for (const char* value : {"mov eax, 0xFEE00901\n xor edx, edx\n", "mov eax, 0xFEE00D00\n xor edx, edx\n",
                            "mov eax, 0xFEE00900\n mov edx, 1\n"}) {
    PcGuest m;
    m.cpu.exception_mode = Cpu::ExceptionMode::Stop;
    m.load_asm(std::string(value) + "mov ecx, 0x1b\n wrmsr\n");
    EXPECT_EQ(m.run(), StopReason::UnhandledFault) << value;
    EXPECT_EQ(m.cpu.last_fault().vector, 13) << value;
    EXPECT_EQ(m.pc.apic().base_msr(), 0xFEE00900u) << value;
  }
}

TEST(LocalApic, RegistersAreReachedThroughPagingAndTheTlb) {
  PcGuest m;
  constexpr u32 kPd = 0x200000, kPt = 0x201000;
  m.poke<u32>(kPd + 0, 0x83);                 // 0-4 MiB: one 4 MiB page, identity
  m.poke<u32>(kPd + 4, kPt | 3);              // 4-8 MiB: a page table
  m.poke<u32>(kPt + 0, kApic | 0x13);         // 0x400000 -> the APIC window (PCD set, as kernels map it)
  m.load_asm(
      "mov eax, cr4\n or eax, 0x10\n mov cr4, eax\n mov eax, 0x200000\n mov cr3, eax\n"
      "mov eax, cr0\n or eax, 0x80000000\n mov cr0, eax\n"
      "mov esi, [0x400030]\n mov dword ptr [0x400080], 0x20\n mov edi, [0x400080]\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.r(ESI), 0x00030014u);
  EXPECT_EQ(m.r(EDI), 0x20u) << "TPR written and read through the page";
  EXPECT_GE(m.mmu.stats().dtlb.misses, 1u) << "the access filled the data TLB like any other";
}

// Interrupt handler at kCode + 0x800: counts in [0x5000], writes EOI, IRET.
std::string with_handler(const std::string& main) {
  return main + "\n .org 0x800\n inc dword ptr [0x5000]\n mov dword ptr [0xFEE000B0], 0\n iretd\n";
}

// Main code that ends in CLI; HLT (the run stops there, Halted), and the handler.
StopReason run_with_handler(PcGuest& m, const std::string& main) {
  m.load_asm(with_handler(main + "\n cli\n hlt\n"));
  return m.run();
}

TEST(LocalApic, SelfIpiIsDeliveredAndTheIcrDeliveryStatusReadsIdleAtOnce) {
  PcGuest m;
  m.gate(0xF1, 0x800, SystemGuest::kInterruptGate, 0);
  m.pc.apic().firmware_setup();
  ASSERT_EQ(run_with_handler(m,
                             "mov dword ptr [0xFEE00300], 0x000440F1\n"  // self shorthand, fixed, vector 0xF1
                             "mov esi, [0xFEE00300]\n"                   // ICR: delivery status (bit 12)
                             "mov edi, [0xFEE00270]\n"                   // IRR bits 224-255
                             "sti\n nop\n"                               // delivered after the STI shadow
                             "mov ebx, [0xFEE00170]\n"),                 // ISR bits 224-255 after the EOI
            StopReason::Halted);
  EXPECT_EQ(m.r(ESI), 0x000440F1u) << "delivery status idle: the IPI has left";
  EXPECT_EQ(m.r(EDI), 1u << (0xF1 - 0xE0)) << "vector 0xF1 requested";
  EXPECT_EQ(m.mem<u32>(0x5000), 1u) << "the handler ran once";
  EXPECT_EQ(m.r(EBX), 0u) << "EOI cleared the in-service bit";
}

TEST(LocalApic, IpisToAbsentProcessorsReachNobodyAndTheRunGoesOn) {
  PcGuest m;
  m.pc.apic().firmware_setup();
  ASSERT_EQ(run_with_handler(m,
                             "mov dword ptr [0xFEE00310], 0x01000000\n"
                             "mov dword ptr [0xFEE00300], 0x000C4500\n"  // INIT, all excluding self
                             "mov dword ptr [0xFEE00300], 0x000C4608\n"  // STARTUP, all excluding self
                             "mov dword ptr [0xFEE00300], 0x00004041\n"  // fixed to APIC 1, who is absent
                             "mov esi, [0xFEE00300]\n mov edi, [0xFEE00210]\n"),
            StopReason::Halted);
  EXPECT_EQ(m.r(ESI) & (1u << 12), 0u);
  EXPECT_EQ(m.r(EDI), 0u) << "nothing was requested here";
}

TEST(LocalApic, AnNmiIpiToItselfIsDeliveredThroughVector2AndItsVectorFieldIsIgnored) {
  PcGuest m;
  m.gate(2, 0x800, SystemGuest::kInterruptGate, 0);
  m.pc.apic().firmware_setup();
  // ICR 0x000044F1: physical destination 0 (this processor), delivery mode NMI, assert, vector 0xF1.
  ASSERT_EQ(run_with_handler(m, "mov dword ptr [0xFEE00300], 0x000044F1\n mov esi, [0xFEE00270]\n"),
            StopReason::Halted)
      << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(0x5000), 1u) << "the NMI handler ran, with IF = 0";
  EXPECT_EQ(m.r(ESI), 0u) << "no fixed vector was requested";
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[2], 1u);
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[0xF1], 0u);
}

TEST(LocalApic, AnNmiIpiSentFromTheNmiHandlerArrivesAfterItsIret) {
  PcGuest m;
  m.gate(2, 0x800, SystemGuest::kInterruptGate, 0);
  m.pc.apic().firmware_setup();
  // The handler sends a second NMI to itself on its first run only, and records [0x5000] at each entry.
  m.load_asm(
      " mov dword ptr [0xFEE00300], 0x00044400\n mov ebx, [0x5000]\n cli\n hlt\n"
      ".org 0x800\n mov ecx, [0x5000]\n mov [0x5010 + ecx * 4], ecx\n inc dword ptr [0x5000]\n"
      " test ecx, ecx\n jnz done\n mov dword ptr [0xFEE00300], 0x00044400\n mov edx, [0x5000]\n mov [0x5008], edx\n"
      "done:\n iretd\n");
  ASSERT_EQ(m.run(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(0x5008), 1u) << "blocked: the second NMI did not interrupt its sender";
  EXPECT_EQ(m.mem<u32>(0x5000), 2u);
  EXPECT_EQ(m.r(EBX), 2u) << "both handlers ran before the main code went on";
}

TEST(LocalApic, AStartupIpiToItselfIsIgnoredByTheRunningProcessor) {
  PcGuest m;
  m.pc.apic().firmware_setup();
  ASSERT_EQ(run_with_handler(m, "mov dword ptr [0xFEE00300], 0x00004608\n mov ebx, 1\n"), StopReason::Halted)
      << m.cpu.host_error();
  EXPECT_EQ(m.r(EBX), 1u) << "execution went on after the STARTUP";
}

TEST(LocalApic, AnSmiOrInitToItselfStopsTheRunSayingItIsNotModelled) {
  for (const char* icr : {"0x00004200", "0x00004500"}) {
    PcGuest m;
    m.pc.apic().firmware_setup();
    m.load_asm(fmt::format("mov dword ptr [0xFEE00300], {}\n", icr));
    EXPECT_EQ(m.run(), StopReason::NotModelled) << icr;
    EXPECT_NE(m.cpu.host_error().find(icr[7] == '2' ? "SMI" : "INIT"), std::string::npos) << m.cpu.host_error();
  }
}

TEST(LocalApic, PriorityHoldsLowerClassesBackAndEoiEndsTheHighestInService) {
  PcGuest m;
  LocalApic& a = m.pc.apic();
  a.firmware_setup();
  const InterruptController& ic = m.cpu.interrupt_controller;
  a.write(0x300, 0x00040050);  // self-IPIs 0x50 and 0x80
  a.write(0x300, 0x00040080);
  EXPECT_EQ(a.read(0x220), 1u << 16) << "IRR: 0x50";
  EXPECT_EQ(a.read(0x240), 1u) << "IRR: 0x80";
  EXPECT_EQ(a.read(0x90), 0x80u) << "APR: the highest request's class";
  ASSERT_TRUE(ic.pending(ic.context));
  EXPECT_EQ(ic.acknowledge(ic.context), 0x80) << "the highest vector first";
  EXPECT_EQ(a.read(0xA0), 0x80u) << "PPR: the in-service class";
  EXPECT_FALSE(ic.pending(ic.context)) << "0x50 waits below the in-service 0x80";
  a.write(0xB0, 0);  // EOI
  EXPECT_EQ(a.read(0x140), 0u) << "ISR cleared";
  a.write(0x80, 0x60);  // TPR class 6 holds 0x50 (class 5) back
  EXPECT_EQ(a.read(0xA0), 0x60u) << "PPR follows TPR";
  EXPECT_FALSE(ic.pending(ic.context));
  a.write(0x80, 0x40);
  ASSERT_TRUE(ic.pending(ic.context));
  EXPECT_EQ(ic.acknowledge(ic.context), 0x50);
}

TEST(LocalApic, IllegalVectorsAndRegistersAreLoggedInTheEsrAfterAWrite) {
  PcGuest m;
  LocalApic& a = m.pc.apic();
  a.firmware_setup();
  a.write(0x300, 0x00040005);  // fixed self-IPI with vector 5
  EXPECT_EQ(a.read(0x280), 0u) << "not visible until ESR is written";
  a.write(0x280, 0);
  EXPECT_EQ(a.read(0x280), 1u << 5) << "send illegal vector";
  a.read(0x3F0);
  a.write(0x280, 0);
  EXPECT_EQ(a.read(0x280), 1u << 7) << "illegal register address";
  a.write(0x280, 0);
  EXPECT_EQ(a.read(0x280), 0u);
}

TEST(LocalApic, SoftwareDisableMasksEveryLvtEntryAndKeepsThemMasked) {
  PcGuest m;
  LocalApic& a = m.pc.apic();
  a.firmware_setup();
  a.write(0x320, 0x40);
  EXPECT_EQ(a.read(0x320), 0x40u);
  a.write(0xF0, 0xFF);
  EXPECT_EQ(a.read(0xF0), 0xFFu);
  EXPECT_EQ(a.read(0x320), 0x10040u);
  a.write(0x320, 0x40);
  EXPECT_EQ(a.read(0x320), 0x10040u) << "the mask cannot be cleared while disabled";
}

TEST(LocalApic, OneShotTimerCountsTheCpuClockThroughTheDividerAndFiresAtTheExactCycle) {
  PcGuest m;
  LocalApic& a = m.pc.apic();
  a.firmware_setup();
  a.write(0x3E0, 0x3);  // divide by 16
  a.write(0x320, kVector);
  m.cpu.cycles = 5000;
  a.write(0x380, 100);
  EXPECT_EQ(m.cpu.next_event(), 5000u + 100 * 16);
  m.cpu.cycles = 5000 + 16 * 30 + 15;
  EXPECT_EQ(a.read(0x390), 70u) << "30 whole ticks have passed";
  m.cpu.cycles = 5000 + 1600;
  m.cpu.event_hook.fire(m.cpu.event_hook.context, m.cpu.cycles);
  EXPECT_EQ(a.read(0x390), 0u) << "one-shot: stays at 0";
  EXPECT_EQ(a.read(0x200 + 0x10 * (kVector / 32)), 1u << (kVector % 32)) << "the LVT vector is requested";
  EXPECT_EQ(m.cpu.next_event(), ~Cycles(0)) << "nothing more to come";
}

TEST(LocalApic, PeriodicTimerReloadsAndFiresEveryPeriodWithoutDrift) {
  PcGuest m;
  LocalApic& a = m.pc.apic();
  a.firmware_setup();
  a.write(0x3E0, 0xB);  // divide by 1
  a.write(0x320, (1u << 17) | kVector);
  m.cpu.cycles = 1000;
  a.write(0x380, 250);
  EXPECT_EQ(m.cpu.next_event(), 1250u);
  m.cpu.cycles = 1263;  // the boundary came a little late
  m.cpu.event_hook.fire(m.cpu.event_hook.context, m.cpu.cycles);
  EXPECT_EQ(m.cpu.next_event(), 1500u) << "the next period counts from the load, not from the late boundary";
  EXPECT_EQ(a.read(0x390), 250u - 13u);
  // Switching to one-shot keeps counting from where it is and stops at the next zero.
  a.write(0x320, kVector);
  EXPECT_EQ(m.cpu.next_event(), 1500u);
}

TEST(LocalApic, AMaskedPeriodicTimerCannotWakeHltSoTheRunEnds) {
  PcGuest m;
  m.pc.apic().firmware_setup();
  m.load_asm(
      "mov dword ptr [0xFEE003E0], 0xB\n mov dword ptr [0xFEE00320], 0x30040\n"
      "mov dword ptr [0xFEE00380], 1000\n sti\n hlt\n");
  EXPECT_EQ(m.run(), StopReason::Halted);
  EXPECT_EQ(m.cpu.halted_cycles, 0u) << "no event to wait for";
  EXPECT_NE(m.pc.apic().timer_current(), 0u) << "the count goes on";
}

TEST(LocalApic, TimerEndsHltAtItsDeadlineAndTheHandlerRuns) {
  PcGuest m;
  m.gate(kVector, 0x800, SystemGuest::kInterruptGate, 0);
  m.pc.apic().firmware_setup();
  ASSERT_EQ(run_with_handler(m,
                             "mov dword ptr [0xFEE003E0], 0xB\n"
                             "mov dword ptr [0xFEE00320], 0x40\n"
                             "mov dword ptr [0xFEE00380], 100000\n"
                             "sti\n hlt\n"),
            StopReason::Halted);
  EXPECT_EQ(m.mem<u32>(0x5000), 1u);
  EXPECT_GT(m.cpu.halted_cycles, 99'000u) << "HLT waited for the timer";
  EXPECT_LT(m.cpu.halted_cycles, 100'000u);
}

TEST(LocalApic, ThePicReachesTheCpuOnlyThroughAnUnmaskedExtIntLint0OrWithTheApicDisabled) {
  PcGuest m;
  LocalApic& a = m.pc.apic();
  a.firmware_setup();
  m.init_pics(0xFD, 0xFF);
  m.pc.pic().set_irq(1, true);
  const InterruptController& ic = m.cpu.interrupt_controller;
  EXPECT_TRUE(ic.pending(ic.context)) << "virtual wire: LINT0 ExtINT";
  a.write(0x350, 0x10700);
  EXPECT_FALSE(ic.pending(ic.context)) << "LINT0 masked";
  EXPECT_TRUE(a.write_base_msr(LocalApic::kDefaultBase | LocalApic::kBsp));
  EXPECT_TRUE(ic.pending(ic.context)) << "a globally disabled APIC leaves LINT0 as the INTR pin";
  EXPECT_EQ(ic.acknowledge(ic.context), 0x21) << "the PIC supplies the vector";
}

}  // namespace
}  // namespace ring1::test
