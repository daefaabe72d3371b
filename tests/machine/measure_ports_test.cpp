// The measurement ports (machine/measure_ports.h, the host side of kit/measure.h): a region's counters are
// exactly those of the instructions between its brackets, the ports answer a deprivileged OUT without a
// fault, and whatever a guest writes to them is bounded and counted, never fatal.
#include <gtest/gtest.h>

#include <string>

#include <fmt/format.h>

#include "machine/machine.h"
#include "support/test_engine.h"
#include "machine/measure_ports.h"
#include "support/assembler.h"

namespace ring1::test {
namespace {

constexpr u32 kCode = 0x1000;
constexpr u32 kNames = 0x100000;  // names are placed here, 64 bytes apart

struct MeasureMachine {
  Machine m{ring1::test::with_test_engine(MachineConfig{})};
  MeasurePorts ports{m};
  u32 next_name = kNames;
  u32 code_end = kCode;

  MeasureMachine() { m.cpu().reset_flat32(); }

  // Places `bytes` (no NUL added) at the next name slot; returns its address.
  u32 bytes_at(const std::string& bytes) {
    const u32 at = next_name;
    m.ram().write_bytes(at, reinterpret_cast<const u8*>(bytes.data()), u32(bytes.size()));
    next_name += 128;
    return at;
  }
  u32 name(const std::string& s) { return bytes_at(s + std::string(1, '\0')); }

  static std::string out(u16 port, u32 value) {
    return "mov edx, " + std::to_string(port) + "\nmov eax, " + std::to_string(value) + "\nout dx, eax\n";
  }
  std::string begin(u32 name) { return out(MeasurePorts::kBeginPort, name); }
  std::string end(u32 name) { return out(MeasurePorts::kEndPort, name); }

  StopReason run(const std::string& src) {
    const std::vector<u8> code = assemble(src, Bits::b32, kCode);
    m.ram().write_bytes(kCode, code.data(), u32(code.size()));
    m.cpu().eip = kCode;
    code_end = kCode + u32(code.size());
    RunLimits lim;
    lim.max_instructions = 1'000'000;
    lim.stop_at_eip = code_end;
    const StopReason why = m.cpu().run(lim);
    ports.finish();
    return why;
  }
  u64 error(MeasureError e) const { return ports.errors()[size_t(e)]; }
};

TEST(MeasurePorts, ARegionCountsExactlyTheInstructionsBetweenItsBrackets) {
  MeasureMachine t;
  const u32 n = t.name("ten nops");
  std::string src = t.begin(n);
  for (int i = 0; i < 10; ++i) src += "nop\n";
  src += t.end(n);
  ASSERT_EQ(t.run(src), StopReason::Breakpoint);
  ASSERT_EQ(t.ports.regions().size(), 1u);
  const MeasureRegion& r = t.ports.regions()[0];
  EXPECT_EQ(r.name, "ten nops");
  EXPECT_EQ(r.samples, 1u);
  // From the boundary after the begin's OUT to the one after the end's: ten NOPs, then the end's two MOVs
  // and its OUT.
  EXPECT_EQ(r.total[kInstructions], 13u);
  // The run is the begin's three instructions, the NOPs and the end's three, and the begin costs what the end
  // costs, so the region (NOPs and end) is half of the run plus half of the NOPs: with p3's NOP and MOV r32,
  // imm (simple instructions) at 1 cycle and OUT at 12, 10 + 14 cycles.
  const u64 nop = t.m.costs().cost(CostClass::Simple);
  EXPECT_EQ(2 * r.total[kCycles], t.m.cpu().cycles + 10 * nop);
  EXPECT_EQ(r.total[kCycles], 24u);
  EXPECT_EQ(r.total[kCyclesRing0], r.total[kCycles]);
  EXPECT_EQ(r.min_cycles, r.total[kCycles]);
  EXPECT_EQ(r.median_cycles(), r.total[kCycles]);
  EXPECT_EQ(r.total[kDtlbLookups], 0u);
  for (u64 e : t.ports.errors()) EXPECT_EQ(e, 0u);
}

TEST(MeasurePorts, SamplesAddUpAndKeepTheirMinimumAndMedian) {
  MeasureMachine t;
  const u32 n = t.name("loop");
  std::string src;
  // Three samples of 1, 2 and 3 NOPs: the minimum is the first, the median the second.
  for (int k = 1; k <= 3; ++k) {
    src += t.begin(n);
    for (int i = 0; i < k; ++i) src += "nop\n";
    src += t.end(n);
  }
  ASSERT_EQ(t.run(src), StopReason::Breakpoint);
  const MeasureRegion& r = t.ports.regions().at(0);
  EXPECT_EQ(r.samples, 3u);
  EXPECT_EQ(r.total[kInstructions], 3u * 3 + 6);
  EXPECT_EQ(r.median_cycles(), r.min_cycles + 1);
  EXPECT_EQ(r.total[kCycles], 3 * r.min_cycles + 3);
}

TEST(MeasurePorts, AnOutFromRingThreeWithoutIoPermissionReachesThePortsButNoOtherPort) {
  MeasureMachine t;
  t.m.cpu().cpl = 3;  // IOPL is 0: every other port needs the TSS bitmap, and there is no TSS
  const u32 n = t.name("user");
  ASSERT_EQ(t.run(t.begin(n) + "nop\n" + t.end(n)), StopReason::Breakpoint);
  EXPECT_EQ(t.ports.regions().at(0).samples, 1u);
  t.m.cpu().cpl = 3;
  EXPECT_EQ(t.run("mov edx, 0x80\nout dx, eax\n"), StopReason::TripleFault)
      << "another port still takes the permission check (#GP, with no IDT to deliver it through)";
}

TEST(MeasurePorts, InFromThePortsKeepsThePermissionCheck) {
  MeasureMachine t;
  t.m.cpu().cpl = 3;
  EXPECT_NE(t.run("mov edx, 0x710\nin eax, dx\n"), StopReason::Breakpoint);
}

TEST(MeasurePorts, UnreadableUnterminatedAndMalformedNamesAreCountedNotFatal) {
  MeasureMachine t;
  const u32 unterminated = t.bytes_at(std::string(64, 'A'));
  const u32 control = t.name("bad\x01name");
  const u32 empty = t.name("");
  const u32 longest = t.name(std::string(63, 'B'));
  const u32 ram_end = u32(t.m.ram().size());
  t.m.ram().write_bytes(ram_end - 2, reinterpret_cast<const u8*>("AB"), 2);  // a name running off the end of RAM
  ASSERT_EQ(t.run(t.begin(0xF0000000u) + t.begin(ram_end - 2) + t.begin(unterminated) + t.begin(control) +
                  t.begin(empty) + t.begin(longest) + t.end(longest)),
            StopReason::Breakpoint);
  EXPECT_EQ(t.error(MeasureError::UnreadableName), 2u) << "beyond RAM, and a name running off its end";
  EXPECT_EQ(t.error(MeasureError::Unterminated), 1u);
  EXPECT_EQ(t.error(MeasureError::BadName), 2u);
  ASSERT_EQ(t.ports.regions().size(), 1u);
  EXPECT_EQ(t.ports.regions()[0].name, std::string(63, 'B'));
}

TEST(MeasurePorts, ProtocolMistakesAreCountedByKind) {
  MeasureMachine t;
  const u32 a = t.name("a"), b = t.name("b"), never = t.name("never begun");
  std::string src = t.end(never);                          // end without begin
  src += t.begin(a) + t.begin(a) + t.end(a);               // begin while open: the second sample counts
  src += "mov edx, 0x710\nmov eax, " + std::to_string(a) + "\nout dx, al\n";  // 8-bit: not the protocol
  src += "mov edx, 0x714\nout dx, ax\n";                   // 16-bit
  src += t.begin(b);                                       // still open when the run ends
  ASSERT_EQ(t.run(src), StopReason::Breakpoint);
  EXPECT_EQ(t.error(MeasureError::EndWithoutBegin), 1u);
  EXPECT_EQ(t.error(MeasureError::BeginWhileOpen), 1u);
  EXPECT_EQ(t.error(MeasureError::NarrowAccess), 2u);
  EXPECT_EQ(t.error(MeasureError::OpenAtEnd), 1u);
  EXPECT_EQ(t.ports.regions().at(0).samples, 1u);
  EXPECT_EQ(t.ports.regions().at(1).samples, 0u);
}

TEST(MeasurePorts, ThousandsOfNamesFillABoundedTableAndCountTheRest) {
  MeasureMachine t;
  std::string src;
  for (int i = 0; i < 1000; ++i) {
    const u32 n = t.name(fmt::format("r{}", i));
    src += t.begin(n) + t.end(n);
  }
  ASSERT_EQ(t.run(src), StopReason::Breakpoint);
  EXPECT_EQ(t.ports.regions().size(), MeasurePorts::kMaxRegions);
  EXPECT_EQ(t.error(MeasureError::TableFull), 1000 - MeasurePorts::kMaxRegions);
  EXPECT_EQ(t.error(MeasureError::EndWithoutBegin), 1000 - MeasurePorts::kMaxRegions);
}

TEST(MeasurePorts, ResetDropsEveryRegion) {
  MeasureMachine t;
  const u32 a = t.name("a"), b = t.name("b");
  ASSERT_EQ(t.run(t.begin(a) + t.end(a) + MeasureMachine::out(MeasurePorts::kResetPort, 0) + t.begin(b) + t.end(b)),
            StopReason::Breakpoint);
  ASSERT_EQ(t.ports.regions().size(), 1u);
  EXPECT_EQ(t.ports.regions()[0].name, "b");
  EXPECT_EQ(t.ports.resets(), 1u);
}

TEST(MeasurePorts, TheReportCarriesEachRegionAndTheErrors) {
  MeasureMachine t;
  const u32 a = t.name("quote\"and\\slash");
  ASSERT_EQ(t.run(t.begin(a) + t.end(a) + t.end(a)), StopReason::Breakpoint);
  const std::string json = measure_json(t.ports);
  EXPECT_NE(json.find(R"("name":"quote\"and\\slash","samples":1,)"), std::string::npos) << json;
  EXPECT_NE(json.find(R"("end_without_begin":1)"), std::string::npos) << json;
  for (const auto& f : measure_field_names()) EXPECT_NE(json.find("\"" + f + "\":"), std::string::npos) << f;
  const std::string text = measure_text(t.ports);
  EXPECT_NE(text.find("quote\"and\\slash"), std::string::npos) << text;
  EXPECT_NE(text.find("end_without_begin x1"), std::string::npos) << text;
}

TEST(MeasurePorts, AGuestThatNeverTouchesThePortsGetsNoSection) {
  MeasureMachine t;
  ASSERT_EQ(t.run("nop\n"), StopReason::Breakpoint);
  EXPECT_EQ(measure_json(t.ports), "null");
  EXPECT_EQ(measure_text(t.ports), "");
}

}  // namespace
}  // namespace ring1::test
