// Block chaining in the translation tier (src/jit/block_compiler.cpp): a translated block that retires in
// full goes straight on into the next block's translation wherever the run loop would have fetched that
// block and offered it in full. Each test runs the same guest in both tiers and asserts the same end state,
// down to the instruction, cycle and TLB counts, and that chains really happened where they may.
#include <gtest/gtest.h>

#include "support/system_guest.h"
#include "tier_pair.h"

namespace ring1::test {
namespace {

// Two blocks (the JMP ends the first) looping on each other: every iteration is two chains.
constexpr const char* kTwoBlockLoop = R"(
    mov ecx, 0x7fffffff
  top:
    add eax, ecx
    xor edx, eax
    jmp second
  second:
    lea esi, [esi + eax*2 + 1]
    dec ecx
    jnz top
)";

StopReason run_limited(TestMachine& m, u64 insns, Cycles cycles = ~Cycles(0)) {
  RunLimits lim;
  lim.max_instructions = insns;
  lim.max_cycles = cycles;
  return m.cpu.run(lim);
}

TEST(Chaining, TranslatedBlocksGoStraightOnIntoTheNextAndEndWhereTheInterpreterDoes) {
  TestMachine interp, jit;
  choose_tier(interp, false);
  choose_tier(jit, true);
  interp.load_asm(kTwoBlockLoop);
  jit.load_asm(kTwoBlockLoop);
  const StopReason a = run_limited(interp, 10'001), b = run_limited(jit, 10'001);
  EXPECT_EQ(a, StopReason::InsnLimit);
  EXPECT_EQ(outcome(interp, a), outcome(jit, b));
  EXPECT_EQ(jit.cpu.instret, 10'001u);
  // Nearly every block boundary was a chain: the run loop saw only a handful of entries.
  EXPECT_GT(jit.translator->chains(), 3'000u);
  EXPECT_LT(jit.translator->stats().entries, 10u);
}

TEST(Chaining, ABlockNeverRunsPastTheCycleLimit) {
  // Every cycle limit over a stretch of the loop: the chained code stops at exactly the instruction, cycle
  // and EIP the interpreter stops at, whether the limit falls inside a block or on its boundary.
  for (Cycles limit = 700; limit < 716; ++limit) {
    TestMachine interp, jit;
    choose_tier(interp, false);
    choose_tier(jit, true);
    interp.load_asm(kTwoBlockLoop);
    jit.load_asm(kTwoBlockLoop);
    const StopReason a = run_limited(interp, ~u64(0), limit), b = run_limited(jit, ~u64(0), limit);
    ASSERT_EQ(a, StopReason::CycleLimit);
    ASSERT_EQ(outcome(interp, a), outcome(jit, b)) << "cycle limit " << limit;
    EXPECT_GT(jit.translator->chains(), 50u);
  }
}

TEST(Chaining, AnInstructionLimitEndsAChainWhereTheInterpreterStops) {
  for (u64 limit = 500; limit < 512; ++limit) {
    TestMachine interp, jit;
    choose_tier(interp, false);
    choose_tier(jit, true);
    interp.load_asm(kTwoBlockLoop);
    jit.load_asm(kTwoBlockLoop);
    const StopReason a = run_limited(interp, limit), b = run_limited(jit, limit);
    ASSERT_EQ(outcome(interp, a), outcome(jit, b)) << "instruction limit " << limit;
    EXPECT_EQ(jit.cpu.steps(), limit);
  }
}

TEST(Chaining, AStopAddressInsideTheNextBlockEndsTheChainBeforeIt) {
  // The loop runs 40 times, then falls through to the stop address; chains go on until then.
  constexpr const char* kLoop = " mov ecx, 40\ntop:\n inc eax\n jmp second\nsecond:\n add ebx, eax\n dec ecx\n"
                                " jnz top\n mov edx, 1\n";
  TestMachine interp, jit;
  choose_tier(interp, false);
  choose_tier(jit, true);
  auto run = [&](TestMachine& m) {
    m.load_asm(kLoop);
    RunLimits lim;
    lim.stop_at_eip = m.code_end - 5;  // the MOV after the loop
    return m.cpu.run(lim);
  };
  const StopReason a = run(interp), b = run(jit);
  EXPECT_EQ(a, StopReason::Breakpoint);
  EXPECT_EQ(outcome(interp, a), outcome(jit, b));
  EXPECT_EQ(jit.r(EDX), 0u);
  EXPECT_EQ(jit.cpu.eip, jit.code_end - 5);
  EXPECT_GT(jit.translator->chains(), 40u);
}

// The line a timer raises and the interrupt controller behind it.
struct Pic {
  int pending = 0;
  static bool is_pending(void* p) { return static_cast<Pic*>(p)->pending > 0; }
  static u8 ack(void* p) {
    --static_cast<Pic*>(p)->pending;
    return 0x30;
  }
};
struct Timer {
  Cpu* cpu = nullptr;
  Pic* pic = nullptr;
  Cycles period = 0;
  std::vector<u64> fired_at_instret;
  static void fire(void* p, Cycles now) {
    auto* t = static_cast<Timer*>(p);
    t->fired_at_instret.push_back(t->cpu->instret);
    ++t->pic->pending;
    t->cpu->interrupt_requested();
    t->cpu->schedule_event(now + t->period);
  }
};

struct TimedGuest {
  SystemGuest m;
  Pic pic;
  Timer timer;
  TimedGuest(bool jit, Cycles period) {
    choose_tier(m, jit);
    m.cpu.interrupt_controller = {&Pic::is_pending, &Pic::ack, &pic};
    timer = {&m.cpu, &pic, period, {}};
    m.cpu.event_hook = {&Timer::fire, &timer};
    m.cpu.schedule_event(period);
    m.gate(0x30, 0x40, SystemGuest::kInterruptGate, 0);
  }
};

TEST(Chaining, AnInterruptArrivingMidLoopIsTakenAtTheSameInstructionAsInTheInterpreter) {
  // The handler counts in ECX and records the loop counter it interrupted; the loop counts in EBX.
  const char* guest = " jmp start\n.org 0x40\n inc ecx\n mov [0x100000 + ecx*4], ebx\n iretd\n.org 0x80\nstart:\n"
                      " sti\ntop:\n add ebx, 1\n xor edx, ebx\n jmp second\nsecond:\n lea esi, [esi + edx]\n"
                      " jmp top\n";
  TimedGuest interp(false, 997), jit(true, 997);
  interp.m.load_asm(guest);
  jit.m.load_asm(guest);
  const StopReason a = run_limited(interp.m, 50'000), b = run_limited(jit.m, 50'000);
  EXPECT_EQ(outcome(interp.m, a), outcome(jit.m, b));
  EXPECT_EQ(interp.timer.fired_at_instret, jit.timer.fired_at_instret);
  ASSERT_GT(jit.m.r(ECX), 20u);
  for (u32 k = 1; k <= jit.m.r(ECX); ++k) ASSERT_EQ(interp.m.mem<u32>(0x100000 + 4 * k), jit.m.mem<u32>(0x100000 + 4 * k));
  EXPECT_GT(jit.m.translator->chains(), 1'000u);
}

TEST(Chaining, ALineRaisedWhileInterruptsAreOffIsTakenRightAfterStiAsInTheInterpreter) {
  // The timer fires during the first loop (IF = 0): the line stays up, chains go on, and the interrupt is
  // taken at the boundary after STI's shadow in both tiers.
  const char* guest = " jmp start\n.org 0x40\n inc ecx\n mov [0x100000], ebx\n iretd\n.org 0x80\nstart:\n"
                      " mov edi, 300\nfirst:\n add ebx, 1\n jmp next\nnext:\n dec edi\n jnz first\n sti\n"
                      " mov eax, 1\nsecond:\n add ebx, 1\n jmp back\nback:\n jmp second\n";
  TimedGuest interp(false, 400), jit(true, 400);
  interp.timer.period = jit.timer.period = 1'000'000;  // one tick only
  interp.m.load_asm(guest);
  jit.m.load_asm(guest);
  const StopReason a = run_limited(interp.m, 3'000), b = run_limited(jit.m, 3'000);
  EXPECT_EQ(outcome(interp.m, a), outcome(jit.m, b));
  EXPECT_EQ(jit.m.r(ECX), 1u);
  EXPECT_EQ(jit.m.mem<u32>(0x100000), 300u);  // taken right after STI and the MOV in its shadow
}

TEST(Chaining, SelfModifyingCodeDropsAChainedTarget) {
  // Halfway through, the loop rewrites the immediate of `add ebx, 1` in the block it chains into: from then
  // on the new instruction runs, in both tiers.
  const char* guest = " mov ecx, 100\ntop:\n inc eax\n jmp second\nsecond:\n add ebx, 1\n dec ecx\n"
                      " cmp ecx, 50\n jne check\n mov byte ptr [second + 2], 5\ncheck:\n test ecx, ecx\n jnz top\n";
  TestMachine interp, jit;
  choose_tier(interp, false);
  choose_tier(jit, true);
  const StopReason a = interp.exec(guest), b = jit.exec(guest);
  EXPECT_EQ(a, StopReason::Breakpoint);
  EXPECT_EQ(outcome(interp, a), outcome(jit, b));
  EXPECT_EQ(jit.r(EBX), 50u * 1 + 50u * 5);
  EXPECT_GT(jit.translator->chains(), 100u);
}

// Paging with two page directories that share the identity map of the first 4 MiB and map linear 0x400000
// to two different frames, each holding a different function.
struct TwoAddressSpaces {
  static constexpr u32 kPd1 = 0x200000, kPd2 = 0x201000, kPt0 = 0x202000, kPt1 = 0x203000, kPt2 = 0x204000;
  static constexpr u32 kFn1 = 0x205000, kFn2 = 0x206000;
  explicit TwoAddressSpaces(TestMachine& m) {
    for (u32 i = 0; i < 1024; ++i) m.poke<u32>(kPt0 + 4 * i, (i << 12) | 3);
    m.poke<u32>(kPt1, kFn1 | 3);
    m.poke<u32>(kPt2, kFn2 | 3);
    m.poke<u32>(kPd1, kPt0 | 3);
    m.poke<u32>(kPd1 + 4, kPt1 | 3);
    m.poke<u32>(kPd2, kPt0 | 3);
    m.poke<u32>(kPd2 + 4, kPt2 | 3);
    const auto fn1 = assemble(" add eax, 1\n ret\n", Bits::b32, 0x400000);
    const auto fn2 = assemble(" add ebx, 1\n ret\n", Bits::b32, 0x400000);
    m.ram.write_bytes(kFn1, fn1.data(), u32(fn1.size()));
    m.ram.write_bytes(kFn2, fn2.data(), u32(fn2.size()));
    m.cpu.set_cr3(kPd1);
    m.cpu.set_cr0(m.cpu.cr0 | 0x80000000u);
  }
};

TEST(Chaining, LoadingCr3DropsChainsIntoTheOldMapping) {
  // Each iteration calls the function at 0x400000 (a chain through RET's target on the way back) and then
  // switches to the other address space, so the same linear call target is a different block each time.
  const std::string guest = fmt::format(" mov ecx, 200\ntop:\n mov edi, 0x400000\n call edi\n mov edx, cr3\n"
                                        " xor edx, {:#x}\n mov cr3, edx\n dec ecx\n jnz top\n",
                                        TwoAddressSpaces::kPd1 ^ TwoAddressSpaces::kPd2);
  TestMachine interp, jit;
  choose_tier(interp, false);
  choose_tier(jit, true);
  TwoAddressSpaces si(interp), sj(jit);
  const StopReason a = interp.exec(guest), b = jit.exec(guest);
  EXPECT_EQ(a, StopReason::Breakpoint);
  EXPECT_EQ(outcome(interp, a), outcome(jit, b));
  EXPECT_EQ(jit.r(EAX), 100u);
  EXPECT_EQ(jit.r(EBX), 100u);
  EXPECT_GT(jit.translator->chains(), 200u);
}

}  // namespace
}  // namespace ring1::test
