// SYSENTER/SYSEXIT and their MSRs (SDM vol. 2, SYSENTER, SYSEXIT; vol. 3, 5.8.7): the flat segments they
// load, the registers they take ESP and EIP from, and every #GP(0)/#UD condition of the SDM's pseudo-code.
#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

using namespace eflags;

constexpr u32 kEntry = 0x3000, kKernelStack = 0x70000;

struct SysMachine : TestMachine {
  SysMachine() {
    cpu.sysenter = {0x10, kKernelStack, kEntry};
    const u8 hlt = 0xF4;
    ram.write_bytes(kEntry, &hlt, 1);  // HLT at the kernel entry
  }
  // Ring 3 with flat DPL-3 segments, as a user program runs.
  void load_segment_user() {
    cpu.load_segment_flat(CS, 0x23, 3, true, true);
    for (SegReg r : {SS, DS, ES}) cpu.load_segment_flat(r, 0x2B, 3, false, true);
    cpu.cpl = 3;
  }
};

TEST(FastSystemCall, WrmsrAndRdmsrReachTheSysenterMsrs) {
  TestMachine m;
  m.exec("mov ecx, 0x174\n mov eax, 0x1234\n xor edx, edx\n wrmsr\n"
         "mov ecx, 0x175\n mov eax, 0x7000\n wrmsr\n mov ecx, 0x176\n mov eax, 0x3000\n wrmsr\n"
         "mov ecx, 0x174\n rdmsr");
  EXPECT_EQ(m.r(EAX), 0x1234u);
  EXPECT_EQ(m.cpu.sysenter.cs, 0x1234u);
  EXPECT_EQ(m.cpu.sysenter.esp, 0x7000u);
  EXPECT_EQ(m.cpu.sysenter.eip, 0x3000u);
}

TEST(FastSystemCall, SysenterFromRing3EntersRing0AtTheMsrsWithFlatSegments) {
  SysMachine m;
  m.load_segment_user();
  m.load_asm("sysenter");
  m.cpu.set_flags(Reserved1 | IF | RF | CF);
  EXPECT_EQ(m.cpu.run({}), StopReason::Halted);
  EXPECT_EQ(m.cpu.cpl, 0);
  EXPECT_EQ(m.cpu.seg[CS].selector, 0x10);
  EXPECT_EQ(m.cpu.seg[SS].selector, 0x18);
  EXPECT_EQ(m.cpu.seg[CS].base, 0u);
  EXPECT_EQ(m.cpu.seg[CS].limit, 0xFFFFFFFFu);
  EXPECT_TRUE(m.cpu.seg[CS].big);
  EXPECT_TRUE(m.cpu.seg[SS].big);
  EXPECT_EQ(m.r(ESP), kKernelStack);
  EXPECT_EQ(m.cpu.eip, kEntry + 1);  // after the HLT
  EXPECT_FALSE(m.flag(IF));
  EXPECT_FALSE(m.flag(RF));
  EXPECT_TRUE(m.flag(CF));  // other flags untouched
}

TEST(FastSystemCall, SysenterIgnoresTheRplBitsOfSysenterCs) {
  SysMachine m;
  m.cpu.sysenter.cs = 0x13;
  m.load_asm("sysenter");
  m.cpu.run({});
  EXPECT_EQ(m.cpu.seg[CS].selector, 0x10);
  EXPECT_EQ(m.cpu.seg[SS].selector, 0x18);
}

TEST(FastSystemCall, SysexitReturnsToRing3AtEdxWithStackEcx) {
  SysMachine m;
  m.poke<u8>(0x5000, 0xF4);  // HLT where ring 3 resumes: privileged there, so #GP(0) at 0x5000
  EXPECT_EQ(m.exec("mov ecx, 0x60000\n mov edx, 0x5000\n sysexit"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 13);
  EXPECT_EQ(m.cpu.cpl, 3);
  EXPECT_EQ(m.cpu.seg[CS].selector, 0x23);
  EXPECT_EQ(m.cpu.seg[SS].selector, 0x2B);
  EXPECT_EQ((m.cpu.seg[CS].access >> 5) & 3, 3);
  EXPECT_EQ(m.r(ESP), 0x60000u);
  EXPECT_EQ(m.cpu.eip, 0x5000u);
}

TEST(FastSystemCall, ANullSysenterCsIsAGeneralProtectionFault) {
  for (const char* insn : {"sysenter", "sysexit"}) {
    SysMachine m;
    m.cpu.sysenter.cs = 3;  // bits 15:2 zero
    EXPECT_EQ(m.exec(insn), StopReason::UnhandledFault) << insn;
    EXPECT_EQ(m.cpu.last_fault().vector, 13) << insn;
    EXPECT_EQ(m.cpu.last_fault().error_code, 0u) << insn;
  }
}

TEST(FastSystemCall, RealModeIsAGeneralProtectionFault) {
  for (const char* insn : {"sysenter", "sysexit"}) {
    SysMachine m;
    m.cpu.set_cr0(m.cpu.cr0 & ~1u);
    EXPECT_EQ(m.exec(insn), StopReason::UnhandledFault) << insn;
    EXPECT_EQ(m.cpu.last_fault().vector, 13) << insn;
  }
}

TEST(FastSystemCall, SysexitOutsideRingZeroIsAGeneralProtectionFault) {
  SysMachine m;
  m.cpu.cpl = 1;
  EXPECT_EQ(m.exec("sysexit"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 13);
  EXPECT_EQ(m.cpu.cpl, 1);
}

TEST(FastSystemCall, ALockPrefixIsAnInvalidOpcode) {
  SysMachine m;
  m.load({0xF0, 0x0F, 0x34});
  EXPECT_EQ(m.run(), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 6);
}

}  // namespace
}  // namespace ring1::test
