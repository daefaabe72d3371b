// The event, time and scheduling part of the Xen x86_32 PV ABI, for host C++ (xen_abi.h includes it): the
// EVTCHNOP_* commands and their argument structures (xen/event_channel.h), the virtual IRQs (xen/xen.h),
// callback_op (xen/callback.h), the timer and vCPU operations (xen/vcpu.h) and sched_poll (xen/sched.h).
// Layouts are those a 32-bit guest compiler gives (pack(4)); tests/hypervisor/abi_test.cpp and the guest-side
// check (abi_guest_check_gen.cpp) compare every number and field with Debian's headers.
#pragma once
#include "cpu/types.h"

namespace ring1::xen {

namespace err {
inline constexpr i32 kENOSPC = 28;
inline constexpr i32 kETIME = 62;
}  // namespace err

// ---- event_channel_op commands (event_channel.h EVTCHNOP_*) ----
namespace evtchnop {
inline constexpr u32 kBindInterdomain = 0;
inline constexpr u32 kBindVirq = 1;
inline constexpr u32 kBindPirq = 2;
inline constexpr u32 kClose = 3;
inline constexpr u32 kSend = 4;
inline constexpr u32 kStatus = 5;
inline constexpr u32 kAllocUnbound = 6;
inline constexpr u32 kBindIpi = 7;
inline constexpr u32 kBindVcpu = 8;
inline constexpr u32 kUnmask = 9;
inline constexpr u32 kReset = 10;
}  // namespace evtchnop

// EVTCHNOP_status answers (EVTCHNSTAT_*).
namespace evtchnstat {
inline constexpr u32 kClosed = 0;
inline constexpr u32 kUnbound = 1;
inline constexpr u32 kInterdomain = 2;
inline constexpr u32 kPirq = 3;
inline constexpr u32 kVirq = 4;
inline constexpr u32 kIpi = 5;
}  // namespace evtchnstat

// The 2-level ABI's port count on x86_32: 32 words of 32 bits (EVTCHN_2L_NR_CHANNELS = NR_EVENT_CHANNELS).
inline constexpr u32 kNrEventChannels = 1024;

// Virtual IRQs (xen.h VIRQ_*). NR_VIRQS is 24 in Xen 3.x and today.
namespace virq {
inline constexpr u32 kTimer = 0;
inline constexpr u32 kDebug = 1;
inline constexpr u32 kConsole = 2;
inline constexpr u32 kDomExc = 3;
inline constexpr u32 kTbuf = 4;
inline constexpr u32 kDebugger = 6;
inline constexpr u32 kXenoprof = 7;
inline constexpr u32 kConRing = 8;
inline constexpr u32 kCount = 24;
}  // namespace virq

// callback_op (callback.h).
inline constexpr u32 kCallbackopRegister = 0;
inline constexpr u32 kCallbackopUnregister = 1;
namespace callbacktype {
inline constexpr u32 kEvent = 0;
inline constexpr u32 kFailsafe = 1;
inline constexpr u32 kSyscall = 2;
inline constexpr u32 kSysenter = 3;  // CALLBACKTYPE_sysenter_deprecated, the x86_32 one
inline constexpr u32 kNmi = 4;
inline constexpr u32 kSyscall32 = 7;
}  // namespace callbacktype
inline constexpr u32 kCallbackfMaskEvents = 1u << 0;

// vcpu_op commands (vcpu.h VCPUOP_*).
namespace vcpuop {
inline constexpr u32 kInitialise = 0;
inline constexpr u32 kUp = 1;
inline constexpr u32 kDown = 2;
inline constexpr u32 kIsUp = 3;
inline constexpr u32 kGetRunstateInfo = 4;
inline constexpr u32 kSetPeriodicTimer = 6;
inline constexpr u32 kStopPeriodicTimer = 7;
inline constexpr u32 kSetSingleshotTimer = 8;
inline constexpr u32 kStopSingleshotTimer = 9;
}  // namespace vcpuop
inline constexpr u32 kVcpuSshottmrFuture = 1u << 0;
inline constexpr u32 kRunstateRunning = 0;
inline constexpr u32 kRunstateBlocked = 2;
inline constexpr u32 kMaxVirtCpus = 32;  // XEN_LEGACY_MAX_VCPUS: the vCPU ids a 32-bit guest may name

// sched_op commands beyond xen_abi.h's (sched.h).
inline constexpr u32 kSchedopPoll = 3;
inline constexpr u32 kSchedopRemoteShutdown = 4;
inline constexpr u32 kSchedopShutdownCode = 5;
inline constexpr u32 kShutdownSoftReset = 5;
inline constexpr u32 kSchedPollMaxPorts = 128;  // Xen's do_poll refuses more (-EINVAL)

#pragma pack(push, 4)

struct EvtchnAllocUnbound {
  u16 dom, remote_dom;
  u32 port;
};
struct EvtchnBindInterdomain {
  u16 remote_dom;
  u32 remote_port;
  u32 local_port;
};
struct EvtchnBindVirq {
  u32 virq;
  u32 vcpu;
  u32 port;
};
struct EvtchnBindPirq {
  u32 pirq;
  u32 flags;
  u32 port;
};
struct EvtchnBindIpi {
  u32 vcpu;
  u32 port;
};
struct EvtchnPort {  // evtchn_close, evtchn_send, evtchn_unmask: one port
  u32 port;
};
struct EvtchnStatus {
  u16 dom;
  u32 port;
  u32 status;
  u32 vcpu;
  union {
    struct {
      u16 dom;
    } unbound;
    struct {
      u16 dom;
      u32 port;
    } interdomain;
    u32 pirq;
    u32 virq;
  } u;
};
struct EvtchnBindVcpu {
  u32 port;
  u32 vcpu;
};
struct EvtchnReset {
  u16 dom;
};
// struct evtchn_op (event_channel_op_compat's argument): the command and the largest of the above.
struct EvtchnOp {
  u32 cmd;
  union {
    EvtchnAllocUnbound alloc_unbound;
    EvtchnBindInterdomain bind_interdomain;
    EvtchnBindVirq bind_virq;
    EvtchnBindPirq bind_pirq;
    EvtchnBindIpi bind_ipi;
    EvtchnPort close;
    EvtchnPort send;
    EvtchnStatus status;
    EvtchnBindVcpu bind_vcpu;
    EvtchnPort unmask;
  } u;
};

// struct callback_register / callback_unregister; xen_callback_t is {cs, eip} on x86_32.
struct CallbackRegister {
  u16 type;
  u16 flags;
  u32 cs;
  u32 eip;
};
struct CallbackUnregister {
  u16 type;
  u16 unused;
};

struct VcpuSetPeriodicTimer {
  u64 period_ns;
};
struct VcpuSetSingleshotTimer {
  u64 timeout_abs_ns;
  u32 flags;
};
struct VcpuRunstateInfo {
  i32 state;
  u64 state_entry_time;
  u64 time[4];
};

struct SchedPoll {
  u32 ports;  // guest pointer to evtchn_port_t[nr_ports]
  u32 nr_ports;
  u64 timeout;
};

#pragma pack(pop)

static_assert(sizeof(EvtchnStatus) == 24);
static_assert(sizeof(EvtchnOp) == 28);
static_assert(sizeof(CallbackRegister) == 12);
static_assert(sizeof(VcpuSetSingleshotTimer) == 12);
static_assert(sizeof(VcpuRunstateInfo) == 44);
static_assert(sizeof(SchedPoll) == 16);

}  // namespace ring1::xen
