// The instructions the translation tier emits inline (src/jit/block_compiler.cpp) against the interpreter's
// handlers: each guest runs in a loop in both tiers (every block translated on its first full run) and must
// leave the same registers, EFLAGS, counts, TLB counters, faults and memory. The guests read the flags both
// ways a program can: PUSHFD (every status flag, through the handler) and Jcc (inline where the block's own
// instructions fixed the record's kind).
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "tier_pair.h"

namespace ring1::test {
namespace {

constexpr u32 kOut = TestMachine::kData;  // where the guests store what they saw

// FNV-1a over guest memory [from, to).
u64 hash(const TestMachine& m, u32 from, u32 to) {
  u64 h = 1469598103934665603ull;
  for (u32 a = from; a < to; ++a) h = (h ^ *m.ram.host(a)) * 1099511628211ull;
  return h;
}

struct Both {
  TestMachine interp, jit;
  Both() {
    choose_tier(interp, false);
    choose_tier(jit, true);
  }
  void each(const std::function<void(TestMachine&)>& f) {
    f(interp);
    f(jit);
  }
  // Runs `src` to its end in both tiers and compares everything; returns the translating machine.
  TestMachine& run(const std::string& src) {
    each([&](TestMachine& m) { m.load_asm(src); });
    const StopReason a = interp.run(), b = jit.run();
    EXPECT_EQ(outcome(interp, a), outcome(jit, b)) << src;
    EXPECT_EQ(hash(interp, kOut, kOut + 0x1000), hash(jit, kOut, kOut + 0x1000)) << src;
    EXPECT_EQ(hash(interp, TestMachine::kStackTop - 0x1000, TestMachine::kStackTop),
              hash(jit, TestMachine::kStackTop - 0x1000, TestMachine::kStackTop))
        << src;
    EXPECT_GT(jit.translator->stats().compiled.inline_insns, 0u);
    return jit;
  }
};

void identity_paging(TestMachine& m) {
  constexpr u32 kPd = 0x300000, kPt = 0x301000;
  m.poke<u32>(kPd, kPt | 7);
  for (u32 i = 0; i < 1024; ++i) m.poke<u32>(kPt + 4 * i, (i << 12) | 3);
  m.cpu.set_cr3(kPd);
  m.cpu.set_cr0(m.cpu.cr0 | 0x80000000u);
}

// Three passes over `body` with EAX..EDX drawn from `values`, each pass storing PUSHFD's flags and the
// outcome of jc/jz/js/jo taken inline right after the instruction under test.
std::string flag_loop(const std::string& body) {
  return " mov edi, 0x100000\n mov esi, 0\nagain:\n mov eax, [values + esi*4]\n mov ebx, [values + esi*4 + 4]\n"
         " mov ecx, eax\n xor edx, edx\n cmp eax, ebx\n" +
         body +
         "\n pushfd\n pop dword ptr [edi]\n mov [edi + 4], eax\n"
         " xor edx, edx\n" + body + "\n jc skip1\n or edx, 1\nskip1:\n" +
         " add eax, ebx\n" + body + "\n jz skip2\n or edx, 2\nskip2:\n" +
         " xor eax, ebx\n" + body + "\n js skip3\n or edx, 4\nskip3:\n" +
         " inc eax\n" + body + "\n jo skip4\n or edx, 8\nskip4:\n" +
         " cmp eax, ebx\n" + body + "\n jb skip5\n or edx, 16\nskip5:\n" +
         " mov [edi + 8], edx\n add edi, 12\n inc esi\n cmp esi, 8\n jb again\n jmp done\n"
         "values: .long 0, 1, 0x80000000, 0x7fffffff, 0xffffffff, 0x12345678, 0x40000001, 0xc0000000, 3\n"
         "done:\n";
}

TEST(InlineInsns, ShiftsByAnImmediateLeaveTheHandlersRecord) {
  for (const char* op : {"shl", "shr", "sar"})
    for (int count : {0, 1, 2, 7, 31}) {
      Both t;
      t.run(flag_loop(fmt::format(" {} eax, {}", op, count)));
    }
}

TEST(InlineInsns, ShiftsFollowThe486ChoiceForAfOnThatModel) {
  for (const char* op : {"shl", "shr", "sar"}) {
    Both t;
    t.each([](TestMachine& m) { m.cpu.set_model(CpuModel::I486); });
    TestMachine& m = t.run(flag_loop(fmt::format(" {} eax, 3", op)));
    EXPECT_EQ(m.mem<u32>(kOut) & eflags::AF, eflags::AF);  // set by a 486 shift (test386's hardware results)
  }
}

TEST(InlineInsns, RotatesByAnImmediateChangeOnlyCarryAndOverflow) {
  // Each rotate follows a different kind of flag record (SUB, ADD, logic, INC) or none.
  for (const char* op : {"rol", "ror"})
    for (int count : {0, 1, 3, 31}) {
      Both t;
      t.run(flag_loop(fmt::format(" {} eax, {}", op, count)));
      Both twice;  // one rotate after another: the second reads flags the first left in EFLAGS
      twice.run(flag_loop(fmt::format(" {0} eax, {1}\n {0} eax, 1", op, count)));
    }
}

TEST(InlineInsns, IncAfterAShiftOrARotateKeepsTheCarryItLeft) {
  Both t;
  t.run(flag_loop(" shr eax, 1\n inc eax\n adc eax, 0"));
  Both u;
  u.run(flag_loop(" rol eax, 1\n dec eax\n adc eax, 0"));
}

// Every ALU operation with a memory operand on either side, over the flag loop's values: the memory forms
// write the same record (and Jcc reads it inline) as the register forms.
TEST(InlineInsns, AluInstructionsWithAMemoryOperandReadModifyAndWriteAsTheHandlersDo) {
  for (const char* op : {"add", "sub", "cmp", "and", "or", "xor", "test"}) {
    Both t;
    t.run(flag_loop(fmt::format(" mov [0x100800], ebx\n {0} [0x100800], eax\n {0} eax, [0x100800]\n"
                                " {0} dword ptr [0x100800], 0x1234\n mov eax, [0x100800]",
                                op)));
  }
}

TEST(InlineInsns, ReadModifyWriteCountsTwoTlbLookupsOnOneTranslation) {
  Both t;
  t.each(identity_paging);
  TestMachine& m = t.run(" mov ecx, 100\ntop:\n add [0x100000], ecx\n cmp ecx, [0x100004]\n dec ecx\n jnz top\n");
  EXPECT_EQ(m.mmu.stats().dtlb.lookups, 100u * 3);
  EXPECT_EQ(m.mem<u32>(kOut), 5050u);
}

TEST(InlineInsns, AReadModifyWriteIntoRunningCodeIsSelfModifyingCode) {
  // The loop adds to the immediate of its own `add ebx, 1` (through the handler: the frame holds code).
  Both t;
  TestMachine& m = t.run(" mov ecx, 10\ntop:\n add ebx, 1\n add byte ptr [top + 2], 0\n"
                         " add dword ptr [0x100000], 1\n xor dword ptr [top + 2], 0x00000001\n dec ecx\n jnz top\n");
  EXPECT_EQ(m.r(EBX), 5u * 1 + 5u * 0);
}

TEST(InlineInsns, AReadModifyWriteToAReadOnlyPageAtCpl3IsAPageFault) {
  // Ring 3 (by CPL and a ring-3 stack; the machine's flat segments allow it) writing a user-read-only page.
  Both t;
  t.each([](TestMachine& m) {
    identity_paging(m);
    for (u32 pg = 0; pg < 1024; ++pg) m.poke<u32>(0x301000 + 4 * pg, (pg << 12) | 7);  // user, writable
    m.poke<u32>(0x301000 + 4 * 0x100, 0x100000 | 5);  // kOut's page: user, read-only
  });
  t.each([](TestMachine& m) { m.cpu.cpl = 3; });
  TestMachine& m = t.run(" mov ecx, 10\ntop:\n add eax, [0x100000]\n add [0x101000], ecx\n dec ecx\n jnz top\n"
                         " add [0x100000], eax\n");
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::PF));
  EXPECT_EQ(m.cpu.cr2, 0x100000u);
}

constexpr const char* kStackGuest = R"(
    mov ecx, 50
  top:
    push ecx
    push 0x12345678
    push -5
    push esp
    pop eax
    pop ebx
    add ebx, eax
    pop edx
    pop esi
    call fn
    call fn_imm
    sub esp, 4
    mov [esp], ecx
    pop esp
    mov esp, 0x80000
    dec ecx
    jnz top
    jmp done
  fn:
    add edi, ecx
    ret
  fn_imm:
    push eax
    push ebx
    call fn
    pop ebx
    pop eax
    ret 8
  done:
)";

TEST(InlineInsns, PushPopCallAndRetMoveTheStackAsTheHandlersDo) {
  Both t;
  t.each([](TestMachine& m) { m.cpu.gpr[ESP] = TestMachine::kStackTop; });
  t.run(std::string(kStackGuest));
}


TEST(InlineInsns, StackAccessesCountTheSameTlbLookupsWithPagingOn) {
  Both t;
  t.each(identity_paging);
  TestMachine& m = t.run(std::string(kStackGuest));
  EXPECT_EQ(m.mmu.stats().dtlb.lookups, 50u * 20);  // 20 stack and data accesses an iteration, one lookup each
}

TEST(InlineInsns, ASixteenBitStackTakesTheHandler) {
  Both t;
  t.each([](TestMachine& m) {
    m.cpu.seg[SS].big = false;
    m.cpu.seg[SS].base = 0x70000;
    m.cpu.seg[SS].limit = m.cpu.seg[SS].read_hi = m.cpu.seg[SS].write_hi = 0xFFFF;
    m.cpu.gpr[ESP] = 0xABCD0002;  // SP wraps to 0xFFFE; the upper half stays
  });
  TestMachine& m = t.run(" mov ecx, 20\ntop:\n push ecx\n call fn\n pop eax\n dec ecx\n jnz top\n jmp done\n"
                         "fn:\n add ebx, [esp]\n ret\ndone:\n");
  EXPECT_EQ(m.r(ESP), 0xABCD0002u);
}

TEST(InlineInsns, ARetBeyondTheCsLimitIsAGeneralProtectionFaultOnTheRet) {
  for (bool paged : {false, true}) {
    Both t;
    t.each([&](TestMachine& m) {
      if (paged) identity_paging(m);
      m.cpu.seg[CS].limit = 0xFFFFF;
    });
    TestMachine& m = t.run(" mov ecx, 10\ntop:\n call fn\n dec ecx\n jnz top\n push 0x100000\n ret\nfn:\n ret\n");
    EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::GP));
  }
}

TEST(InlineInsns, ACallBeyondTheCsLimitFaultsBeforeItPushes) {
  Both t;
  t.each([](TestMachine& m) { m.cpu.seg[CS].limit = 0x1FFF; });
  // The last CALL's rel32 (0x2000) lands past the limit.
  TestMachine& m = t.run(" mov ecx, 10\ntop:\n call fn\n dec ecx\n jnz top\n .byte 0xe8\n .long 0x2000\nfn:\n ret\n");
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::GP));
  EXPECT_EQ(m.r(ESP), TestMachine::kStackTop);
}

TEST(InlineInsns, APushToANotPresentStackPageIsAPageFaultWithItsAddress) {
  Both t;
  t.each([](TestMachine& m) {
    identity_paging(m);
    m.poke<u32>(0x301000 + 4 * 0x7F, 0);  // the page below 0x80000 is not present
    m.cpu.gpr[ESP] = 0x90000;
  });
  TestMachine& m = t.run(" mov ecx, 10\ntop:\n call fn\n dec ecx\n jnz top\n mov esp, 0x80000\n push eax\nfn:\n ret\n");
  EXPECT_EQ(m.cpu.last_fault().vector, u8(Vector::PF));
  EXPECT_EQ(m.cpu.cr2, 0x7FFFCu);
}

}  // namespace
}  // namespace ring1::test
