// sched_op(cmd, arg) (xen/sched.h; Xen 3.x's do_sched_op) and the older sched_op_compat(cmd, arg), whose
// shutdown takes the reason itself rather than a pointer to it. ring1 runs one domain with one vCPU, so
// yielding gives the CPU to nobody; blocking and polling wait for an event, the modelled clock jumping to
// the next timer deadline as it does in a native HLT; shutdown ends the run with its reason.
#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

using xen::err::kEFAULT;
using xen::err::kEINVAL;
using xen::err::kENOSYS;
using xen::err::kEPERM;

// The reasons Xen accepts today (SHUTDOWN_MAX = soft_reset); Xen 3.x took any byte, later ones refuse more.
i32 shut_down(Hypervisor& hv, u32 reason) {
  if (reason > xen::kShutdownSoftReset) return -kEINVAL;
  hv.shutdown(reason);
  return 0;
}

}  // namespace

i32 do_sched_op(Hypervisor& hv, const HypercallArgs& a) {
  switch (a.a1) {
    case xen::kSchedopYield:
      // Nobody else to run. A back end waiting for the guest (GRUB spins on yield until its console ring
      // drains) has had its notification already; input that arrived is handed over.
      hv.yield();
      return 0;
    case xen::kSchedopBlock:
      hv.block();
      return 0;
    case xen::kSchedopShutdown: {
      u32 reason;  // struct sched_shutdown { unsigned int reason; }
      if (!hv.guest().read(LinearAddr{a.a2}, reason)) return -kEFAULT;
      return shut_down(hv, reason);
    }
    case xen::kSchedopPoll: {
      xen::SchedPoll p;
      if (!hv.guest().read(LinearAddr{a.a2}, p)) return -kEFAULT;
      if (p.nr_ports > xen::kSchedPollMaxPorts) return -kEINVAL;
      u32 ports[xen::kSchedPollMaxPorts];
      if (p.nr_ports && !hv.guest().copy_from(LinearAddr{p.ports}, ports, p.nr_ports * 4)) return -kEFAULT;
      for (u32 i = 0; i < p.nr_ports; ++i)
        if (ports[i] >= EventChannels::kPorts) return -kEINVAL;
      hv.poll(ports, p.nr_ports, p.timeout);
      return 0;
    }
    case xen::kSchedopRemoteShutdown:
      return -kEPERM;  // shutting another domain down is the control domain's right
    case xen::kSchedopShutdownCode: {
      u32 reason;
      if (!hv.guest().read(LinearAddr{a.a2}, reason)) return -kEFAULT;
      if (reason > xen::kShutdownSoftReset) return -kEINVAL;
      hv.shutdown_code = reason;
      return 0;
    }
    default: return -kENOSYS;  // watchdog and pin_override came after Xen 3.x
  }
}

// sched_op_compat(cmd, arg): hypercall 6, Xen 3.0's form; SCHEDOP_shutdown's argument is the reason.
i32 do_sched_op_compat(Hypervisor& hv, const HypercallArgs& a) {
  switch (a.a1) {
    case xen::kSchedopYield:
    case xen::kSchedopBlock: return do_sched_op(hv, a);
    case xen::kSchedopShutdown: return shut_down(hv, a.a2);
    default: return -kENOSYS;
  }
}

}  // namespace ring1::hv
