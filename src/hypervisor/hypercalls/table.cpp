// The hypercall table: number -> handler (xen/include/public/xen.h, __HYPERVISOR_*). Numbers not listed
// answer -ENOSYS, as Xen does for a hypercall it does not implement.
#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {

HypercallHandler hypercall_handler(u32 nr) {
  switch (nr) {
    case xen::hypercall::kSetTrapTable: return &do_set_trap_table;
    case xen::hypercall::kStackSwitch: return &do_stack_switch;
    case xen::hypercall::kSetCallbacks: return &do_set_callbacks;
    case xen::hypercall::kFpuTaskswitch: return &do_fpu_taskswitch;
    case xen::hypercall::kIret: return &do_iret;
    case xen::hypercall::kConsoleIo: return &do_console_io;
    case xen::hypercall::kXenVersion: return &do_xen_version;
    case xen::hypercall::kVmAssist: return &do_vm_assist;
    case xen::hypercall::kSchedOp: return &do_sched_op;
    case xen::hypercall::kMmuUpdate: return &do_mmu_update;
    case xen::hypercall::kMmuextOp: return &do_mmuext_op;
    case xen::hypercall::kUpdateVaMapping: return &do_update_va_mapping;
    case xen::hypercall::kMulticall: return &do_multicall;
    case xen::hypercall::kSetGdt: return &do_set_gdt;
    case xen::hypercall::kUpdateDescriptor: return &do_update_descriptor;
    case xen::hypercall::kGrantTableOp: return &do_grant_table_op;
    case xen::hypercall::kPhysdevOp: return &do_physdev_op;
    case xen::hypercall::kPhysdevOpCompat: return &do_physdev_op_compat;
    case xen::hypercall::kEventChannelOp: return &do_event_channel_op;
    case xen::hypercall::kEventChannelOpCompat: return &do_event_channel_op_compat;
    case xen::hypercall::kSchedOpCompat: return &do_sched_op_compat;
    case xen::hypercall::kSetTimerOp: return &do_set_timer_op;
    case xen::hypercall::kVcpuOp: return &do_vcpu_op;
    case xen::hypercall::kCallbackOp: return &do_callback_op;
    case xen::hypercall::kMemoryOp: return &do_memory_op;
    default: return nullptr;
  }
}

}  // namespace ring1::hv
