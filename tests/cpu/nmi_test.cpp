// The NMI input (SDM vol. 3, 6.7 and 6.7.1; priorities 6.9; shadows 6.8.3) seen from small guests: an NMI
// goes through vector 2 whatever IF says, ends HLT, waits out the MOV SS shadow, and blocks further NMIs
// until the next IRET, when a latched one is taken at once, at the interrupted code. The NMI handler here
// counts itself in [0x100000] and saves the EIP it interrupted in [0x100004 + 4 * count].
#include <gtest/gtest.h>

#include "support/system_guest.h"

namespace ring1::test {
namespace {

constexpr u32 kOut = 0x100000;
constexpr u32 kHandler = 0x40;

// The NMI handler at kCode + 0x40 (an interrupt gate): count, record the saved EIP, IRET.
constexpr const char* kNmiHandler =
    ".org 0x40\n mov ecx, [0x100000]\n mov eax, [esp]\n mov [0x100004 + ecx * 4], eax\n"
    " inc dword ptr [0x100000]\n iretd\n";

std::string guest(const std::string& main) { return std::string(" jmp start\n") + kNmiHandler + ".org 0x80\nstart:\n" + main; }

TEST(Nmi, AnNmiIsDeliveredThroughVector2WithInterruptsDisabled) {
  SystemGuest m;
  m.gate(2, kHandler, SystemGuest::kInterruptGate, 0);
  m.load_asm(guest(" cli\n nop\n nop\n"));
  ASSERT_EQ(m.run_to(TestMachine::kCode + 0x81), StopReason::Breakpoint);  // after CLI
  m.cpu.raise_nmi();
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut), 1u) << "IF = 0 does not mask NMI";
  EXPECT_EQ(m.mem<u32>(kOut + 4), TestMachine::kCode + 0x81) << "taken at the next boundary";
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[2], 1u);
  EXPECT_FALSE(m.cpu.nmi_blocked()) << "the handler's IRET ended the blocking";
}

TEST(Nmi, AnNmiEndsHltWithInterruptsDisabledAndTheHandlerReturnsAfterIt) {
  SystemGuest m;
  m.gate(2, kHandler, SystemGuest::kInterruptGate, 0);
  m.load_asm(guest(" cli\n hlt\n mov ebx, 7\n"));
  ASSERT_EQ(m.run(), StopReason::Halted) << "nothing in this machine raises NMI by itself";
  m.cpu.raise_nmi();  // as a device would while the CPU waits
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut), 1u);
  EXPECT_EQ(m.mem<u32>(kOut + 4), TestMachine::kCode + 0x82) << "the frame returns after HLT";
  EXPECT_EQ(m.r(EBX), 7u);
}

TEST(Nmi, AnNmiRaisedInTheNmiHandlerWaitsForItsIretAndInterruptsTheCodeIretReturnsTo) {
  SystemGuest m;
  m.gate(2, kHandler, SystemGuest::kInterruptGate, 0);
  m.load_asm(guest(" nop\n nop\n mov ebx, 5\n"));
  m.cpu.raise_nmi();
  // Stop inside the handler, after its first instruction, and raise a second NMI there.
  ASSERT_EQ(m.run_to(TestMachine::kCode + kHandler + 6), StopReason::Breakpoint);
  EXPECT_TRUE(m.cpu.nmi_blocked());
  m.cpu.raise_nmi();
  m.cpu.raise_nmi();  // a third while one is latched is the same request
  const u32 iret_at = TestMachine::kCode + kHandler + 6 + 3 + 7 + 6;
  ASSERT_EQ(m.run_to(iret_at), StopReason::Breakpoint);
  EXPECT_EQ(m.mem<u32>(kOut), 1u) << "the latched NMI waits while the handler runs";
  EXPECT_TRUE(m.cpu.nmi_pending());
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut), 2u) << "one latched NMI, delivered once";
  EXPECT_EQ(m.mem<u32>(kOut + 4), TestMachine::kCode) << "the first NMI came before the first instruction";
  EXPECT_EQ(m.mem<u32>(kOut + 8), TestMachine::kCode)
      << "taken right after IRET, at the code it returned to, not at the IRET";
  EXPECT_EQ(m.r(EBX), 5u);
}

TEST(Nmi, AnNmiWaitsOutTheMovSsShadow) {
  SystemGuest m;
  m.gate(2, kHandler, SystemGuest::kInterruptGate, 0);
  // mov ax, ss (3 bytes), mov ss, ax (2), inc ebx (1): the NMI raised after MOV SS comes after INC.
  m.load_asm(guest(" mov ax, ss\n mov ss, ax\n inc ebx\n nop\n"));
  ASSERT_EQ(m.run_to(TestMachine::kCode + 0x85), StopReason::Breakpoint);
  m.cpu.raise_nmi();
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut + 4), TestMachine::kCode + 0x86);
  EXPECT_EQ(m.r(EBX), 1u);
}

TEST(Nmi, AnNmiGoesBeforeAPendingMaskableInterrupt) {
  SystemGuest m;
  struct OnePic {
    int pending = 1;
    static bool is_pending(void* p) { return static_cast<OnePic*>(p)->pending > 0; }
    static u8 ack(void* p) {
      --static_cast<OnePic*>(p)->pending;
      return 0x30;
    }
  } pic;
  m.cpu.interrupt_controller = {&OnePic::is_pending, &OnePic::ack, &pic};
  m.gate(2, kHandler, SystemGuest::kInterruptGate, 0);
  m.gate(0x30, 0x70, SystemGuest::kInterruptGate, 0);
  m.load_asm(" jmp start\n" + std::string(kNmiHandler) +
             ".org 0x70\n mov [0x100040], ecx\n iretd\n.org 0x80\nstart:\n nop\n nop\n");
  m.cpu.eflags |= eflags::IF;
  m.cpu.raise_nmi();
  ASSERT_EQ(m.run(), StopReason::Breakpoint) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(kOut), 1u);
  // The NMI handler's ECX is its count (0): the INTR handler ran after it, once the NMI gate cleared IF and
  // its IRET set it again.
  EXPECT_EQ(m.mem<u32>(0x100040), 0u);
  EXPECT_EQ(pic.pending, 0);
  EXPECT_EQ(m.cpu.interrupt_stats.by_vector[0x30], 1u);
}

TEST(Nmi, AnIretThatFaultsStillEndsNmiBlocking) {
  SystemGuest m;
  m.gate(2, kHandler, SystemGuest::kInterruptGate, 0);
  m.gate(13, 0x70, SystemGuest::kInterruptGate, 0);
  // The #GP handler records that it ran and halts; the NMI handler's stack frame is spoiled first (CS 0).
  m.load_asm(" jmp start\n.org 0x40\n mov dword ptr [esp + 4], 0\n iretd\n"
             ".org 0x70\n mov dword ptr [0x100040], 1\n cli\n hlt\n.org 0x80\nstart:\n nop\n");
  m.cpu.raise_nmi();
  ASSERT_EQ(m.run(), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(m.mem<u32>(0x100040), 1u) << "IRET to a null CS is #GP(0)";
  EXPECT_FALSE(m.cpu.nmi_blocked());
}

}  // namespace
}  // namespace ring1::test
