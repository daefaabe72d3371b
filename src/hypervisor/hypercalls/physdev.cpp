// physdev_op(cmd, arg) and its pre-3.0.2 form physdev_op_compat(op): of the physical-device operations a
// domain without devices can use, the two that set its port-I/O permission (xen/include/public/physdev.h;
// Xen 3.2 xen/arch/x86/physdev.c). What the permission then allows is privileged_op.h's business: IN and
// OUT from the guest always trap, and the hypervisor completes them if the virtual IOPL or the guest's I/O
// bitmap allows the port. The interrupt and APIC operations are for domains with physical devices: -ENOSYS.
#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

constexpr u32 kPhysdevopSetIobitmap = 7;
constexpr u32 kIobmpBytes = 65536 / 8;  // IOBMP_BYTES: one bit per port
// struct physdev_op (the compat hypercall's argument): cmd, then a union whose largest member
// (struct physdev_apic: unsigned long, two uint32_t) makes it 16 bytes on x86_32.
constexpr u32 kCompatOpSize = 16;

i32 physdev_op(Hypervisor& hv, u32 cmd, u32 arg) {
  VirtualCpu& v = hv.vcpu();
  switch (cmd) {
    case xen::kPhysdevopSetIopl: {
      u32 iopl;  // struct physdev_set_iopl { uint32_t iopl; }
      if (!hv.guest().read(LinearAddr{arg}, iopl)) return -xen::err::kEFAULT;
      if (iopl > 3) return -xen::err::kEINVAL;
      v.iopl = static_cast<u8>(iopl);
      return 0;
    }
    case kPhysdevopSetIobitmap: {
      u32 op[2];  // struct physdev_set_iobitmap { XEN_GUEST_HANDLE(uint8) bitmap; uint32_t nr_ports; }
      if (!hv.guest().copy_from(LinearAddr{arg}, op, 8)) return -xen::err::kEFAULT;
      // Xen checks only that the whole bitmap lies in guest space (guest_handle_okay); it reads it later.
      if (!array_access_ok(LinearAddr{op[0]}, kIobmpBytes, 1) || op[1] > 65536) return -xen::err::kEINVAL;
      v.iobmp = op[0];
      v.iobmp_limit = op[1];
      return 0;
    }
    default: return -xen::err::kENOSYS;
  }
}

}  // namespace

i32 do_physdev_op(Hypervisor& hv, const HypercallArgs& a) { return physdev_op(hv, a.a1, a.a2); }

// The legacy form reads the whole struct physdev_op first (-EFAULT if it cannot), then runs its command on
// the union that follows the command word (Xen 3.2 xen/arch/x86/compat.c).
i32 do_physdev_op_compat(Hypervisor& hv, const HypercallArgs& a) {
  u32 op[kCompatOpSize / 4];
  if (!hv.guest().copy_from(LinearAddr{a.a1}, op, kCompatOpSize)) return -xen::err::kEFAULT;
  return physdev_op(hv, op[0], a.a1 + 4);
}

}  // namespace ring1::hv
