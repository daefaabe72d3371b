// RDMSR/WRMSR (the TSC), WBINVD/INVD, LMSW, SMSW and CLTS (SDM vol. 2): what each does at CPL 0 and that
// every one but SMSW is #GP(0) at CPL 1 and 3. SMSW is sensitive (it reveals CR0) yet unprivileged: it must
// run at CPL 3 without faulting, which is what makes IA-32 not classically virtualizable.
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

constexpr u32 PE = 1u << 0, MP = 1u << 1, EM = 1u << 2, TS = 1u << 3, ET = 1u << 4, NE = 1u << 5, PG = 1u << 31;

void expect_gp(const TestMachine& m) {
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::GP));
  EXPECT_TRUE(m.cpu.last_fault().has_error_code);
  EXPECT_EQ(m.cpu.last_fault().error_code, 0u);
}

u64 edx_eax(const TestMachine& m) { return (u64(m.r(EDX)) << 32) | m.r(EAX); }

// Each privileged instruction, at CPL 1 and 3, faults with #GP(0) at itself and changes nothing.
TEST(SystemMisc, PrivilegedInstructionsAreGeneralProtectionOutsideRingZero) {
  const char* privileged[] = {"mov ecx, 0x10\n rdmsr", "mov ecx, 0x10\n wrmsr", "wbinvd", "invd",
                              "mov eax, 0xf\n lmsw ax", "clts"};
  for (const char* src : privileged) {
    for (u8 cpl : {1, 3}) {
      TestMachine m;
      m.cpu.set_cr0(m.cpu.cr0 | TS);
      m.cpu.cpl = cpl;
      const u64 offset = m.cpu.tsc_offset;
      ASSERT_EQ(m.exec(src), StopReason::UnhandledFault) << src << " at CPL " << int(cpl);
      expect_gp(m);
      EXPECT_EQ(m.cpu.cr0, PE | ET | TS) << src;
      EXPECT_EQ(m.cpu.tsc_offset, offset) << src;
    }
  }
}

TEST(SystemMisc, RdmsrOfTheTscReadsCyclesPlusOffsetAtTheStartOfTheInstruction) {
  TestMachine m;
  m.cpu.cycles = 0x100000000ull;
  m.cpu.tsc_offset = 0x500;
  const Cycles start = m.cpu.cycles;
  ASSERT_EQ(m.exec("mov ecx, 0x10\n rdmsr"), StopReason::Breakpoint);
  EXPECT_EQ(edx_eax(m), start + m.cpu.costs().cost(CostClass::Simple) + 0x500);
}

TEST(SystemMisc, WrmsrToTheTscMakesRdtscAndRdmsrCountOnFromTheWrittenValue) {
  TestMachine m;
  m.cpu.cycles = 12345;
  const Cycles wrmsr_cost = m.cpu.costs().cost(CostClass::Complex);
  ASSERT_EQ(m.exec("mov ecx, 0x10\n mov edx, 0x7\n mov eax, 0x100\n wrmsr\n rdtsc"), StopReason::Breakpoint);
  EXPECT_EQ(edx_eax(m), 0x700000100ull + wrmsr_cost);
  ASSERT_EQ(m.exec("mov ecx, 0x10\n mov edx, 0\n mov eax, 0\n wrmsr\n rdmsr"), StopReason::Breakpoint);
  EXPECT_EQ(edx_eax(m), wrmsr_cost);
  EXPECT_GT(m.cpu.cycles, 12345u);  // the modelled cycle counter itself never moves back
}

TEST(SystemMisc, AnMsrTheModelLacksIsGeneralProtectionAndSoIsTheApicBaseOfACpuWithoutAnApic) {
  for (const char* src : {"mov ecx, 0x1b\n rdmsr", "mov ecx, 0x1b\n wrmsr", "mov ecx, 0x11\n rdmsr",
                          "mov ecx, 0x80000010\n wrmsr"}) {
    TestMachine m;
    m.cpu.gpr[EAX] = 0xaaaa;
    const u64 offset = m.cpu.tsc_offset;
    ASSERT_EQ(m.exec(src), StopReason::UnhandledFault) << src;
    expect_gp(m);
    EXPECT_EQ(m.r(EAX), 0xaaaau);
    EXPECT_EQ(m.cpu.tsc_offset, offset);
  }
}

TEST(SystemMisc, WbinvdAndInvdRunAtRingZeroAndChangeNothing) {
  TestMachine m;
  m.poke<u32>(TestMachine::kData, 0x12345678);
  ASSERT_EQ(m.exec("mov eax, 1\n wbinvd\n invd\n mov ebx, [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EBX), 0x12345678u);
  EXPECT_EQ(m.cpu.instret, 4u);
}

TEST(SystemMisc, LmswLoadsMpEmAndTsAndLeavesTheUpperBits) {
  TestMachine m;
  m.cpu.set_cr0(m.cpu.cr0 | NE);
  ASSERT_EQ(m.exec("mov eax, 0xfff0 | 0xe\n lmsw ax"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.cr0, PE | MP | EM | TS | ET | NE);  // bits 4-15 of the source are ignored
  ASSERT_EQ(m.exec("mov eax, 0x1\n lmsw ax"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.cr0, PE | ET | NE);
}

TEST(SystemMisc, LmswCanSetProtectionEnableButNeverClearIt) {
  TestMachine m;
  ASSERT_EQ(m.exec("mov eax, 0\n lmsw ax"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.cr0 & PE, PE);
  m.cpu.set_cr0(ET);
  ASSERT_EQ(m.exec("mov eax, 1\n lmsw ax"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.cr0, PE | ET);
}

TEST(SystemMisc, LmswReadsAWordFromMemory) {
  TestMachine m;
  m.poke<u32>(TestMachine::kData, 0xffff0008);  // only the low word counts: TS
  ASSERT_EQ(m.exec("lmsw word ptr [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.cr0, PE | TS | ET);
}

TEST(SystemMisc, SmswAtCplThreeDoesNotFaultAndRevealsCr0) {
  TestMachine m;
  m.cpu.set_cr0(m.cpu.cr0 | TS | MP);
  m.cpu.cpl = 3;
  ASSERT_EQ(m.exec("mov eax, 0xaaaaaaaa\n smsw ax\n smsw word ptr [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 0xaaaa0000u | PE | MP | TS | ET);
  EXPECT_EQ(m.mem<u16>(TestMachine::kData), PE | MP | TS | ET);
}

TEST(SystemMisc, SmswWithAThirtyTwoBitRegisterStoresAllOfCr0) {
  TestMachine m;
  m.cpu.set_cr0(m.cpu.cr0 | (1u << 16) | NE);  // WP, above the MSW
  m.poke<u32>(TestMachine::kData, 0xbbbbbbbb);
  ASSERT_EQ(m.exec("smsw eax\n smsw [0x100000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), PE | ET | NE | (1u << 16));
  EXPECT_EQ(m.mem<u32>(TestMachine::kData), 0xbbbb0000u | PE | ET | NE);  // memory: a word, always
}

TEST(SystemMisc, CltsClearsTaskSwitchedAndNothingElse) {
  TestMachine m;
  m.cpu.set_cr0(m.cpu.cr0 | TS | MP | EM);
  ASSERT_EQ(m.exec("clts"), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.cr0, PE | MP | EM | ET);
  ASSERT_EQ(m.exec("clts"), StopReason::Breakpoint);  // already clear: still fine
  EXPECT_EQ(m.cpu.cr0, PE | MP | EM | ET);
}

TEST(SystemMisc, LmswAndCltsKeepPagingAsItWas) {
  TestMachine m;
  // Identity-map the first 4 MiB with one large page and turn paging on.
  m.cpu.set_cr4(1u << 4);
  m.poke<u32>(0x200000, 0x83 | 0x4);
  m.cpu.set_cr3(0x200000);
  m.cpu.set_cr0(m.cpu.cr0 | PG | TS);
  ASSERT_EQ(m.exec("clts\n mov eax, 0x8\n lmsw ax\n mov ebx, 5"), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EBX), 5u);
  EXPECT_EQ(m.cpu.cr0, PE | TS | ET | PG);
  EXPECT_TRUE(m.mmu.paging());
}


// VMCALL is the hypervisor's host escape: with a handler installed it runs the handler at CPL 0, in the
// middle of the instruction, and execution continues after it.
struct EscapeRecorder {
  int calls = 0;
  u32 eip_seen = 0;
  static void handle(void* p, Cpu& c) {
    auto* r = static_cast<EscapeRecorder*>(p);
    ++r->calls;
    r->eip_seen = c.eip;
    c.gpr[EAX] = 0x600d;  // a hypercall's result, as the hypervisor returns it
    c.charge(100);
  }
};

TEST(SystemMisc, VmcallRunsTheHostEscapeAtRingZeroAndContinuesAfterIt) {
  TestMachine m;
  EscapeRecorder r;
  m.cpu.host_escape = {&EscapeRecorder::handle, &r};
  const Cycles before = m.cpu.cycles;
  ASSERT_EQ(m.exec("mov eax, 1\n vmcall\n mov ebx, eax"), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(r.calls, 1);
  EXPECT_EQ(r.eip_seen, TestMachine::kCode + 5);  // EIP is the VMCALL's own while the handler runs
  EXPECT_EQ(m.r(EBX), 0x600du);
  EXPECT_GE(m.cpu.cycles - before, 100u);  // the handler's charge is in the count
}

TEST(SystemMisc, VmcallIsInvalidOpcodeWithoutAHandlerOrOutsideRingZero) {
  {
    TestMachine m;  // a native machine: no hypervisor, as on a processor outside VMX operation
    ASSERT_EQ(m.exec("vmcall"), StopReason::UnhandledFault);
    EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::UD));
  }
  for (u8 cpl : {1, 3}) {
    TestMachine m;
    EscapeRecorder r;
    m.cpu.host_escape = {&EscapeRecorder::handle, &r};
    m.cpu.cpl = cpl;
    ASSERT_EQ(m.exec("vmcall"), StopReason::UnhandledFault);
    EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::UD));
    EXPECT_EQ(r.calls, 0) << "a guest in ring " << int(cpl) << " reached the hypervisor's escape";
  }
}

}  // namespace
}  // namespace ring1::test
