// Hypercall handlers, one function each, found by number (xen/include/public/xen.h, __HYPERVISOR_*).
// Arguments arrive in EBX, ECX, EDX, ESI, EDI; the result goes back in EAX: 0 or a value on success, a
// negative errno (Xen's -EINVAL, -EFAULT, ...) on failure (xen-x86_32.h, "Hypercall interface").
#pragma once
#include "common/types.h"

namespace ring1::hv {

class Hypervisor;

struct HypercallArgs {
  u32 a1, a2, a3, a4, a5;
};
using HypercallHandler = i32 (*)(Hypervisor&, const HypercallArgs&);

// Null for a number ring1 does not implement (the caller answers -ENOSYS, as Xen does).
HypercallHandler hypercall_handler(u32 nr);

// The handlers, by group (hypercalls/*.cpp).
i32 do_set_trap_table(Hypervisor&, const HypercallArgs&);
i32 do_stack_switch(Hypervisor&, const HypercallArgs&);
i32 do_set_callbacks(Hypervisor&, const HypercallArgs&);
i32 do_fpu_taskswitch(Hypervisor&, const HypercallArgs&);
i32 do_iret(Hypervisor&, const HypercallArgs&);
i32 do_console_io(Hypervisor&, const HypercallArgs&);
i32 do_xen_version(Hypervisor&, const HypercallArgs&);
i32 do_vm_assist(Hypervisor&, const HypercallArgs&);
i32 do_sched_op(Hypervisor&, const HypercallArgs&);
i32 do_memory_op(Hypervisor&, const HypercallArgs&);
i32 do_mmu_update(Hypervisor&, const HypercallArgs&);
i32 do_mmuext_op(Hypervisor&, const HypercallArgs&);
i32 do_update_va_mapping(Hypervisor&, const HypercallArgs&);
i32 do_multicall(Hypervisor&, const HypercallArgs&);
i32 do_set_gdt(Hypervisor&, const HypercallArgs&);
i32 do_update_descriptor(Hypervisor&, const HypercallArgs&);
i32 do_grant_table_op(Hypervisor&, const HypercallArgs&);
i32 do_physdev_op(Hypervisor&, const HypercallArgs&);
i32 do_physdev_op_compat(Hypervisor&, const HypercallArgs&);
i32 do_event_channel_op(Hypervisor&, const HypercallArgs&);
i32 do_event_channel_op_compat(Hypervisor&, const HypercallArgs&);
i32 do_sched_op_compat(Hypervisor&, const HypercallArgs&);
i32 do_set_timer_op(Hypervisor&, const HypercallArgs&);
i32 do_vcpu_op(Hypervisor&, const HypercallArgs&);
i32 do_callback_op(Hypervisor&, const HypercallArgs&);

}  // namespace ring1::hv
