// The PV CPUID policy (Xen 3.2's emulate_forced_invalid_op and cpuid_hypervisor_leaves applied to ring1's
// processor) and the forced-emulation prefix that reaches it: `ud2a; .ascii "xen"; cpuid`.
#include <gtest/gtest.h>

#include "cpu/cpuid.h"
#include "hypervisor/cpuid_policy.h"
#include "hypervisor/pv_guest.h"
#include "machine/machine.h"
#include "support/test_engine.h"

namespace ring1::hv {
namespace {

using test::PvGuest;

// The processor the policy reads (the answers do not depend on its state today).
const Cpu& cpu() {
  static Machine m{[] {
    MachineConfig c;
    c.memory_bytes = 16u << 20;
    return ring1::test::with_test_engine(c);
  }()};
  return m.cpu();
}

TEST(PvCpuidPolicy, Leaf1HidesVmePsePgeSepAndForAnUnprivilegedDomainMtrr) {
  const CpuidResult native = native_cpuid(cpu(), 1);
  ASSERT_TRUE(native.edx & cpuid_bit::kPse);  // ring1's processor has them, so the mask is what removes them
  ASSERT_TRUE(native.edx & cpuid_bit::kPge);
  const CpuidResult pv = pv_cpuid(cpu(), 1, false);
  EXPECT_EQ(pv.edx, native.edx & ~(cpuid_bit::kVme | cpuid_bit::kPse | cpuid_bit::kPge | cpuid_bit::kSep |
                                   cpuid_bit::kMtrr));
  EXPECT_EQ(pv.eax, native.eax);
  EXPECT_TRUE(pv.edx & cpuid_bit::kTsc);
  EXPECT_TRUE(pv.edx & cpuid_bit::kCx8);
}

TEST(PvCpuidPolicy, TheHypervisorLeavesSayXenVmmTheVersionAndTheHypercallPageMsr) {
  const CpuidResult base = pv_cpuid(cpu(), 0x40000000, false);
  EXPECT_EQ(base.eax, 0x40000002u);
  char sig[13] = {};
  std::memcpy(sig, &base.ebx, 4);
  std::memcpy(sig + 4, &base.ecx, 4);
  std::memcpy(sig + 8, &base.edx, 4);
  EXPECT_STREQ(sig, "XenVMMXenVMM");
  EXPECT_EQ(pv_cpuid(cpu(), 0x40000001, false), (CpuidResult{0x00030000, 0, 0, 0}));
  EXPECT_EQ(pv_cpuid(cpu(), 0x40000002, false), (CpuidResult{1, 0x40000000, 0, 0}));
  EXPECT_EQ(pv_cpuid(cpu(), 0x40000003, false), CpuidResult{});  // beyond the last hypervisor leaf: the processor's
}

TEST(PvCpuidPolicy, OtherLeavesAreTheProcessors) {
  EXPECT_EQ(pv_cpuid(cpu(), 0, false), native_cpuid(cpu(), 0));
  EXPECT_EQ(pv_cpuid(cpu(), 2, false), native_cpuid(cpu(), 2));
  EXPECT_EQ(pv_cpuid(cpu(), 0x80000000, false), native_cpuid(cpu(), 0x80000000));
}

const std::string kTraps = R"(
  jmp start
  .align 8
traps:
  .byte 6, 0
  .word 0xe019
  .long ud_handler
  .byte 14, 0
  .word 0xe019
  .long pf_handler
  .long 0, 0
reason: .long 0
shutdown:
  mov eax, 29
  mov ebx, 2
  mov ecx, offset reason
  int 0x82
ud_handler:
  mov eax, [esp]
  mov [0x300100], eax    # where the #UD was
  jmp shutdown
pf_handler:
  mov eax, [0x20008]     # vcpu_info.arch.cr2
  mov [0x300104], eax
  mov eax, [esp + 4]
  mov [0x300108], eax    # the faulting EIP
  jmp shutdown
start:
  mov eax, 0
  mov ebx, offset traps
  int 0x82
)";

TEST(ForcedEmulationCpuid, ThePrefixRunsCpuidUnderThePvPolicyAndResumesAfterSevenBytes) {
  PvGuest g(kTraps + R"(
  mov eax, 0x40000000
  .byte 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2
  mov [0x300000], eax
  mov [0x300004], ebx
  mov [0x300008], ecx
  mov [0x30000c], edx
  mov eax, 1
  .byte 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2
  mov [0x300010], edx
  mov eax, 1
  cpuid                  # plain CPUID is not trapped: the processor's answer
  mov [0x300014], edx
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.hv.state(), DomainState::Shutdown) << g.hv.crash_message();
  EXPECT_EQ(g.word(0x300000), 0x40000002u);
  EXPECT_EQ(g.word(0x300004), 0x566e6558u);  // "XenV"
  EXPECT_EQ(g.word(0x300008), 0x65584d4du);  // "MMXe"
  EXPECT_EQ(g.word(0x30000c), 0x4d4d566eu);  // "nVMM"
  EXPECT_EQ(g.word(0x300010), pv_cpuid(g.m.cpu(), 1, false).edx);
  EXPECT_EQ(g.word(0x300014), native_cpuid(g.m.cpu(), 1).edx);
  EXPECT_EQ(g.hv.stats().bounces[6], 0u);
}

TEST(ForcedEmulationCpuid, ThePrefixBeforeAnythingButCpuidIsAnOrdinaryUdForTheGuest) {
  PvGuest g(kTraps + R"(
  mov eax, 0

  .byte 0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0x32   # ud2a; "xen"; rdmsr: only CPUID is emulated
  jmp shutdown
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.hv.stats().bounces[6], 1u);
  const std::vector<u8> code = ring1::test::assemble(kTraps + "mov eax, 0\n", ring1::test::Bits::b32, test::kCode);
  EXPECT_EQ(g.word(0x300100), test::kCode + code.size());  // the #UD is reported at the ud2a itself
}

TEST(ForcedEmulationCpuid, APrefixRunningIntoAnUnmappedPageIsAPageFaultOnItsFirstUnreadableByte) {
  // ud2a in the last two bytes of the mapped 4 MB; "xen" would be in the unmapped page at 0x400000.
  PvGuest g(kTraps + R"(
  mov eax, 0x3ffffe
  jmp eax
)");
  const u8 ud2[2] = {0x0f, 0x0b};
  g.m.ram().write_bytes(0x3ffffe, ud2, 2);
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.hv.stats().bounces[14], 1u);
  EXPECT_EQ(g.word(0x300104), 0x400000u);
  EXPECT_EQ(g.word(0x300108), 0x3ffffeu);
}

}  // namespace
}  // namespace ring1::hv
