// Virtual-8086 mode (SDM vol. 3, chapter 20; vol. 2, IRET, INT n, CLI, STI, PUSHF, POPF, IN/OUT): entry by
// IRETD from ring 0 and by a task switch, segment × 16 addressing under paging at user privilege, the
// IOPL-sensitive instructions (#GP(0) to the ring-0 monitor when IOPL < 3, no VME), interrupts from V86 to
// a ring-0 handler with the V86 frame and nulled data segments, IRET back, and port I/O through the TSS
// bitmap whatever IOPL says. V86 code is assembled as 16-bit code at offset 0 of segment 0x2000.
#include <gtest/gtest.h>

#include "support/system_guest.h"

namespace ring1::test {
namespace {

constexpr u32 kOut = 0x100000;
constexpr u16 kV86Cs = 0x2000, kV86Ss = 0x2800, kV86Ds = 0x3000, kV86Es = 0x4000;
constexpr u32 kV86Sp = 0x100;

struct V86Machine : SystemGuest {
  // Ring-0 code at kCode: IRETD into V86 at 2000:0000 with IOPL `iopl` and IF set; handlers at kCode + 0x100
  // (vector 0x30, DPL 3 gate: records the frame's address and DS, then halts), 0x140 (#GP and #PF: error code,
  // saved EIP and CS, CR2) and 0x180 (vector 0x31: IRETD straight back to V86).
  void boot(const std::string& v86_code, u32 iopl) {
    const u32 flags = 0x20202 | (iopl << 12);
    load_asm(fmt::format(" push 0\n push 0\n push {:#x}\n push {:#x}\n push {:#x}\n push {:#x}\n push {:#x}\n"
                         " push {:#x}\n push 0\n iretd\n"
                         ".org 0x100\n mov ss:[0x100000], esp\n mov eax, ds\n mov ss:[0x100004], eax\n hlt\n"
                         ".org 0x140\n pop dword ptr ss:[0x100010]\n mov eax, [esp]\n mov ss:[0x100014], eax\n"
                         " mov eax, [esp+4]\n mov ss:[0x100018], eax\n mov eax, cr2\n mov ss:[0x10001C], eax\n hlt\n"
                         ".org 0x180\n iretd\n",
                         kV86Ds, kV86Es, kV86Ss, kV86Sp, flags, kV86Cs));
    const std::vector<u8> code = assemble(v86_code, Bits::b16, 0);
    ram.write_bytes(u32(kV86Cs) << 4, code.data(), u32(code.size()));
    gate(0x30, 0x100, kInterruptGate, 3);
    gate(0x31, 0x180, kInterruptGate, 3);
    gate(13, 0x140, kInterruptGate, 0);
    gate(14, 0x140, kInterruptGate, 0);
  }
  StopReason go() {
    RunLimits lim;
    lim.max_instructions = 10'000;
    return cpu.run(lim);
  }
  u32 frame(u32 slot) const { return mem<u32>(kEsp0 - 36 + 4 * slot); }  // EIP CS EFLAGS ESP SS ES DS FS GS
};

TEST(V86, AnIretdWithVmFromRing0EntersV86WhereAddressesAreSegmentTimesSixteen) {
  V86Machine m;
  m.boot(" mov word ptr [0x10], 0x1234\n mov byte ptr es:[0], 0x56\n int 0x30\n", 3);
  ASSERT_EQ(m.go(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u16>(0x30010), 0x1234u);
  EXPECT_EQ(m.mem<u8>(0x40000), 0x56u);
}

TEST(V86, AnInterruptFromV86ReachesRing0WithTheFullV86FrameAndNulledDataSegments) {
  V86Machine m;
  m.boot(" mov ax, 0x1111\n mov fs, ax\n int 0x30\n", 3);
  ASSERT_EQ(m.go(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut), SystemGuest::kEsp0 - 36);  // nine dwords, no error code
  EXPECT_EQ(m.frame(0), 7u);                              // IP after INT: 3 + 2 + 2 bytes
  EXPECT_EQ(m.frame(1), kV86Cs);
  EXPECT_TRUE(m.frame(2) & eflags::VM);
  EXPECT_EQ(m.frame(2) & eflags::IOPL, eflags::IOPL);
  EXPECT_EQ(m.frame(3), kV86Sp);
  EXPECT_EQ(m.frame(4), kV86Ss);
  EXPECT_EQ(m.frame(5), kV86Es);
  EXPECT_EQ(m.frame(6), kV86Ds);
  EXPECT_EQ(m.frame(7), 0x1111u);  // FS
  EXPECT_EQ(m.frame(8), 0u);       // GS
  EXPECT_EQ(m.mem<u32>(kOut + 4), 0u);  // DS is null in the handler
  EXPECT_EQ(m.cpu.seg[FS].selector, 0u);
  EXPECT_EQ(m.cpu.cpl, 0);
  EXPECT_FALSE(m.flag(eflags::VM));
  EXPECT_FALSE(m.flag(eflags::IF));  // an interrupt gate
  EXPECT_EQ(m.cpu.interrupt_stats.deliveries[3][0], 1u);
}

TEST(V86, Ring0IretdReturnsToV86AndIretInsideV86AtIopl3ReturnsLikeRealMode) {
  V86Machine m;
  m.boot(" int 0x31\n mov bx, 0x55\n pushf\n push cs\n push offset back\n iret\n back:\n mov cx, 0x66\n int 0x30\n", 3);
  ASSERT_EQ(m.go(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.r(EBX) & 0xFFFF, 0x55u);
  EXPECT_EQ(m.r(ECX) & 0xFFFF, 0x66u);
  EXPECT_EQ(m.frame(3), kV86Sp);  // the V86 stack is balanced again
  EXPECT_EQ(m.cpu.interrupt_stats.returns[0][3], 2u);  // the entry and the return from vector 0x31
  EXPECT_EQ(m.cpu.interrupt_stats.returns[3][3], 1u);  // the IRET inside V86
}

class V86IoplSensitive : public ::testing::TestWithParam<const char*> {};

TEST_P(V86IoplSensitive, AtIopl0TheInstructionIsGeneralProtectionZeroToTheMonitor) {
  V86Machine m;
  m.boot(std::string(" ") + GetParam() + "\n", 0);
  ASSERT_EQ(m.go(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut + 0x10), 0u);       // error code
  EXPECT_EQ(m.mem<u32>(kOut + 0x14), 0u);       // the faulting instruction, at IP 0
  EXPECT_EQ(m.mem<u32>(kOut + 0x18), kV86Cs);
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[13], 1u);
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[0x30], 0u);
}
INSTANTIATE_TEST_SUITE_P(V86, V86IoplSensitive,
                         ::testing::Values("cli", "sti", "pushf", "popf", "int 0x30", "iret", "pushfd", "popfd"));

TEST(V86, AtIopl3CliPushfAndPopfWorkButPopfCannotChangeIoplAndPushfHidesVm) {
  V86Machine m;
  m.boot(" cli\n pushfd\n pop ecx\n push 0\n popf\n pushf\n pop bx\n int3\n", 3);
  m.gate(3, 0x100, SystemGuest::kInterruptGate, 3);  // INT3 is not IOPL-sensitive
  ASSERT_EQ(m.go(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_FALSE(m.r(ECX) & eflags::IF);
  EXPECT_FALSE(m.r(ECX) & eflags::VM);  // PUSHF's image never shows VM
  EXPECT_EQ(m.r(ECX) & eflags::IOPL, eflags::IOPL);
  EXPECT_EQ(m.r(EBX) & eflags::IOPL, eflags::IOPL);  // POPF of 0 kept IOPL 3
  EXPECT_TRUE(m.frame(2) & eflags::VM);
}

TEST(V86, AnInterruptToANonRing0HandlerIsGeneralProtectionWithTheCodeSelector) {
  V86Machine m;
  m.boot(" int 0x30\n", 3);
  m.gate(0x30, 0x100, SystemGuest::kInterruptGate, 3, SystemGuest::kCode1);
  ASSERT_EQ(m.go(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut + 0x10), 0x30u);  // kCode1's selector, EXT clear (INT n)
  EXPECT_EQ(m.mem<u32>(kOut + 0x14), 0u);
  V86Machine n;
  n.boot(" int 0x30\n", 3);
  n.gate(0x30, 0x100, SystemGuest::kInterruptGate, 3, SystemGuest::kCode3);  // not an inner ring at all
  ASSERT_EQ(n.go(), StopReason::Halted) << n.cpu.host_error();
  EXPECT_EQ(n.mem<u32>(kOut + 0x10), 0x18u);
}

TEST(V86, PortIoGoesThroughTheTssBitmapWhateverIopl) {
  V86Machine m;
  // I/O map at TSS offset 0x68; ports 0x80-0x87 in byte 0x10: only 0x80 allowed; a trailing 0xFF byte.
  const u32 limit = 0x68 + 0x11;
  m.poke<u16>(SystemGuest::kTss + 0x66, 0x68);
  for (u32 i = 0; i < 0x10; ++i) m.poke<u8>(SystemGuest::kTss + 0x68 + i, 0xFF);
  m.poke<u8>(SystemGuest::kTss + 0x68 + 0x10, 0xFE);
  m.poke<u8>(SystemGuest::kTss + 0x68 + 0x11, 0xFF);
  m.poke<u64>(SystemGuest::kGdt + SystemGuest::kTssSel, sys_desc(SystemGuest::kTss, limit, 0xB));
  m.cpu.tr.limit = limit;
  m.boot(" mov al, 1\n out 0x80, al\n out 0x81, al\n", 3);
  ASSERT_EQ(m.go(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut + 0x10), 0u);
  EXPECT_EQ(m.mem<u32>(kOut + 0x14), 4u);  // the second OUT: port 0x81's bit is set, IOPL 3 or not
}

TEST(V86, PagingAppliesUserLevelProtectionToV86Accesses) {
  V86Machine m;
  constexpr u32 kPd = 0x400000, kPt = 0x401000;
  m.poke<u32>(kPd, kPt | 0x7);
  for (u32 i = 0; i < 1024; ++i) m.poke<u32>(kPt + 4 * i, (i << 12) | 0x7);
  m.poke<u32>(kPt + 4 * 0x40, 0x40000 | 0x3);  // linear 0x40000: supervisor only
  m.cpu.set_cr3(kPd);
  m.cpu.set_cr0(m.cpu.cr0 | (1u << 31));
  m.boot(" mov byte ptr [0], 1\n mov byte ptr es:[0], 1\n", 3);
  ASSERT_EQ(m.go(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u8>(0x30000), 1u);                      // a user page: the V86 write went through
  EXPECT_EQ(m.mem<u32>(kOut + 0x10), 0x7u);               // present | write | user
  EXPECT_EQ(m.mem<u32>(kOut + 0x14), 5u);                 // at the second MOV
  EXPECT_EQ(m.mem<u32>(kOut + 0x1C), 0x40000u);           // CR2
  EXPECT_EQ(m.mem<u8>(0x40000), 0u);
}

TEST(V86, ATaskSwitchToATssWhoseEflagsHasVmEntersV86) {
  V86Machine m;
  constexpr u16 kTssV86 = 0x40;
  constexpr u32 kBase = 0x303000;
  m.poke<u64>(SystemGuest::kGdt + SystemGuest::kTssSel, sys_desc(SystemGuest::kTss, 0x67, 0xB));
  m.poke<u64>(SystemGuest::kGdt + kTssV86, sys_desc(kBase, 0x67, 0x9));
  m.cpu.gdtr.limit = 0x47;
  m.poke<u32>(kBase + 4, 0x98000);  // ESP0 and SS0 of the V86 task's monitor
  m.poke<u32>(kBase + 8, SystemGuest::kData0);
  m.poke<u32>(kBase + 0x20, 0);                  // IP
  m.poke<u32>(kBase + 0x24, 0x23202);            // VM | IOPL 3 | IF
  m.poke<u32>(kBase + 0x38, kV86Sp);
  const u16 segs[6] = {kV86Es, kV86Cs, kV86Ss, kV86Ds, 0, 0};
  for (u32 s = 0; s < 6; ++s) m.poke<u32>(kBase + 0x48 + 4 * s, segs[s]);
  m.boot(" mov word ptr [2], 0x4321\n int 0x30\n", 3);
  m.load_asm(" jmp 0x40:0\n.org 0x100\n mov ss:[0x100000], esp\n hlt\n");
  ASSERT_EQ(m.go(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u16>(0x30002), 0x4321u);
  EXPECT_EQ(m.mem<u32>(kOut), 0x98000u - 36);  // the new task's ring-0 stack
  EXPECT_EQ(m.cpu.tr.selector, kTssV86);
}

TEST(V86, AnExternalInterruptInV86IsDeliveredToRing0WithTheV86Frame) {
  V86Machine m;
  m.boot(" nop\n spin:\n jmp spin\n", 3);
  m.gate(0x40, 0x100, SystemGuest::kInterruptGate, 0);  // hardware interrupts ignore the gate's DPL
  struct Pic {
    bool raised = true;
  } pic;
  m.cpu.interrupt_controller = {[](void* p) { return static_cast<Pic*>(p)->raised; },
                                [](void* p) -> u8 {
                                  static_cast<Pic*>(p)->raised = false;
                                  return 0x40;
                                },
                                &pic};
  m.cpu.interrupt_requested();
  ASSERT_EQ(m.go(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut), SystemGuest::kEsp0 - 36);
  EXPECT_EQ(m.frame(1), kV86Cs);
  EXPECT_TRUE(m.frame(2) & eflags::VM);
  EXPECT_EQ(m.frame(6), kV86Ds);
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[0x40], 1u);
}

TEST(V86, AnIntThroughATaskGateLeavesV86AndIretWithNtResumesTheV86TaskWhereItWas) {
  V86Machine m;
  constexpr u16 kMonitorTss = 0x40;
  constexpr u32 kBase = 0x303000;
  m.poke<u64>(SystemGuest::kGdt + SystemGuest::kTssSel, sys_desc(SystemGuest::kTss, 0x67, 0xB));
  m.poke<u64>(SystemGuest::kGdt + kMonitorTss, sys_desc(kBase, 0x67, 0x9));
  m.cpu.gdtr.limit = 0x47;
  m.poke<u32>(kBase + 0x20, TestMachine::kCode + 0x1C0);  // the monitor task: ring 0, flat
  m.poke<u32>(kBase + 0x24, 0x2);
  m.poke<u32>(kBase + 0x38, 0x50000);
  const u16 segs[6] = {SystemGuest::kData0, SystemGuest::kCode0, SystemGuest::kData0, SystemGuest::kData0, 0, 0};
  for (u32 s = 0; s < 6; ++s) m.poke<u32>(kBase + 0x48 + 4 * s, segs[s]);
  m.boot(" mov bx, 0x11\n int 0x32\n mov cx, 0x22\n int 0x30\n", 3);
  m.poke<u64>(SystemGuest::kIdt + 0x32 * 8, gate_desc(kMonitorTss, 0, 0x5, 3));
  // The monitor task reads the V86 task's saved EFLAGS and IP from its TSS, then returns by IRET (NT).
  const std::vector<u8> monitor = assemble(" mov eax, [0x302024]\n mov [0x100020], eax\n mov eax, [0x302020]\n"
                                           " mov [0x100024], eax\n iretd\n",
                                           Bits::b32, TestMachine::kCode + 0x1C0);
  m.ram.write_bytes(TestMachine::kCode + 0x1C0, monitor.data(), u32(monitor.size()));
  ASSERT_EQ(m.go(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_TRUE(m.mem<u32>(kOut + 0x20) & eflags::VM);  // the V86 task's state, VM included, went to its TSS
  EXPECT_EQ(m.mem<u32>(kOut + 0x24), 5u);              // IP after mov bx (3) and int 0x32 (2)
  EXPECT_EQ(m.r(EBX) & 0xFFFF, 0x11u);
  EXPECT_EQ(m.r(ECX) & 0xFFFF, 0x22u);                 // the V86 task went on after the IRET
  EXPECT_EQ(m.frame(1), kV86Cs);                       // and left V86 again by int 0x30
  EXPECT_EQ(m.cpu.tr.selector, SystemGuest::kTssSel);
}

TEST(V86, TheDecodeCacheKeepsV86CodeApartFromThirtyTwoBitCodeAtTheSameAddress) {
  V86Machine m;
  const u8 bytes[] = {0xB8, 0x78, 0x56, 0x34, 0x12};  // mov eax, 0x12345678 | mov ax, 0x5678 + more
  m.ram.write_bytes(0x20000, bytes, sizeof bytes);
  RunLimits one;
  one.max_instructions = 1;
  m.cpu.eip = 0x20000;
  ASSERT_EQ(m.cpu.run(one), StopReason::InsnLimit);
  EXPECT_EQ(m.r(EAX), 0x12345678u);
  m.cpu.gpr[EAX] = 0;
  m.cpu.set_flags(m.cpu.eflags | eflags::VM);
  for (u8 s = 0; s < kSegCount; ++s) fill_real_mode_segment(m.cpu.seg[s], kV86Cs, true);
  m.cpu.cpl = 3;
  m.cpu.eip = 0;
  ASSERT_EQ(m.cpu.run(one), StopReason::InsnLimit);
  EXPECT_EQ(m.r(EAX), 0x5678u);
  EXPECT_EQ(m.cpu.eip, 3u);  // a 16-bit instruction
  EXPECT_EQ(m.cpu.decode_cache().stats().blocks_built, 2u);
  // The report and the tracer disassemble by CS.D as the CPU decodes: 16-bit in V86 mode.
  EXPECT_FALSE(m.cpu.code32());
  const std::string text = m.cpu.decode_cache().decoder().disassemble(bytes, sizeof bytes, m.cpu.code32(), 0);
  EXPECT_NE(text.find("ax, 0x5678"), std::string::npos) << text;
}

}  // namespace
}  // namespace ring1::test
