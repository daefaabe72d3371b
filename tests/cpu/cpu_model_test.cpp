// The processor generations of --cpu (cpu_model.h, docs/cpu-model.md): what the 386, 486 and P6 models do
// differently where the SDM leaves a result undefined or where later parts added an instruction.
#include <gtest/gtest.h>

#include "cpu/msr.h"
#include "support/test_machine.h"

namespace ring1::test {
namespace {

using namespace eflags;

struct ModelMachine : TestMachine {
  explicit ModelMachine(CpuModel model) { cpu.set_model(model); }
  StopReason exec_flags(std::string_view src, u32 flags) {
    load_asm(src);
    cpu.set_flags(flags | Reserved1);
    return run();
  }
};

TEST(CpuModel, TheDefaultIsTheP6) {
  TestMachine m;
  EXPECT_EQ(m.cpu.model(), CpuModel::P6);
  EXPECT_EQ(parse_cpu_model("386"), CpuModel::I386);
  EXPECT_EQ(parse_cpu_model("486"), CpuModel::I486);
  EXPECT_EQ(parse_cpu_model("p6"), CpuModel::P6);
  EXPECT_FALSE(parse_cpu_model("586"));
}

// test386.asm's hardware results: a byte RCL/RCR by 9 leaves the value and CF but sets OF by the formula.
TEST(CpuModel, A386RotatesThroughCarryByNineAndSetsOverflowFromTheResult) {
  for (CpuModel model : {CpuModel::I386, CpuModel::I486}) {
    ModelMachine m(model);
    m.exec_flags("mov eax, 0x40\n mov ecx, 9\n rcr al, cl", 0);
    EXPECT_EQ(m.r(EAX), 0x40u);
    EXPECT_TRUE(m.flag(OF));
    EXPECT_FALSE(m.flag(CF));
    m.exec_flags("mov eax, 0\n mov ecx, 9\n rcr al, cl", CF | OF);
    EXPECT_TRUE(m.flag(CF));
    EXPECT_FALSE(m.flag(OF));
    m.exec_flags("mov eax, 0x80\n mov ecx, 9\n rcl al, cl", 0);
    EXPECT_EQ(m.r(EAX), 0x80u);
    EXPECT_TRUE(m.flag(OF));
    m.exec_flags("mov eax, 0x8000\n mov ecx, 17\n rcl ax, cl", CF | OF);
    EXPECT_FALSE(m.flag(OF));
    EXPECT_TRUE(m.flag(CF));
  }
}

TEST(CpuModel, AP6RotateThroughCarryByNineChangesNothing) {
  ModelMachine m(CpuModel::P6);
  m.exec_flags("mov eax, 0x40\n mov ecx, 9\n rcr al, cl", 0);
  EXPECT_EQ(m.r(EAX), 0x40u);
  EXPECT_FALSE(m.flag(OF));
}

TEST(CpuModel, A386SetsAuxiliaryCarryAfterAShiftAndAP6ClearsIt) {
  ModelMachine old(CpuModel::I386);
  old.exec_flags("mov eax, 0x81\n shl al, 1", 0);
  EXPECT_TRUE(old.flag(AF));
  EXPECT_TRUE(old.flag(CF));
  EXPECT_TRUE(old.flag(OF));
  old.exec_flags("mov eax, 0x1234\n shrd eax, edx, 4", 0);
  EXPECT_TRUE(old.flag(AF));
  ModelMachine p6(CpuModel::P6);
  p6.exec_flags("mov eax, 0x81\n shl al, 1", AF);
  EXPECT_FALSE(p6.flag(AF));
}

TEST(CpuModel, A386ByteShiftedBySixteenTakesCarryFromTheOperandEdge) {
  ModelMachine old(CpuModel::I386);
  old.exec_flags("mov eax, 1\n mov ecx, 16\n shl al, cl", 0);
  EXPECT_EQ(old.r(EAX), 0u);
  EXPECT_TRUE(old.flag(CF));
  EXPECT_TRUE(old.flag(OF));
  old.exec_flags("mov eax, 0x80\n mov ecx, 24\n shr al, cl", 0);
  EXPECT_TRUE(old.flag(CF));
  EXPECT_FALSE(old.flag(OF));
  old.exec_flags("mov eax, 0x80\n mov ecx, 12\n shr al, cl", CF);
  EXPECT_FALSE(old.flag(CF));
  ModelMachine p6(CpuModel::P6);
  p6.exec_flags("mov eax, 1\n mov ecx, 16\n shl al, cl", CF);
  EXPECT_FALSE(p6.flag(CF));
}

TEST(CpuModel, InstructionsLaterThanTheModelAreInvalidOpcodes) {
  struct Case {
    const char* insn;
    CpuModel first;
  };
  const Case cases[] = {{"bswap eax", CpuModel::I486}, {"xadd eax, ebx", CpuModel::I486},
                        {"cpuid", CpuModel::I486},     {"rdtsc", CpuModel::P6},
                        {"cmove eax, ebx", CpuModel::P6}, {"sysenter", CpuModel::P6},
                        {"nop dword ptr [eax]", CpuModel::P6}, {"prefetchnta [eax]", CpuModel::P6}};
  for (const Case& c : cases) {
    for (CpuModel model : {CpuModel::I386, CpuModel::I486, CpuModel::P6}) {
      ModelMachine m(model);
      m.cpu.sysenter.cs = 0x10;
      m.load_asm(c.insn);
      m.run();
      const bool ud = m.cpu.last_fault().vector == 6 && m.cpu.eip == TestMachine::kCode;
      EXPECT_EQ(ud, u8(model) < u8(c.first)) << c.insn << " on " << cpu_model_name(model);
    }
  }
}

TEST(CpuModel, CpuidNamesEachGenerationAndOnlyTheP6HasSysenter) {
  ModelMachine p6(CpuModel::P6);
  p6.exec("mov eax, 1\n cpuid");
  EXPECT_EQ(p6.r(EAX), 0x633u);
  EXPECT_TRUE(p6.r(EDX) & (1u << 11));
  ModelMachine i486(CpuModel::I486);
  i486.exec("mov eax, 1\n cpuid");
  EXPECT_EQ(i486.r(EAX), 0x423u);
  EXPECT_EQ(i486.r(EDX), 0u);
  ModelMachine i386(CpuModel::I386);
  i386.cpu.reset_power_on();
  EXPECT_EQ(i386.cpu.gpr[EDX], 0x308u);
}

TEST(CpuModel, A386CannotSetAcOrIdInEflags) {
  ModelMachine old(CpuModel::I386);
  old.exec("push 0x240000\n popfd\n pushfd\n pop eax");
  EXPECT_EQ(old.r(EAX) & (AC | ID), 0u);
  ModelMachine p6(CpuModel::P6);
  p6.exec("push 0x240000\n popfd\n pushfd\n pop eax");
  EXPECT_EQ(p6.r(EAX) & (AC | ID), AC | ID);
}

TEST(CpuModel, OnlyTheP6HasTheSysenterMsrs) {
  ModelMachine old(CpuModel::I486);
  EXPECT_FALSE(read_msr(old.cpu, msr::SysenterCs));
  ModelMachine p6(CpuModel::P6);
  EXPECT_TRUE(write_msr(p6.cpu, msr::SysenterEip, 0x123456789ull));
  EXPECT_EQ(read_msr(p6.cpu, msr::SysenterEip), 0x23456789u);
}

}  // namespace
}  // namespace ring1::test
