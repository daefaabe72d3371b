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

// Issue 17: kernels keep data beside code. A store to a data word in the running code's frame, outside the
// 64-byte lines any block was decoded from, drops nothing; one into a block's bytes still does.
TEST(DecodeCache, StoresToDataBesideCodeInTheSameFrameDropNoBlock) {
  TestMachine m;
  m.exec(R"(
      mov ecx, 1000
    l:
      mov [data], ecx
      add eax, [data]
      dec ecx
      jnz l
      jmp done
      .balign 256
    data:
      .long 0
    done:
  )");
  EXPECT_EQ(m.cpu.instret, 1u + 4000u + 1u);
  EXPECT_EQ(m.cpu.decode_cache().stats().frames_invalidated, 0u);
  EXPECT_LE(m.cpu.decode_cache().stats().blocks_built, 4u);
}

TEST(DecodeCache, AStoreIntoOneBlockOfAFrameKeepsTheFramesOtherBlocks) {
  TestMachine m;
  // f's block is rewritten on every pass; the loop's own block, in the same frame, is decoded once.
  m.exec(rewriting_loop("mov byte ptr [f + 1], 10"));
  EXPECT_EQ(m.r(EBX), 1u + 10u + 10u);
  const DecodeCacheStats& st = m.cpu.decode_cache().stats();
  EXPECT_EQ(st.frames_invalidated, 3u);  // each pass's store drops f's block, and only it
  // The entry block, `l`'s block, f's three times, the block after the call, its tail after the store
  // (leaving a block whose frame changed resumes mid-block), and `jmp done`: 8. Dropping the whole frame
  // on each store would rebuild all of them every pass (13).
  EXPECT_EQ(st.blocks_built, 8u);
}

TEST(DecodeCache, AStoreIntoTheBytesAfterAnUndecodableInstructionRedecodesIt) {
  TestMachine m;
  // 0F 04 is not an instruction (#UD, decoded with length 1); the store below makes the bytes 0F A2
  // (CPUID). The block is dropped although the byte written lies after its one-byte instruction.
  m.load_asm(R"(
      mov byte ptr [bad + 1], 0xA2
      jmp bad
    bad:
      .byte 0x0F, 0x04
  )");
  // Decode the block with the bad bytes first (it faults), then let the store rewrite it.
  m.cpu.eip = TestMachine::kCode + 7 + 2;
  ASSERT_EQ(m.run(), StopReason::UnhandledFault);
  m.cpu.eip = TestMachine::kCode;
  EXPECT_EQ(m.run(), StopReason::Breakpoint);  // at the end of the code, CPUID executed
  EXPECT_EQ(m.cpu.eip, m.code_end);
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
