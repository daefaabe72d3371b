// The two failure channels beside guest faults and hypercall errors (DESIGN.md, "Failure channels"): what
// ring1 does not model stops the run as NotModelled, naming the feature, with EIP still on the instruction;
// a failed internal check, or any exception that escapes a module, stops it as Ring1Bug with the guest's
// EIP, instruction bytes and ring, and never unwinds out of Cpu::run.
#include <gtest/gtest.h>

#include <stdexcept>

#include "cpu/internal_error.h"
#include "support/test_machine.h"

namespace ring1::test {
namespace {

bool has(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

TEST(FailureChannels, EnablingADebugRegisterBreakpointStopsAsNotModelledWithEipOnTheInstruction) {
  TestMachine m;
  m.load_asm("mov eax, 0x3\n mov dr7, eax\n mov ebx, 1\n");
  ASSERT_EQ(m.run(), StopReason::NotModelled);
  EXPECT_EQ(m.cpu.eip, TestMachine::kCode + 5);
  EXPECT_EQ(m.cpu.instret, 1u);  // the MOV to DR7 did not retire
  EXPECT_EQ(m.r(EBX), 0u);
  EXPECT_TRUE(has(m.cpu.host_error(), "not modelled: debug-register breakpoints (MOV DR7, 0x00000003)"))
      << m.cpu.host_error();
  EXPECT_EQ(m.cpu.dr[7], 0u);
}

TEST(FailureChannels, ADr7ThatEnablesNoBreakpointIsSimplyHeld) {
  TestMachine m;
  m.load_asm("mov eax, 0x400\n mov dr7, eax\n");
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.cpu.dr[7], 0x400u);
}

// The hypervisor's C++ runs inside VMCALL, as a host escape: an invariant failure there (the frame table's
// std::logic_error, say) is reported at the guest's VMCALL.
TEST(FailureChannels, AnExceptionFromInsideAnInstructionIsARing1BugWithTheGuestsContext) {
  TestMachine m;
  m.cpu.host_escape = {[](void*, Cpu&) { throw std::logic_error("frame table: put_page on a frame with no references"); },
                       nullptr};
  m.load_asm("mov eax, 1\n vmcall\n mov ebx, 1\n");
  ASSERT_EQ(m.run(), StopReason::Ring1Bug);
  const std::string& msg = m.cpu.host_error();
  EXPECT_TRUE(has(msg, "internal error: frame table: put_page on a frame with no references")) << msg;
  EXPECT_TRUE(has(msg, "EIP 0x00001005 (CS 0x0008) in ring 0, bytes [0f 01 c1")) << msg;
  EXPECT_TRUE(has(msg, "vmcall")) << msg;
  EXPECT_TRUE(has(msg, "this is a bug in ring1, not in the guest")) << msg;
  EXPECT_EQ(m.cpu.instret, 1u);
  EXPECT_EQ(m.r(EBX), 0u);
}

TEST(FailureChannels, AFailedInvariantCheckIsARing1BugInEveryBuild) {
  TestMachine m;
  m.cpu.host_escape = {[](void*, Cpu&) { check_invariant(false, "an invariant that does not hold"); }, nullptr};
  m.load_asm("vmcall\n");
  ASSERT_EQ(m.run(), StopReason::Ring1Bug);
  EXPECT_TRUE(has(m.cpu.host_error(), "internal error: an invariant that does not hold")) << m.cpu.host_error();
}

TEST(FailureChannels, AnExceptionFromADeviceBetweenInstructionsIsARing1BugToo) {
  TestMachine m;
  m.cpu.event_hook = {[](void*, Cycles) { throw std::out_of_range("physical write outside RAM"); }, nullptr};
  m.cpu.schedule_event(3);
  m.load_asm("inc eax\n inc eax\n inc eax\n inc eax\n inc eax\n");
  ASSERT_EQ(m.run(), StopReason::Ring1Bug);
  EXPECT_TRUE(has(m.cpu.host_error(), "internal error: physical write outside RAM")) << m.cpu.host_error();
  EXPECT_TRUE(has(m.cpu.host_error(), "in ring 0")) << m.cpu.host_error();
  EXPECT_EQ(m.r(EAX), 3u);
}

TEST(FailureChannels, EachStopHasItsOwnName) {
  EXPECT_EQ(stop_reason_name(StopReason::NotModelled), "not modelled");
  EXPECT_EQ(stop_reason_name(StopReason::Ring1Bug), "ring1 bug");
}

}  // namespace
}  // namespace ring1::test
