// Events, time and scheduling end to end on the emulated CPU: a hand-built guest kernel in ring 1 binds ports,
// masks and unmasks, sets timers and blocks, and its event callback records what it saw (a counter at 0x1100,
// the RDTSC of its last run at 0x1104). The rules under test are Xen's: an upcall runs whenever the guest is
// about to resume with evtchn_upcall_pending set and evtchn_upcall_mask clear (on the return from a hypercall,
// or by interrupting the running guest when a timer fires), never while masked, and exactly once for an event
// raised while masked; timers raise VIRQ_TIMER at their exact modelled deadline; blocking jumps the clock.
#include <gtest/gtest.h>

#include "hypervisor/hypervisor.h"
#include "machine/machine.h"
#include "support/test_engine.h"
#include "hypervisor/xen_abi.h"
#include "support/assembler.h"

namespace ring1::hv {
namespace {

constexpr u32 kPd = 0x10000, kPt = 0x11000, kSharedInfo = 0x20000, kConsoleRing = 0x30000, kCode = 0x100000;
constexpr u32 kKernelStack = 0x90000;

struct PvGuest {
  Machine m{[] {
    MachineConfig c;
    c.memory_bytes = 16u << 20;
    return ring1::test::with_test_engine(c);
  }()};
  Hypervisor hv{m.cpu()};
  i32 console_port = 0;

  explicit PvGuest(const std::string& body) {
    for (u32 i = 0; i < 1024; ++i) {
      const u32 pte = (i << 12) | 7;
      m.ram().write_bytes(kPt + i * 4, &pte, 4);
    }
    const u32 pde = kPt | 7;
    m.ram().write_bytes(kPd, &pde, 4);
    hv.space().fill_l2_slots(kPd);
    console_port = hv.set_console_ring(kConsoleRing);
    hv.attach_shared_info(kSharedInfo);
    const std::vector<u8> code = test::assemble(kPrelude + body + kCallbacks, test::Bits::b32, kCode);
    m.ram().write_bytes(kCode, code.data(), u32(code.size()));
    hv.enter_guest(kPd, kCode, kKernelStack, 0);
  }
  StopReason run(u64 max = 20'000'000) {
    RunLimits lim;
    lim.max_instructions = max;
    return m.cpu().run(lim);
  }
  u32 word(u32 addr) {
    u32 v;
    m.ram().read_bytes(addr, &v, 4);
    return v;
  }
  u32 upcalls_seen() { return word(0x1100); }

  // Hypercall macros; EVTCHNOP arguments live at 0x1200 (port results at 0x1204 for bind_ipi/bind_virq+8).
  static inline const std::string kPrelude = R"(
  .macro hcall nr
  mov eax, \nr
  int 0x82
  .endm
  jmp start
  .align 4
shutdown_reason: .long 0
ipi_arg: .long 0, 0
virq_arg: .long 0, 0, 0
port_arg: .long 0
poll_arg: .long 0, 0, 0, 0
  .macro set_callbacks
  mov ebx, 0xe019
  mov ecx, offset upcall
  mov edx, 0xe019
  mov esi, offset failsafe
  hcall 4
  .endm
  .macro bind_ipi
  mov ebx, 7
  mov ecx, offset ipi_arg
  hcall 32
  .endm
  .macro bind_timer_virq
  mov dword ptr [virq_arg], 0
  mov ebx, 1
  mov ecx, offset virq_arg
  hcall 32
  .endm
  .macro evtchn cmd, port
  mov eax, \port
  mov [port_arg], eax
  mov ebx, \cmd
  mov ecx, offset port_arg
  hcall 32
  .endm
  .macro set_timer lo, hi
  mov ebx, \lo
  mov ecx, \hi
  hcall 15
  .endm
  .macro stop_periodic
  mov ebx, 7
  mov ecx, 0
  mov edx, 0
  hcall 24
  .endm
  .macro shutdown reason
  mov dword ptr [shutdown_reason], \reason
  mov ebx, 2
  mov ecx, offset shutdown_reason
  hcall 29
  .endm
  .macro unmask_upcalls
  mov byte ptr [0x20001], 0
  .endm
  .macro mask_upcalls
  mov byte ptr [0x20001], 1
  .endm
)";
  // The event callback: counts, stamps, clears what Xen set (upcall_pending, the selector, the pending
  // words), and returns through the iret hypercall, which restores the saved mask. The failsafe callback
  // records the failed frame's CS and the saved DS, and shuts down.
  static inline const std::string kCallbacks = R"(
upcall:
  inc dword ptr [0x1100]
  push eax
  push edx
  rdtsc
  mov [0x1104], eax
  mov eax, [esp + 8]
  mov [0x1108], eax
  mov byte ptr [0x20000], 0
  mov dword ptr [0x20004], 0
  mov dword ptr [0x20800], 0
  pop edx
  pop eax
  push eax
  hcall 23
failsafe:
  mov eax, [esp + 20]
  mov ecx, [esp]
  pop ds                 # Xen nulled the data segments; the saved ones are on the frame
  pop es
  pop fs
  pop gs
  mov [0x1000], eax
  mov [0x1004], ecx
  shutdown 0
)";
};

TEST(HypervisorEvents, AnIpiSentToItselfRunsTheCallbackOnTheSendsReturn) {
  PvGuest g(R"(
start:
  set_callbacks
  bind_ipi
  unmask_upcalls
  evtchn 4, [ipi_arg + 4]
  mov eax, [0x1100]
  mov [0x1000], eax
  shutdown 0
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.hv.state(), DomainState::Shutdown);
  EXPECT_EQ(g.word(0x1000), 1u);  // the upcall ran before the instruction after the send
  EXPECT_EQ(g.hv.stats().upcalls, 1u);
  EXPECT_EQ(g.hv.stats().event_interrupts, 0u);
  EXPECT_EQ(g.hv.events().counters(2).sent, 1u);  // port 1 is the console's; the IPI is port 2
  EXPECT_EQ(g.hv.events().counters(2).delivered, 1u);
}

TEST(HypervisorEvents, AnEventRaisedWhileMaskedIsDeliveredExactlyOnceAfterTheUnmaskNeverBefore) {
  PvGuest g(R"(
start:
  set_callbacks
  bind_ipi
  mask_upcalls
  evtchn 4, [ipi_arg + 4]
  mov eax, [0x1100]
  mov [0x1000], eax      # 0: masked, held
  hcall 17               # a hypercall while masked delivers nothing either
  mov eax, [0x1100]
  mov [0x1004], eax      # 0
  unmask_upcalls         # a plain store: Xen does not see it until the next return
  mov eax, [0x1100]
  mov [0x1008], eax      # 0
  mov ebx, 0
  hcall 17               # the kick: xen_version(0)
  mov eax, [0x1100]
  mov [0x100c], eax      # 1
  hcall 17
  mov eax, [0x1100]
  mov [0x1010], eax      # still 1: exactly once
  shutdown 0
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.word(0x1000), 0u);
  EXPECT_EQ(g.word(0x1004), 0u);
  EXPECT_EQ(g.word(0x1008), 0u);
  EXPECT_EQ(g.word(0x100c), 1u);
  EXPECT_EQ(g.word(0x1010), 1u);
  EXPECT_EQ(g.hv.stats().upcalls, 1u);
}

TEST(HypervisorEvents, AMaskedPortHoldsItsEventUntilEvtchnopUnmaskDeliversIt) {
  PvGuest g(R"(
start:
  set_callbacks
  bind_ipi
  mov ecx, [ipi_arg + 4]
  bts dword ptr [0x20880], ecx   # evtchn_mask[0] |= 1 << port
  unmask_upcalls
  evtchn 4, [ipi_arg + 4]
  mov eax, [0x1100]
  mov [0x1000], eax      # 0: the port is masked
  evtchn 9, [ipi_arg + 4]  # EVTCHNOP_unmask
  mov eax, [0x1100]
  mov [0x1004], eax      # 1: delivered on the unmask's return
  shutdown 0
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.word(0x1000), 0u);
  EXPECT_EQ(g.word(0x1004), 1u);
  EXPECT_EQ(g.hv.events().counters(2).held_port_masked, 1u);  // port 1 is the console's
}

TEST(HypervisorEvents, TheIretHypercallThatClearsTheMaskDeliversWhatIsPending) {
  PvGuest g(R"(
start:
  set_callbacks
  bind_ipi
  mask_upcalls
  evtchn 4, [ipi_arg + 4]
  pushfd                 # an iret frame with IF set: "unmask on return"
  or dword ptr [esp], 0x200
  push 0xe019
  push offset after
  push eax
  hcall 23
after:
  mov eax, [0x1100]
  mov [0x1000], eax      # 1: the upcall ran on the iret's return, before this instruction
  shutdown 0
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.word(0x1000), 1u);
}

TEST(HypervisorEvents, ATimerInterruptsTheRunningGuestAtItsExactDeadline) {
  PvGuest g(R"(
start:
  set_callbacks
  stop_periodic
  bind_timer_virq
  unmask_upcalls
  set_timer 50000, 0     # 50 us of system time: cycle 50000 at 1 GHz
spin:
  cmp dword ptr [0x1100], 0
  je spin
  shutdown 0
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.hv.stats().timer_events, 1u);
  EXPECT_EQ(g.hv.stats().event_interrupts, 1u);
  EXPECT_EQ(g.hv.stats().upcalls, 1u);
  // The interrupt is taken at the first instruction boundary at or after cycle 50000; the callback's RDTSC
  // adds the interrupt, the stub, the entry and the bounce, all modelled: an exact count.
  EXPECT_GE(g.word(0x1104), 50000u);
  EXPECT_EQ(g.word(0x1104), 50281u);
}

TEST(HypervisorEvents, SchedopBlockJumpsTheClockToTheTimerAndTheUpcallRunsOnItsReturn) {
  PvGuest g(R"(
start:
  set_callbacks
  stop_periodic
  bind_timer_virq
  set_timer 1000000, 0   # 1 ms
  mask_upcalls           # block unmasks by itself
  mov ebx, 1
  hcall 29               # SCHEDOP_block
  mov eax, [0x1100]
  mov [0x1000], eax
  shutdown 0
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.word(0x1000), 1u);
  EXPECT_EQ(g.hv.stats().blocks, 1u);
  EXPECT_GE(g.word(0x1104), 1'000'000u);
  EXPECT_EQ(g.hv.stats().timer_events, 1u);
  EXPECT_EQ(g.hv.stats().event_interrupts, 0u);
  EXPECT_EQ(g.m.cpu().cycles - g.hv.stats().blocked_cycles < 1'000'000, true);
  EXPECT_EQ(g.hv.stats().blocked_cycles, 998'775u);  // from the block hypercall's handler to the deadline
}

TEST(HypervisorEvents, BlockingWithNothingArmedEndsTheRunWithTheDomainBlocked) {
  PvGuest g(R"(
start:
  set_callbacks
  stop_periodic
  mov ebx, 1
  hcall 29
  shutdown 0
)");
  EXPECT_EQ(g.run(), StopReason::Halted);
  EXPECT_EQ(g.hv.state(), DomainState::Blocked);
  EXPECT_NE(g.hv.crash_message().find("no timer armed"), std::string::npos);
}

TEST(HypervisorEvents, XensDefaultPeriodicTickComesEveryTenMilliseconds) {
  PvGuest g(R"(
start:
  set_callbacks
  bind_timer_virq
  unmask_upcalls
spin:
  cmp dword ptr [0x1100], 2
  jb spin
  shutdown 0
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.hv.stats().timer_events, 2u);
  EXPECT_GE(g.word(0x1104), 20'000'000u);
  EXPECT_LT(g.word(0x1104), 20'001'000u);
}

TEST(HypervisorEvents, SchedopPollReturnsAtItsTimeoutOrAtOnceForAPendingPort) {
  PvGuest g(R"(
start:
  set_callbacks
  stop_periodic
  bind_ipi
  mov dword ptr [poll_arg], offset ipi_arg + 4
  mov dword ptr [poll_arg + 4], 1
  mov dword ptr [poll_arg + 8], 2000000   # timeout: 2 ms of system time
  mov ebx, 3
  mov ecx, offset poll_arg
  hcall 29
  mov [0x1000], eax
  rdtsc
  mov [0x1004], eax
  mask_upcalls
  evtchn 4, [ipi_arg + 4]
  mov ebx, 3
  mov ecx, offset poll_arg
  hcall 29               # pending already: no wait
  mov [0x1008], eax
  mov dword ptr [poll_arg + 4], 129
  mov ebx, 3
  mov ecx, offset poll_arg
  hcall 29
  mov [0x100c], eax
  shutdown 0
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.word(0x1000), 0u);
  EXPECT_GE(g.word(0x1004), 2'000'000u);
  EXPECT_EQ(g.word(0x1008), 0u);
  EXPECT_EQ(i32(g.word(0x100c)), -xen::err::kEINVAL);
  EXPECT_EQ(g.hv.stats().blocks, 1u);
}

TEST(HypervisorEvents, AReturnThatFaultsOnItsCodeSegmentGoesToTheFailsafeCallback) {
  PvGuest g(R"(
start:
  set_callbacks
  pushfd
  push 0x0009            # GDT entry 1: not present
  push offset start
  push eax
  hcall 23
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.hv.state(), DomainState::Shutdown) << g.hv.crash_message();
  EXPECT_EQ(g.hv.stats().failsafe_callbacks, 1u);
  EXPECT_EQ(g.word(0x1000) & 0xFFFF, 0x9u);      // the failed frame's CS
  EXPECT_EQ(g.word(0x1004) & 0xFFFF, 0xe021u);   // the guest's DS, saved at the bottom of the frame
}

TEST(HypervisorEvents, CallbackOpRegistersTheEventCallbackAndAnswersOtherTypesAsXen3Does) {
  PvGuest g(R"(
start:
  mov ebx, 0             # CALLBACKOP_register {type event, flags 0, cs, eip}
  mov ecx, offset reg_event
  hcall 30
  mov [0x1000], eax
  mov ebx, 0
  mov ecx, offset reg_syscall
  hcall 30
  mov [0x1004], eax      # -ENOSYS: 64-bit only
  mov ebx, 0
  mov ecx, offset reg_sysenter
  hcall 30
  mov [0x1008], eax      # -EINVAL: no SYSENTER
  mov ebx, 1
  mov ecx, offset reg_event
  hcall 30
  mov [0x100c], eax      # -EINVAL: the event callback cannot be unregistered
  mov ebx, 1
  mov ecx, offset reg_nmi
  hcall 30
  mov [0x1010], eax      # 0
  bind_ipi
  unmask_upcalls
  evtchn 4, [ipi_arg + 4]
  shutdown 0
reg_event: .word 0, 0
  .long 0xe019, upcall
reg_syscall: .word 2, 0
  .long 0xe019, upcall
reg_sysenter: .word 3, 0
  .long 0xe019, upcall
reg_nmi: .word 4, 0
  .long 0xe019, upcall
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.word(0x1000), 0u);
  EXPECT_EQ(i32(g.word(0x1004)), -xen::err::kENOSYS);
  EXPECT_EQ(i32(g.word(0x1008)), -xen::err::kEINVAL);
  EXPECT_EQ(i32(g.word(0x100c)), -xen::err::kEINVAL);
  EXPECT_EQ(g.word(0x1010), 0u);
  EXPECT_EQ(g.upcalls_seen(), 1u);
}

TEST(HypervisorEvents, ALatchedShutdownCodeIsTheReasonTheDomainReports) {
  PvGuest g(R"(
start:
  mov dword ptr [shutdown_reason], 9
  mov ebx, 2
  mov ecx, offset shutdown_reason
  hcall 29
  mov [0x1000], eax      # -EINVAL: no such reason
  mov dword ptr [shutdown_reason], 1
  mov ebx, 5             # SCHEDOP_shutdown_code(reboot)
  mov ecx, offset shutdown_reason
  hcall 29
  shutdown 0
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(i32(g.word(0x1000)), -xen::err::kEINVAL);
  EXPECT_EQ(g.hv.state(), DomainState::Shutdown);
  EXPECT_EQ(g.hv.shutdown_reason(), xen::kShutdownReboot);
}

TEST(HypervisorEvents, TheConsoleRingIsDrainedWhenTheGuestNotifiesItsPortAndNotBefore) {
  PvGuest g(R"(
start:
  mov dword ptr [0x30400], 0x0a6968     # "hi\n" into out[]
  mov dword ptr [0x30c0c], 3            # out_prod
  hcall 17
  mov eax, [0x30c08]
  mov [0x1000], eax                     # out_cons: 0, nobody was told
  evtchn 4, 1                           # EVTCHNOP_send on the console port
  mov eax, [0x30c08]
  mov [0x1004], eax                     # 3: drained on the notification
  shutdown 0
)");
  ASSERT_EQ(g.console_port, 1);
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.word(0x1000), 0u);
  EXPECT_EQ(g.word(0x1004), 3u);
  EXPECT_EQ(g.hv.console(), "hi\n");
  EXPECT_EQ(g.hv.hv_log(), "");
}

TEST(HypervisorEvents, VcpuOpAnswersForVcpuZeroAsXenDoes) {
  PvGuest g(R"(
start:
  mov ebx, 3             # VCPUOP_is_up(0)
  mov ecx, 0
  hcall 24
  mov [0x1000], eax
  mov ebx, 0             # VCPUOP_initialise(0): already
  mov ecx, 0
  hcall 24
  mov [0x1004], eax
  mov ebx, 3             # VCPUOP_is_up(1): no such vCPU
  mov ecx, 1
  hcall 24
  mov [0x1008], eax
  mov ebx, 3             # past XEN_LEGACY_MAX_VCPUS
  mov ecx, 32
  hcall 24
  mov [0x100c], eax
  mov ebx, 6             # VCPUOP_set_periodic_timer under 1 ms
  mov ecx, 0
  mov edx, offset short_period
  hcall 24
  mov [0x1010], eax
  mov ebx, 8             # VCPUOP_set_singleshot_timer in the past with VCPU_SSHOTTMR_future
  mov ecx, 0
  mov edx, offset past_future
  hcall 24
  mov [0x1014], eax
  mov ebx, 4             # VCPUOP_get_runstate_info
  mov ecx, 0
  mov edx, 0x1100 + 0x40
  hcall 24
  mov [0x1018], eax
  shutdown 0
short_period: .long 999999, 0
past_future: .long 0, 0, 1
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.word(0x1000), 1u);
  EXPECT_EQ(i32(g.word(0x1004)), -xen::err::kEEXIST);
  EXPECT_EQ(i32(g.word(0x1008)), -xen::err::kENOENT);
  EXPECT_EQ(i32(g.word(0x100c)), -xen::err::kEINVAL);
  EXPECT_EQ(i32(g.word(0x1010)), -xen::err::kEINVAL);
  EXPECT_EQ(i32(g.word(0x1014)), -xen::err::kETIME);
  EXPECT_EQ(g.word(0x1018), 0u);
  EXPECT_EQ(g.word(0x1140), xen::kRunstateRunning);
}

TEST(HypervisorEvents, ADeadlineAlreadyPastFiresBeforeTheSetTimerOpReturns) {
  PvGuest g(R"(
start:
  set_callbacks
  stop_periodic
  bind_timer_virq
  unmask_upcalls
  set_timer 1, 0         # 1 ns: long past
  mov eax, [0x1100]
  mov [0x1000], eax      # the upcall already ran
  shutdown 0
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.word(0x1000), 1u);
  EXPECT_EQ(g.hv.stats().event_interrupts, 0u);
}

TEST(HypervisorEvents, AnEventPendingWhenAnExceptionIsBouncedRunsItsUpcallFirst) {
  PvGuest g(R"(
start:
  set_callbacks
  mov eax, 0             # set_trap_table: #UD to ud_handler, events not masked
  mov ebx, offset traps
  int 0x82
  bind_ipi
  mask_upcalls
  evtchn 4, [ipi_arg + 4]
  unmask_upcalls         # pending, unmasked by a store: nothing until the next entry
  ud2                    # the #UD bounce is that entry: the upcall frame goes on top of the #UD frame
after_ud:
  shutdown 0
ud_handler:
  mov eax, [0x1100]
  mov [0x1000], eax      # 1: the upcall ran before the handler
  add dword ptr [esp], 2 # skip the ud2
  push eax
  hcall 23
  .align 8
traps:
  .byte 6, 0
  .word 0xe019
  .long ud_handler
  .long 0, 0
)");
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.hv.state(), DomainState::Shutdown) << g.hv.crash_message();
  EXPECT_EQ(g.word(0x1000), 1u);
  EXPECT_EQ(g.hv.stats().bounces[6], 1u);
  EXPECT_EQ(g.hv.stats().upcalls, 1u);
}

// Console input (stdin in the CLI) goes into the ring's `in` half and raises the console port: here it wakes
// a guest blocked with no timer, whose callback then finds the bytes.
TEST(HypervisorEvents, ConsoleInputFillsTheInRingAndWakesTheBlockedGuest) {
  PvGuest g(R"(
start:
  set_callbacks
  stop_periodic
  mov ebx, 1
  hcall 29               # SCHEDOP_block: only input can wake it
  mov eax, [0x30c04]
  mov [0x1000], eax      # in_prod
  mov eax, [0x30000]
  mov [0x1004], eax      # in[0..3]
  shutdown 0
)");
  static const char* input = "ok";
  static u32 at = 0;
  at = 0;
  g.hv.set_console_input([]() -> int { return input[at] ? input[at++] : -1; });
  ASSERT_EQ(g.run(), StopReason::Requested);
  EXPECT_EQ(g.word(0x1000), 2u);
  EXPECT_EQ(g.word(0x1004) & 0xFFFF, u32('o' | ('k' << 8)));
  EXPECT_EQ(g.upcalls_seen(), 1u);
  EXPECT_EQ(g.hv.stats().blocked_cycles, 0u);  // the input was there at once
}

}  // namespace
}  // namespace ring1::hv
