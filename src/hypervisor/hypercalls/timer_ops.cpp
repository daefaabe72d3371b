// The vCPU's timers and state: set_timer_op(deadline) (hypercall 15; the 64-bit system time in EBX low,
// ECX high on x86_32) and vcpu_op(cmd, vcpuid, arg) (xen/vcpu.h; Xen 3.x's do_vcpu_op) for the single-shot
// and periodic timers and the questions a guest asks about vCPU 0. Deadlines are absolute system time in
// nanoseconds; the timer raises VIRQ_TIMER at the first instruction boundary at which the modelled clock
// has reached them (VirtualTime::cycles_at).
#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

using xen::err::kEEXIST;
using xen::err::kEFAULT;
using xen::err::kEINVAL;
using xen::err::kENOENT;
using xen::err::kENOSYS;
using xen::err::kETIME;

constexpr u64 kHugeTimeoutDelay = 100'000'000;  // 100 ms (see do_set_timer_op)

// A timer changed: one already due fires now, so its upcall is delivered on this very return to the guest
// (Xen's timer softirq runs before the exit path checks for events); the CPU's next timed event follows.
void timers_changed(Hypervisor& hv) {
  hv.fire_due_timers();
  hv.arm_timers();
}

}  // namespace

// Xen 3.x's do_set_timer_op: 0 stops the single-shot timer; a deadline that is negative or more than 2^50 ns
// (about 13 days) ahead is taken as a guest's wrapped jiffies and becomes a tick 100 ms from now; any other
// deadline, past ones included, is set as it is.
i32 do_set_timer_op(Hypervisor& hv, const HypercallArgs& a) {
  const u64 deadline = (u64(a.a2) << 32) | a.a1;
  VcpuTimers& t = hv.timers();
  const u64 now = hv.now_ns();
  if (deadline == 0) {
    t.singleshot.reset();
  } else if (static_cast<i64>(deadline) < 0 || (deadline > now && ((deadline - now) >> 50) != 0)) {
    t.singleshot = now + kHugeTimeoutDelay;
  } else {
    t.singleshot = deadline;
  }
  timers_changed(hv);
  return 0;
}

i32 do_vcpu_op(Hypervisor& hv, const HypercallArgs& a) {
  const u32 cmd = a.a1, vcpuid = a.a2, arg = a.a3;
  if (vcpuid >= xen::kMaxVirtCpus) return -kEINVAL;
  if (vcpuid != 0) return -kENOENT;  // one vCPU per domain
  VcpuTimers& t = hv.timers();
  switch (cmd) {
    case xen::vcpuop::kInitialise: return -kEEXIST;  // vCPU 0 was initialised by the domain builder
    case xen::vcpuop::kUp: return 0;
    case xen::vcpuop::kIsUp: return 1;
    case xen::vcpuop::kDown:
      // The domain's only vCPU goes down: nothing is left to bring it up again.
      hv.vcpu_down();
      return 0;
    case xen::vcpuop::kGetRunstateInfo: {
      xen::VcpuRunstateInfo r{};
      const u64 now = hv.now_ns();
      const u64 blocked = VirtualTime::scale(hv.stats().blocked_cycles, hv.time().scale());
      r.state = static_cast<i32>(xen::kRunstateRunning);
      r.state_entry_time = hv.last_wake_ns();
      r.time[xen::kRunstateRunning] = now > blocked ? now - blocked : 0;
      r.time[xen::kRunstateBlocked] = blocked;
      return hv.guest().write(LinearAddr{arg}, r) ? 0 : -kEFAULT;
    }
    case xen::vcpuop::kSetPeriodicTimer: {
      xen::VcpuSetPeriodicTimer p;
      if (!hv.guest().read(LinearAddr{arg}, p)) return -kEFAULT;
      if (p.period_ns < VcpuTimers::kMinPeriodNs) return -kEINVAL;
      t.period = p.period_ns;
      timers_changed(hv);
      return 0;
    }
    case xen::vcpuop::kStopPeriodicTimer:
      t.period = 0;
      timers_changed(hv);
      return 0;
    case xen::vcpuop::kSetSingleshotTimer: {
      xen::VcpuSetSingleshotTimer s;
      if (!hv.guest().read(LinearAddr{arg}, s)) return -kEFAULT;
      if ((s.flags & xen::kVcpuSshottmrFuture) && s.timeout_abs_ns < hv.now_ns()) return -kETIME;
      t.singleshot = s.timeout_abs_ns;
      timers_changed(hv);
      return 0;
    }
    case xen::vcpuop::kStopSingleshotTimer:
      t.singleshot.reset();
      timers_changed(hv);
      return 0;
    default:
      // register_runstate_memory_area, register_vcpu_info and later commands are not modelled.
      return -kENOSYS;
  }
}

}  // namespace ring1::hv
