// callback_op(cmd, arg) (xen/callback.h), the newer way to register what set_callbacks registers, as 32-bit
// Xen 3.x answers it (x86_32 register_guest_callback / unregister_guest_callback): the event and failsafe
// callbacks (the failsafe one may ask for events to be masked on entry), the NMI callback (kept; ring1
// delivers no NMI), SYSENTER refused with -EINVAL on a CPU without it, the 64-bit-only types with -ENOSYS.
// Only the NMI callback can be unregistered; the others answer -EINVAL.
#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

using xen::err::kEFAULT;
using xen::err::kEINVAL;
using xen::err::kENOSYS;
namespace type = xen::callbacktype;

u16 guest_code_selector(u32 sel) {
  const u16 s = static_cast<u16>(sel);
  return (s & 3) == 0 ? static_cast<u16>(s | 1) : s;  // Xen: fixup_guest_code_selector
}

}  // namespace

i32 do_callback_op(Hypervisor& hv, const HypercallArgs& a) {
  VirtualCpu& v = hv.vcpu();
  switch (a.a1) {
    case xen::kCallbackopRegister: {
      xen::CallbackRegister r;
      if (!hv.guest().read(LinearAddr{a.a2}, r)) return -kEFAULT;
      switch (r.type) {
        case type::kEvent:
          v.event_cs = guest_code_selector(r.cs);
          v.event_eip = r.eip;
          return 0;
        case type::kFailsafe:
          v.failsafe_cs = guest_code_selector(r.cs);
          v.failsafe_eip = r.eip;
          v.failsafe_masks_events = (r.flags & xen::kCallbackfMaskEvents) != 0;
          return 0;
        case type::kNmi:
          v.nmi_eip = r.eip;
          return 0;
        case type::kSysenter: return -kEINVAL;  // no SEP: ring1's CPU has no SYSENTER
        default: return -kENOSYS;               // syscall, syscall32, sysenter (64-bit): x86_64 only
      }
    }
    case xen::kCallbackopUnregister: {
      xen::CallbackUnregister u;
      if (!hv.guest().read(LinearAddr{a.a2}, u)) return -kEFAULT;
      if (u.type == type::kNmi) {
        v.nmi_eip = 0;
        return 0;
      }
      return -kEINVAL;
    }
    default: return -kENOSYS;
  }
}

}  // namespace ring1::hv
