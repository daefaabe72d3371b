// The sensitive-instruction detector (cpu/sensitive.h): every row of the table, run at CPL 0 and in a
// deprivileged ring. Each runs without an exception where the SDM raises none, does what the SDM says at that
// ring, and at CPL 1 is recorded with the effect that made it differ from ring 0; at CPL 0 nothing is recorded.
#include <gtest/gtest.h>

#include <vector>

#include "support/segment_machine.h"

namespace ring1::test {
namespace {

using SM = SegmentMachine;
using E = SensitiveEffect;
using I = SensitiveInsn;
constexpr u32 kD = TestMachine::kData;

// A SegmentMachine that keeps every recorded event.
struct Watched : SM {
  std::vector<SensitiveEvent> events;
  Watched() {
    cpu.observer.context = this;
    cpu.observer.sensitive = [](void* self, const SensitiveEvent& e) {
      static_cast<Watched*>(self)->events.push_back(e);
    };
  }
  void set_flags(u32 f) { cpu.eflags = f | eflags::Reserved1; }
  // The one event of row `insn`; fails the test if there is not exactly one.
  SensitiveEvent only(I insn) const {
    std::vector<SensitiveEvent> of;
    for (const auto& e : events)
      if (e.insn == insn) of.push_back(e);
    EXPECT_EQ(of.size(), 1u) << sensitive_row(insn).name;
    return of.empty() ? SensitiveEvent{} : of[0];
  }
};

constexpr u32 IF = eflags::IF, IOPL1 = 1u << 12, IOPL3 = 3u << 12;

// One case per row: the code, the flags it starts with, and what CPL 1 records.
struct Row {
  I insn;
  const char* src;
  u32 flags;
  E at_ring1;
  u32 a, b;
};

// GDT selectors of SegmentMachine as the code names them: 0x10 is ring 0's data segment (DPL 0, RPL 0).
const Row kRows[] = {
    {I::Pushf, "pushfd", IF, E::FlagsRevealed, IF | eflags::Reserved1, 0},
    {I::Popf, "push 0x2\n popfd", IF, E::IfChangeIgnored, 1, 0},  // IF 1 -> 0 wanted at IOPL 0
    // A same-ring return to the next instruction (0x100a) whose image wants IF = 0.
    {I::Iret, "push 0x2\n push 0x29\n push 0x100a\n iretd", IF, E::IfChangeIgnored, 1, 0},
    {I::Cli, "cli", IF | IOPL1, E::RealIfChanged, 1 | (1 << 1), 0},
    {I::Sti, "sti", IOPL1, E::RealIfChanged, 0 | (1 << 1), 1},
    {I::Sgdt, "sgdt [0x100000]", 0, E::TableRevealed, SM::kGdt, SM::kGdtLimit},
    {I::Sidt, "sidt [0x100000]", 0, E::TableRevealed, 0xC0001000, 0x7FF},
    {I::Sldt, "sldt ax", 0, E::SelectorRevealed, SM::kLdtSel, 0},
    {I::Str, "str ax", 0, E::SelectorRevealed, SM::kTssSel, 0},
    {I::Smsw, "smsw ax", 0, E::Cr0Revealed, 0x11, 0},  // PE | ET
    {I::Lar, "mov bx, 0x10\n lar eax, bx", 0, E::AccessCheckDiffers, 0, 0b10},
    {I::Lsl, "mov bx, 0x10\n lsl eax, bx", 0, E::AccessCheckDiffers, 0, 0b10},
    {I::Verr, "mov bx, 0x10\n verr bx", 0, E::AccessCheckDiffers, 0, 0b10},
    {I::Verw, "mov bx, 0x10\n verw bx", 0, E::AccessCheckDiffers, 0, 0b10},
    {I::PushCs, "push cs", 0, E::RplShowsRing, SM::kCode1 | 1, 0},
    {I::PushSs, "push ss", 0, E::RplShowsRing, SM::kData1 | 1, 0},
    {I::MovFromCs, "mov eax, cs", 0, E::RplShowsRing, SM::kCode1 | 1, 0},
    {I::MovFromSs, "mov word ptr [0x100000], ss", 0, E::RplShowsRing, SM::kData1 | 1, 0},
};

void prepare(Watched& m, const Row& row, u8 ring) {
  m.cpu.idtr = {0xC0001000, 0x7FF};
  m.cpu.ldtr = SystemSegment{SM::kLdtSel, SM::kLdt, 0x0F, 0x82};
  m.load_tss(0x80000, SM::kData0, 0x70000, SM::kData1 | 1);
  m.enter_ring(ring);
  m.set_flags(row.flags);
}

TEST(Sensitive, TheTableHasOneRowPerInstructionInItsOwnPlace) {
  for (size_t k = 0; k < kSensitiveTable.size(); ++k) {
    EXPECT_EQ(static_cast<size_t>(kSensitiveTable[k].insn), k);
    EXPECT_FALSE(kSensitiveTable[k].deprivileged.empty());
    EXPECT_FALSE(kSensitiveTable[k].sdm.empty());
  }
  EXPECT_EQ(std::size(kRows), kSensitiveTable.size()) << "a test case per row";
}

TEST(Sensitive, EveryRowRunsInRingOneWithoutAnExceptionAndIsRecordedWithWhatDiffered) {
  for (const Row& row : kRows) {
    Watched m;
    prepare(m, row, 1);
    const u32 eip = row.insn == I::Lar || row.insn == I::Lsl || row.insn == I::Verr || row.insn == I::Verw
                        ? TestMachine::kCode + 4  // after "mov bx, 0x10"
                        : 0;
    ASSERT_EQ(m.exec(row.src), StopReason::Breakpoint) << row.src;
    const SensitiveEvent e = m.only(row.insn);
    EXPECT_EQ(e.effect, row.at_ring1) << row.src << ": " << sensitive_detail(e);
    EXPECT_EQ(e.cpl, 1);
    EXPECT_EQ(e.cs, SM::kCode1 | 1);
    if (eip) {
      EXPECT_EQ(e.eip, eip) << row.src;
    }
    if (row.at_ring1 != E::AccessCheckDiffers) {
      EXPECT_EQ(e.a, row.a) << row.src << ": " << sensitive_detail(e);
    }
    EXPECT_EQ(e.b, row.b) << row.src << ": " << sensitive_detail(e);
    EXPECT_EQ(m.cpu.sensitive_stats.by_insn[size_t(row.insn)], 1u);
    EXPECT_EQ(m.cpu.sensitive_stats.by_effect[size_t(row.at_ring1)], m.cpu.sensitive_stats.total)
        << row.src;
    EXPECT_EQ(m.cpu.sensitive_stats.by_ring[1], m.cpu.sensitive_stats.total);
  }
}

TEST(Sensitive, TheSameRowsInRingZeroAreNotRecorded) {
  for (const Row& row : kRows) {
    if (row.insn == I::Iret) continue;  // its frame is a ring-1 return; the ring-1 case covers it
    Watched m;
    prepare(m, row, 0);
    ASSERT_EQ(m.exec(row.src), StopReason::Breakpoint) << row.src;
    EXPECT_TRUE(m.events.empty()) << row.src;
    EXPECT_EQ(m.cpu.sensitive_stats.total, 0u);
  }
}

TEST(Sensitive, PopfInRingZeroChangesIfWhereRingOneSilentlyKeepsIt) {
  for (u8 ring : {0, 1}) {
    Watched m;
    prepare(m, kRows[1], ring);
    ASSERT_EQ(m.exec("push 0x2\n popfd"), StopReason::Breakpoint);
    EXPECT_EQ(m.flag(IF), ring != 0) << "ring " << int(ring);
  }
}

TEST(Sensitive, PopfThatTriesToChangeIoplInRingOneIsRecordedAsIgnored) {
  Watched m;
  prepare(m, kRows[1], 1);
  ASSERT_EQ(m.exec("push 0x3202\n popfd"), StopReason::Breakpoint);
  const SensitiveEvent e = m.only(I::Popf);
  EXPECT_EQ(e.effect, E::IoplChangeIgnored);
  EXPECT_EQ(e.a, 0u);
  EXPECT_EQ(e.b, 3u);
  EXPECT_EQ(sensitive_detail(e), "tried to change IOPL from 0 to 3: ignored (CPL 1 > 0)");
  EXPECT_EQ(m.cpu.eflags & IOPL3, 0u);
}

TEST(Sensitive, PopfThatChangesNothingPrivilegedIsRecordedAsNoDifference) {
  Watched m;
  prepare(m, kRows[1], 1);
  ASSERT_EQ(m.exec("push 0x203\n popfd"), StopReason::Breakpoint);  // IF stays 1, CF set
  EXPECT_EQ(m.only(I::Popf).effect, E::NoDifference);
  EXPECT_TRUE(m.flag(eflags::CF));
}

TEST(Sensitive, ALarThatSeesTheSameSegmentAtBothRingsIsNoDifference) {
  Watched m;
  prepare(m, kRows[10], 1);
  ASSERT_EQ(m.exec("mov bx, 0x31\n lar eax, bx"), StopReason::Breakpoint);
  EXPECT_EQ(m.only(I::Lar).effect, E::NoDifference);
  EXPECT_EQ(m.only(I::Lar).b, 0b11u);
  EXPECT_TRUE(m.flag(eflags::ZF));
}

TEST(Sensitive, CliAboveIoplIsGeneralProtectionAndNotRecorded) {
  Watched m;
  prepare(m, kRows[3], 1);
  m.set_flags(IF);  // IOPL 0
  ASSERT_EQ(m.exec("cli"), StopReason::UnhandledFault);
  EXPECT_TRUE(m.faulted(13, 0));
  EXPECT_TRUE(m.events.empty());
}

TEST(Sensitive, RingThreeIsWatchedOnlyWhenAskedFor) {
  for (bool ask : {false, true}) {
    Watched m;
    prepare(m, kRows[0], 3);
    if (ask) m.cpu.sensitive_rings |= 1u << 3;
    ASSERT_EQ(m.exec("smsw ax\n push cs\n pushfd"), StopReason::Breakpoint);
    EXPECT_EQ(m.events.size(), ask ? 3u : 0u);
    if (ask) {
      EXPECT_EQ(m.only(I::PushCs).a, SM::kCode3 | 3u);
    }
  }
}

TEST(Sensitive, ThePushAndMovFormsOfOtherRegistersAreNotSensitive) {
  Watched m;
  prepare(m, kRows[0], 1);
  ASSERT_EQ(m.exec("push eax\n push ds\n mov eax, ds\n mov ebx, eax\n push 5"), StopReason::Breakpoint);
  EXPECT_TRUE(m.events.empty());
}

// The detector must be invisible to the guest: the same code with and without marking ends in the same
// registers, flags, memory and modelled cycles.
TEST(Sensitive, WatchingChangesNothingTheGuestOrTheCycleModelCanSee) {
  const char* src =
      "push 0x2\n popfd\n pushfd\n pop ecx\n sgdt [0x100000]\n smsw dx\n push cs\n pop esi\n"
      "mov bx, 0x10\n lar edi, bx\n verr bx\n mov ax, ss\n";
  Watched on, off;
  off.cpu.decode_cache().set_sensitive_marking(false);
  for (Watched* m : {&on, &off}) {
    prepare(*m, kRows[0], 1);
    ASSERT_EQ(m->exec(src), StopReason::Breakpoint);
  }
  EXPECT_EQ(on.events.size(), 8u);
  EXPECT_TRUE(off.events.empty());
  for (u8 r = EAX; r <= EDI; ++r) EXPECT_EQ(on.cpu.gpr[r], off.cpu.gpr[r]) << int(r);
  EXPECT_EQ(on.cpu.eflags, off.cpu.eflags);
  EXPECT_EQ(on.cpu.cycles, off.cpu.cycles);
  EXPECT_EQ(on.cpu.instret, off.cpu.instret);
  EXPECT_EQ(on.mem<u64>(kD), off.mem<u64>(kD));
}

TEST(Sensitive, AnInstructionStraddlingTwoPagesIsWatchedToo) {
  Watched m;
  prepare(m, kRows[0], 1);
  // SGDT [disp32] is 7 bytes: put it across the boundary at 0x2000.
  m.load(assemble("sgdt [0x100000]", Bits::b32, 0x1FFD), 0x1FFD);
  ASSERT_EQ(m.run(), StopReason::Breakpoint);
  EXPECT_EQ(m.only(I::Sgdt).eip, 0x1FFDu);
  EXPECT_EQ(m.only(I::Sgdt).a, SM::kGdt);
}

TEST(Sensitive, TheDetailSaysWhatDifferedInWords) {
  SensitiveEvent e;
  e.cpl = 1;
  e.effect = E::IfChangeIgnored;
  e.a = 1;
  e.b = 0;
  EXPECT_EQ(sensitive_detail(e), "tried to change IF from 1 to 0: ignored (CPL 1 > IOPL 0)");
  e.effect = E::TableRevealed;
  e.a = 0xFC100000;
  e.b = 0x3FF;
  EXPECT_EQ(sensitive_detail(e), "revealed base=0xfc100000 limit=0x03ff");
  e.effect = E::RplShowsRing;
  e.a = 0xE019;
  EXPECT_EQ(sensitive_detail(e), "stored selector 0xe019: RPL 1 shows ring 1");
}

}  // namespace
}  // namespace ring1::test
