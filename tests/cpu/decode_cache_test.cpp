// The decode cache: blocks are reused, and any write to a frame holding decoded code drops its blocks so
// self-modifying code and loaders see the new bytes (DESIGN.md, src/cpu).
#include <gtest/gtest.h>

#include <algorithm>

#include "support/snippets.h"
#include "support/test_machine.h"

namespace ring1::test {
namespace {

TEST(DecodeCache, ALoopIsDecodedOnceAndExecutedManyTimes) {
  TestMachine m;
  m.exec("mov ecx, 1000\n l:\n dec ecx\n jnz l");
  EXPECT_EQ(m.cpu.instret, 2001u);
  EXPECT_LE(m.cpu.decode_cache().stats().insns_decoded, 6u);
}

TEST(DecodeCache, SelfModifyingCodeSeesTheNewInstruction) {
  TestMachine m;
  // Overwrites the immediate of the following `mov eax, 1` (in the same block) before it runs.
  m.exec(R"(
      mov byte ptr [patch + 1], 42
    patch:
      mov eax, 1
  )");
  EXPECT_EQ(m.r(EAX), 42u);
}

TEST(DecodeCache, CodeRewrittenBetweenRunsOfALoopIsRedecoded) {
  TestMachine m;
  m.exec(rewriting_loop("mov byte ptr [f + 1], 10"));
  EXPECT_EQ(m.r(EBX), 1u + 10u + 10u);
  EXPECT_GE(m.cpu.decode_cache().stats().frames_invalidated, 1u);
}

TEST(DecodeCache, AReadModifyWriteOfCodeIsRedecodedToo) {
  TestMachine m;
  m.exec(rewriting_loop("add byte ptr [f + 1], 10"));
  EXPECT_EQ(m.r(EBX), 1u + 11u + 21u);
}

TEST(DecodeCache, HostWritesToCodeInvalidateToo) {
  TestMachine m;
  m.load_asm("mov eax, 1");
  m.run();
  EXPECT_EQ(m.r(EAX), 1u);
  m.load_asm("mov eax, 2");  // same address, new bytes, written by the loader
  m.run();
  EXPECT_EQ(m.r(EAX), 2u);
}

TEST(DecodeCache, AHostWriteSpanningThreeFramesDropsTheCodeDecodedInTheMiddleOne) {
  TestMachine m;
  // Code only in frame 0x5; a loader-style copy over 0x4ff0..0x600f touches frames 4, 5 and 6, and only the
  // middle one holds decoded code.
  m.load(assemble("mov eax, 1", Bits::b32, 0x5000), 0x5000);
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  ASSERT_EQ(m.r(EAX), 1u);
  std::vector<u8> copy(0x1020, 0x90);
  const std::vector<u8> fresh = assemble("mov eax, 2", Bits::b32, 0x5000);
  std::copy(fresh.begin(), fresh.end(), copy.begin() + 0x10);
  m.ram.write_bytes(0x4ff0, copy.data(), u32(copy.size()));
  m.cpu.eip = 0x5000;
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 2u);
  EXPECT_GE(m.cpu.decode_cache().stats().frames_invalidated, 1u);
}

TEST(DecodeCache, AnInstructionStraddlingTwoPagesExecutes) {
  TestMachine m;
  std::vector<u8> code = assemble("mov eax, 0x12345678\n add eax, 1", Bits::b32, 0x1ffe);
  m.load(code, 0x1ffe);  // B8 78 56 | 34 12 crosses 0x2000
  EXPECT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.r(EAX), 0x12345679u);
}

TEST(DecodeCache, SixteenAndThirtyTwoBitCodeAreCachedSeparately) {
  TestMachine m;
  m.load({0xb8, 0x01, 0x00, 0x00, 0x00});  // 32-bit: mov eax, 1 (5 bytes)
  m.run();
  EXPECT_EQ(m.r(EAX), 1u);
  m.cpu.load_segment_flat(CS, 0x08, 0, true, false);  // the same bytes as 16-bit code: mov ax, 1; add [bx+si], al
  m.cpu.eip = TestMachine::kCode;
  m.cpu.gpr[EAX] = 0xffff0000;
  RunLimits lim;
  lim.max_instructions = 1;
  m.cpu.run(lim);
  EXPECT_EQ(m.r(EAX), 0xffff0001u);
  EXPECT_EQ(m.cpu.eip, TestMachine::kCode + 3);
}

}  // namespace
}  // namespace ring1::test
