// event_channel_op(cmd, arg) and its Xen 3.0 form event_channel_op_compat(op) (xen/event_channel.h; Xen's
// do_event_channel_op): the argument structure is read from the guest, the command done by the domain's
// EventChannels, and for the commands with results (the port allocated, the status) the structure written
// back. A command succeeds with 0 and the port in the structure, not in EAX. The upcall that may follow
// (an unmask that uncovers a pending port, an IPI to oneself) happens on the way back to the guest.
#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

namespace op = xen::evtchnop;
using xen::err::kEFAULT;
using xen::err::kEINVAL;
using xen::err::kENOSYS;
using xen::err::kEPERM;

constexpr u32 kNrPirqs = 256;  // NR_PIRQS on x86: larger pirqs are -EINVAL, the others not this domain's

// Reads the structure, runs `f` on it, writes it back when `f` succeeded and `out` asks for it.
template <class T, class F>
i32 with_arg(Hypervisor& hv, u32 arg, bool out, F f) {
  T a;
  if (!hv.guest().read(LinearAddr{arg}, a)) return -kEFAULT;
  const i32 rc = f(a);
  if (rc == 0 && out && !hv.guest().write(LinearAddr{arg}, a)) return -kEFAULT;
  return rc;
}

// A port-returning EventChannels call as the hypercall answers it: 0 with the port stored, or -errno.
template <class T>
i32 port_result(i32 r, T& port_field) {
  if (r < 0) return r;
  port_field = static_cast<u32>(r);
  return 0;
}

i32 event_channel_op(Hypervisor& hv, u32 cmd, u32 arg) {
  EventChannels& ev = hv.events();
  switch (cmd) {
    case op::kAllocUnbound:
      return with_arg<xen::EvtchnAllocUnbound>(hv, arg, true, [&](auto& a) {
        return port_result(ev.alloc_unbound(a.dom, a.remote_dom), a.port);
      });
    case op::kBindInterdomain:
      return with_arg<xen::EvtchnBindInterdomain>(hv, arg, true, [&](auto& a) {
        return port_result(ev.bind_interdomain(a.remote_dom, a.remote_port), a.local_port);
      });
    case op::kBindVirq:
      return with_arg<xen::EvtchnBindVirq>(hv, arg, true,
                                           [&](auto& a) { return port_result(ev.bind_virq(a.virq, a.vcpu), a.port); });
    case op::kBindIpi:
      return with_arg<xen::EvtchnBindIpi>(hv, arg, true, [&](auto& a) { return port_result(ev.bind_ipi(a.vcpu), a.port); });
    case op::kBindPirq:
      // Physical IRQs belong to the domains given access to them (dom0); a domU has none.
      return with_arg<xen::EvtchnBindPirq>(hv, arg, false, [&](auto& a) { return a.pirq >= kNrPirqs ? -kEINVAL : -kEPERM; });
    case op::kClose:
      return with_arg<xen::EvtchnPort>(hv, arg, false, [&](auto& a) { return ev.close(a.port); });
    case op::kSend:
      return with_arg<xen::EvtchnPort>(hv, arg, false, [&](auto& a) { return ev.send(a.port); });
    case op::kStatus:
      return with_arg<xen::EvtchnStatus>(hv, arg, true, [&](auto& a) { return ev.status(a.dom, a.port, a); });
    case op::kBindVcpu:
      return with_arg<xen::EvtchnBindVcpu>(hv, arg, false, [&](auto& a) { return ev.bind_vcpu(a.port, a.vcpu); });
    case op::kUnmask:
      return with_arg<xen::EvtchnPort>(hv, arg, false, [&](auto& a) { return ev.unmask(a.port); });
    case op::kReset:
      return with_arg<xen::EvtchnReset>(hv, arg, false, [&](auto& a) { return ev.reset(a.dom); });
    default:
      // EVTCHNOP_init_control, expand_array, set_priority (the FIFO ABI) and later came after Xen 3.x.
      return -kENOSYS;
  }
}

}  // namespace

// event_channel_op(cmd, arg): Xen 3.2's hypercall 32.
i32 do_event_channel_op(Hypervisor& hv, const HypercallArgs& a) { return event_channel_op(hv, a.a1, a.a2); }

// event_channel_op_compat(struct evtchn_op *op): hypercall 16, the Xen 3.0 form. The command is the
// structure's first word and its arguments the union after it (Xen: do_event_channel_op_compat).
i32 do_event_channel_op_compat(Hypervisor& hv, const HypercallArgs& a) {
  u32 cmd;
  if (!hv.guest().read(LinearAddr{a.a1}, cmd)) return -kEFAULT;
  return event_channel_op(hv, cmd, a.a1 + 4);
}

}  // namespace ring1::hv
