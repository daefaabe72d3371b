// The hypervisor's entry path, end to end on the emulated CPU: a guest kernel in ring 1 makes hypercalls
// through int 0x82, takes a page fault and a #GP that the hypervisor bounces to its handlers (CR2 in
// vcpu_info.arch.cr2), runs a ring 3 task whose int 0x80 reaches ring 1 through the direct gate without
// entering the hypervisor, and shuts the domain down. The guest is hand-built here (page tables, shared
// info); the domain builder will do this for real kernels.
#include <gtest/gtest.h>

#include "hypervisor/pv_guest.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

using test::PvGuest;
using test::kKernelStack;
using test::kUserStack;
using test::kSharedInfo;

// Hypercall helpers in the guest's assembly: number in EAX, arguments in EBX, ECX, EDX (xen-x86_32.h).
const std::string kPrologue = R"(
  jmp start
  .align 8
traps:
  .byte 14, 0
  .word 0xe019
  .long pf_handler
  .byte 13, 0
  .word 0xe019
  .long gp_handler
  .byte 0x80, 3
  .word 0xe019
  .long syscall_handler
  .byte 0x81, 3 | 4
  .word 0xe019
  .long slow_syscall_handler
  .long 0, 0
msg: .ascii "hello from ring 1\n"
shutdown_reason: .long 0
)";

TEST(HypervisorEntry, HypercallsReachTheHypervisorThroughInt0x82AndReturnTheirResultInEax) {
  PvGuest g(kPrologue + R"(
start:
  mov eax, 18          # console_io(CONSOLEIO_write, 18, msg)
  mov ebx, 0
  mov ecx, 18
  mov edx, offset msg
  int 0x82
  mov [0x1000], eax
  mov eax, 17          # xen_version(XENVER_version)
  mov ebx, 0
  int 0x82
  mov [0x1004], eax
  mov eax, 77          # no such hypercall
  int 0x82
  mov [0x1008], eax
  mov eax, 18          # console_io with a pointer into the hypervisor's 64 MB
  mov ebx, 0
  mov ecx, 4
  mov edx, 0xfc400000
  int 0x82
  mov [0x100c], eax
  mov eax, 29          # sched_op(SCHEDOP_shutdown, &reason)
  mov ebx, 2
  mov ecx, offset shutdown_reason
  int 0x82
pf_handler:
gp_handler:
syscall_handler:
slow_syscall_handler:
  hlt
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error();
  EXPECT_EQ(g.hv.hv_log(), "(d1) hello from ring 1\n");  // console_io: the hypervisor's log, not the console
  EXPECT_EQ(g.hv.console(), "");
  EXPECT_EQ(g.word(0x1000), 0u);
  EXPECT_EQ(g.word(0x1004), 0x30000u);
  EXPECT_EQ(i32(g.word(0x1008)), -xen::err::kENOSYS);
  EXPECT_EQ(i32(g.word(0x100c)), -xen::err::kEFAULT);  // never read: the pointer is the hypervisor's
  EXPECT_EQ(g.hv.state(), DomainState::Shutdown);
  EXPECT_EQ(g.hv.shutdown_reason(), xen::kShutdownPoweroff);
  EXPECT_EQ(g.hv.stats().hypercalls[18], 2u);
  // Every hypercall is a real gate transition ring 1 -> ring 0 and an IRET back.
  EXPECT_EQ(g.m.cpu().interrupt_stats.deliveries[1][0], 5u);
  EXPECT_EQ(g.m.cpu().interrupt_stats.returns[0][1], 4u);  // the shutdown's IRET never runs
}

TEST(HypervisorEntry, APageFaultIsBouncedToTheGuestHandlerWithCr2InVcpuInfo) {
  PvGuest g(kPrologue + R"(
start:
  mov eax, 0           # set_trap_table(traps)
  mov ebx, offset traps
  int 0x82
  mov eax, [0x500123]  # unmapped: #PF
  mov [0x1010], eax    # the handler "fixed" it by returning 0x1234 in EAX and skipping the load
  mov eax, 29
  mov ebx, 2
  mov ecx, offset shutdown_reason
  int 0x82
pf_handler:
  mov eax, [0x20008]   # vcpu_info.arch.cr2
  mov [0x1000], eax
  mov eax, [esp]       # error code
  mov [0x1004], eax
  mov eax, [esp + 8]   # CS of the faulting code (upcall mask in bits 16-23)
  mov [0x1008], eax
  mov [0x100c], esp
  add esp, 4           # drop the error code
  add dword ptr [esp], 5   # skip the 5-byte load
  mov eax, 0x1234
  iretd
gp_handler:
syscall_handler:
slow_syscall_handler:
  hlt
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.m.cpu().host_error() << g.hv.crash_message();
  EXPECT_EQ(g.hv.state(), DomainState::Shutdown) << g.hv.crash_message();
  EXPECT_EQ(g.word(0x1000), 0x500123u);
  EXPECT_EQ(g.word(0x1004), 0u);  // not present, read, supervisor (ring 1 is supervisor to paging)
  EXPECT_EQ(g.word(0x1008), 0xe019u);
  EXPECT_EQ(g.word(0x100c), kKernelStack - 16);  // same ring: EFLAGS, CS, EIP, error code on its own stack
  EXPECT_EQ(g.word(0x1010), 0x1234u);
  EXPECT_EQ(g.hv.stats().bounces[14], 1u);
}

TEST(HypervisorEntry, APrivilegedInstructionInRingOneIsBouncedAsGeneralProtection) {
  PvGuest g(kPrologue + R"(
start:
  mov eax, 0
  mov ebx, offset traps
  int 0x82
  mov eax, cr3         # privileged: #GP(0) into the hypervisor, bounced to gp_handler
  hlt
gp_handler:
  mov eax, [esp + 4]
  mov [0x1000], eax    # the faulting EIP
  mov eax, 29
  mov ebx, 2
  mov ecx, offset shutdown_reason
  int 0x82
pf_handler:
syscall_handler:
slow_syscall_handler:
  hlt
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.hv.crash_message();
  EXPECT_EQ(g.hv.state(), DomainState::Shutdown) << g.hv.crash_message();
  EXPECT_EQ(g.hv.stats().bounces[13], 1u);
  EXPECT_NE(g.word(0x1000), 0u);
}

TEST(HypervisorEntry, SystemCallsFromRingThreeTakeTheDirectGateAndOthersGoThroughTheHypervisor) {
  PvGuest g(kPrologue + R"(
start:
  mov eax, 0
  mov ebx, offset traps
  int 0x82
  mov eax, 3           # stack_switch(FLAT_RING1_SS, kernel stack)
  mov ebx, 0xe021
  mov ecx, 0x90000
  int 0x82
  push 0xe033          # IRET to ring 3: SS, ESP, EFLAGS, CS, EIP
  push 0x80000
  pushfd
  push 0xe02b
  push offset user
  iretd
user:
  mov ax, 0xe033       # the IRET to ring 3 nulled DS (DPL 1 < CPL 3: SDM vol. 2, IRET)
  mov ds, ax
  mov eax, 1
  int 0x80             # direct: ring 3 -> ring 1, no hypervisor
  int 0x80
  int 0x81             # registered with the event mask flag: not direct, through the hypervisor
  mov eax, 2
  int 0x80
user_spin:
  jmp user_spin
syscall_handler:
  mov [0x1000 + eax * 4], esp
  inc dword ptr [0x1100]
  cmp eax, 2
  je done
  iretd
slow_syscall_handler:
  mov [0x1200], esp
  mov ecx, [esp]       # EIP after the int 0x81
  mov [0x1204], ecx
  iretd
done:
  mov eax, 29
  mov ebx, 2
  mov ecx, offset shutdown_reason
  int 0x82
pf_handler:
gp_handler:
  hlt
)");
  ASSERT_EQ(g.run(), StopReason::Requested) << g.hv.crash_message();
  EXPECT_EQ(g.hv.state(), DomainState::Shutdown) << g.hv.crash_message();
  EXPECT_EQ(g.word(0x1100), 3u);
  // The CPU switched to TSS.SS1:ESP1 (set by stack_switch) and pushed SS, ESP, EFLAGS, CS, EIP.
  EXPECT_EQ(g.word(0x1004), kKernelStack - 20);
  EXPECT_EQ(g.word(0x1200), kKernelStack - 20);  // the bounce builds the same frame
  const Cpu& c = g.m.cpu();
  EXPECT_EQ(c.interrupt_stats.deliveries[3][1], 3u);  // the direct gate, three times
  EXPECT_EQ(g.hv.stats().syscalls_via_hypervisor, 1u);
  EXPECT_EQ(c.interrupt_stats.by_vector[0x80], 3u);
}

TEST(HypervisorEntry, AnExceptionWithNoGuestHandlerCrashesTheDomainNotRing1) {
  PvGuest g(kPrologue + R"(
start:
  mov eax, [0x500000]
pf_handler:
gp_handler:
syscall_handler:
slow_syscall_handler:
  hlt
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.hv.state(), DomainState::Crashed);
  EXPECT_NE(g.hv.crash_message().find("exception 14"), std::string::npos) << g.hv.crash_message();
}

TEST(HypervisorEntry, AHandlerWithABadCodeSelectorCrashesTheDomainWhenTheBounceReturns) {
  PvGuest g(R"(
  jmp start
  .align 8
traps:
  .byte 14, 0
  .word 0x0ff9
  .long 0x100000
  .long 0, 0
start:
  mov eax, 0
  mov ebx, offset traps
  int 0x82
  mov eax, [0x500000]
  hlt
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.hv.state(), DomainState::Crashed);
  EXPECT_NE(g.hv.crash_message().find("in the hypervisor"), std::string::npos) << g.hv.crash_message();
}

}  // namespace
}  // namespace ring1::hv
