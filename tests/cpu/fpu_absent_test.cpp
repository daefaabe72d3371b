// The x87 of a machine without one (fpu_absent.cpp): CR0.EM/MP/TS decide between #NM and the answers of an
// absent coprocessor, which the classic FPU probes read as "no FPU" (SDM vol. 3, 2.5 and table 2-2).
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

constexpr u32 MP = 1u << 1, EM = 1u << 2, TS = 1u << 3;

struct FpuMachine : TestMachine {
  StopReason exec_cr0(std::string_view src, u32 set, u32 clear = MP | EM | TS) {
    cpu.set_cr0((cpu.cr0 & ~clear) | set);
    return exec(src);
  }
};

TEST(FpuAbsent, LinuxsProbeSeesNoFpu) {
  // fpu__init_system_early_generic(): FSW = FCW = 0xffff, FNINIT, FNSTSW, FNSTCW; an FPU gives FSW = 0 and
  // FCW & 0x103f = 0x003f.
  FpuMachine m;
  m.poke<u16>(TestMachine::kData, 0xFFFF);
  m.poke<u16>(TestMachine::kData + 2, 0xFFFF);
  EXPECT_EQ(m.exec_cr0("fninit\n fnstsw [0x100000]\n fnstcw [0x100002]", 0), StopReason::Breakpoint);
  EXPECT_NE(m.mem<u16>(TestMachine::kData), 0);
  EXPECT_NE(m.mem<u16>(TestMachine::kData + 2) & 0x103F, 0x003F);
}

TEST(FpuAbsent, TheOldProbeFindsAlNonZero) {
  FpuMachine m;
  EXPECT_EQ(m.exec_cr0("xor eax, eax\n fninit\n fnstsw ax", 0), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 0xFFFFu);
}

TEST(FpuAbsent, EmulationOrTaskSwitchedMakesEveryX87InstructionDeviceNotAvailable) {
  for (u32 bits : {EM, TS, EM | TS, EM | MP}) {
    for (const char* insn : {"fninit", "fnstsw ax", "fnstcw [0x100000]", "fld1", "fadd st, st(1)"}) {
      FpuMachine m;
      EXPECT_EQ(m.exec_cr0(insn, bits), StopReason::UnhandledFault) << insn;
      EXPECT_EQ(m.cpu.last_fault().vector, 7) << insn << " cr0 bits " << bits;
    }
  }
}

TEST(FpuAbsent, X87ArithmeticWithoutEmulationIsAnInvalidOpcode) {
  FpuMachine m;
  EXPECT_EQ(m.exec_cr0("fld1", 0), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 6);
}

TEST(FpuAbsent, WaitFaultsOnlyWithMonitorAndTaskSwitchedBothSet) {
  FpuMachine m;
  EXPECT_EQ(m.exec_cr0("fwait", MP | TS), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 7);
  for (u32 bits : {0u, MP, TS, EM, EM | TS}) {
    FpuMachine k;
    EXPECT_EQ(k.exec_cr0("fwait", bits), StopReason::Breakpoint) << bits;
  }
}

TEST(FpuAbsent, CpuidReportsNoFpu) {
  TestMachine m;
  m.exec("mov eax, 1\n cpuid");
  EXPECT_EQ(m.r(EDX) & 1u, 0u);
}

}  // namespace
}  // namespace ring1::test
