// Descriptors and segment loads (SDM vol. 3, 3.4.5, 5.5): what a data or stack segment load checks,
// what the hidden part holds afterwards, and expand-down and null segments.
#include <gtest/gtest.h>

#include "cpu/descriptors.h"
#include "support/descriptor_encoding.h"
#include "support/test_machine.h"

namespace ring1::test {
namespace {

constexpr u32 kGdt = 0x300000;

struct WithGdt : TestMachine {
  WithGdt() {
    poke<u64>(kGdt + 0x08, seg_desc(0, 0xFFFFF, 0xA, 0, true, true, true));  // ring-0 code
    poke<u64>(kGdt + 0x10, seg_desc(0, 0xFFFFF, 0x2, 0, true, true, true));  // ring-0 data
    poke<u64>(kGdt + 0x18, seg_desc(0x1000, 0xFFF, 0x2, 3));                 // ring-3 data, base 0x1000
    poke<u64>(kGdt + 0x20, seg_desc(0, 0xFFFFF, 0x2, 0, false));             // not present
    poke<u64>(kGdt + 0x28, seg_desc(0, 0xFFFF, 0x8, 0));                     // execute-only code
    poke<u64>(kGdt + 0x30, seg_desc(0, 0xFFF, 0x6, 0, true, true));          // expand-down, limit 0xFFF
    poke<u64>(kGdt + 0x38, seg_desc(0, 0xFFFFF, 0x0, 0, true, true, true));  // read-only data
    cpu.gdtr = {kGdt, 0x3F};
  }
  StopReason load(SegReg r, u16 sel) {
    try {
      load_data_segment(cpu, r, sel);
      return StopReason::None;
    } catch (const CpuFault& f) {
      fault = f;
      return StopReason::UnhandledFault;
    }
  }
  CpuFault fault{};
};

TEST(Descriptors, ALoadFillsTheHiddenPartAndSetsTheAccessedBit) {
  WithGdt m;
  ASSERT_EQ(m.load(DS, 0x1B), StopReason::None);
  EXPECT_EQ(m.cpu.seg[DS].base, 0x1000u);
  EXPECT_EQ(m.cpu.seg[DS].limit, 0xFFFu);
  EXPECT_TRUE(m.mem<u64>(kGdt + 0x18) & (1ull << 40));
}

TEST(Descriptors, APageGranularLimitCoversWholePages) {
  WithGdt m;
  m.load(ES, 0x10);
  EXPECT_EQ(m.cpu.seg[ES].limit, 0xFFFFFFFFu);
}

TEST(Descriptors, ASelectorBeyondTheGdtLimitIsGeneralProtectionWithTheSelector) {
  WithGdt m;
  EXPECT_EQ(m.load(DS, 0x40), StopReason::UnhandledFault);
  EXPECT_EQ(m.fault.vector, 13);
  EXPECT_EQ(m.fault.error_code, 0x40u);
}

TEST(Descriptors, PrivilegeRulesForDataSegments) {
  WithGdt m;
  m.cpu.cpl = 3;
  EXPECT_EQ(m.load(DS, 0x13), StopReason::UnhandledFault);  // DPL 0 data from CPL 3
  EXPECT_EQ(m.fault.error_code, 0x10u);
  EXPECT_EQ(m.load(DS, 0x1B), StopReason::None);  // DPL 3 data from CPL 3
  m.cpu.cpl = 0;
  EXPECT_EQ(m.load(DS, 0x1B), StopReason::None);  // more privileged code may load it
}

TEST(Descriptors, StackSegmentsMustBeWritableAtExactlyCpl) {
  WithGdt m;
  EXPECT_EQ(m.load(SS, 0x10), StopReason::None);
  EXPECT_EQ(m.load(SS, 0x18), StopReason::UnhandledFault);  // DPL 3 != CPL 0
  EXPECT_EQ(m.fault.vector, 13);
  EXPECT_EQ(m.load(SS, 0x38), StopReason::UnhandledFault);  // read-only
  EXPECT_EQ(m.load(SS, 0x00), StopReason::UnhandledFault);  // null SS
  EXPECT_EQ(m.fault.error_code, 0u);
  EXPECT_EQ(m.load(SS, 0x20), StopReason::UnhandledFault);  // not present: #SS
  EXPECT_EQ(m.fault.vector, 12);
  EXPECT_EQ(m.fault.error_code, 0x20u);
}

TEST(Descriptors, NotPresentDataSegmentIsSegmentNotPresent) {
  WithGdt m;
  EXPECT_EQ(m.load(FS, 0x20), StopReason::UnhandledFault);
  EXPECT_EQ(m.fault.vector, 11);
}

TEST(Descriptors, ExecuteOnlyCodeCannotBeLoadedIntoADataRegister) {
  WithGdt m;
  EXPECT_EQ(m.load(GS, 0x28), StopReason::UnhandledFault);
  EXPECT_EQ(m.fault.vector, 13);
}

TEST(Descriptors, ANullDataSegmentLoadsButEveryAccessFaults) {
  WithGdt m;
  ASSERT_EQ(m.load(DS, 0x00), StopReason::None);
  EXPECT_EQ(m.exec("mov eax, [0x100000]"), StopReason::UnhandledFault);
  EXPECT_EQ(m.cpu.last_fault().vector, 13);
}

TEST(Descriptors, ExpandDownSegmentsAllowOnlyOffsetsAboveTheLimit) {
  WithGdt m;
  ASSERT_EQ(m.load(DS, 0x30), StopReason::None);
  EXPECT_EQ(m.exec("mov eax, [0x2000]"), StopReason::Breakpoint);
  EXPECT_EQ(m.exec("mov eax, [0xffe]"), StopReason::UnhandledFault);
}

TEST(Descriptors, RealModeLoadsSetTheBaseToSixteenTimesTheSelector) {
  TestMachine m;
  m.cpu.set_cr0(0);
  load_data_segment(m.cpu, DS, 0x1234);
  EXPECT_EQ(m.cpu.seg[DS].base, 0x12340u);
}

}  // namespace
}  // namespace ring1::test
