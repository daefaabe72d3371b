// The hypercalls a guest needs before anything else (XEN-REFERENCE.md 2.10): the emergency console
// (console_io), the version queries, vm_assist, and the scheduler operations that yield, block and shut
// the domain down.
#include <algorithm>
#include <cerrno>
#include <cstring>

#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/layout.h"
#include "hypervisor/xen_public.h"

namespace ring1::hv {
namespace {

// The interface ring1 implements is the non-PAE xen-3.0-x86_32 one (XEN-NOTES.md).
constexpr u32 kVersion = (3u << 16) | 0u;
constexpr char kExtraVersion[] = "-ring1";
constexpr char kCapabilities[] = "xen-3.0-x86_32";
// Xen writes a console buffer out in pieces and can preempt itself between them; ring1 has no hypercall
// continuations, so one call takes at most this much (larger counts are -EINVAL).
constexpr u32 kMaxConsoleWrite = 1u << 20;

template <std::size_t N>
i32 copy_string(Hypervisor& hv, u32 dst, const char (&src)[N], u32 size) {
  char buf[1024] = {};
  std::memcpy(buf, src, std::min<std::size_t>(N, size - 1));
  return hv.guest().write(dst, buf, size) ? 0 : -EFAULT;
}

}  // namespace

// console_io(cmd, count, buffer): CONSOLEIO_write prints to the hypervisor's console; CONSOLEIO_read
// returns how many bytes it read, and ring1's console has no input.
i32 do_console_io(Hypervisor& hv, const HypercallArgs& a) {
  switch (a.a1) {
    case CONSOLEIO_write: {
      if (a.a2 > kMaxConsoleWrite) return -EINVAL;
      char buf[256];
      for (u32 done = 0; done < a.a2;) {
        const u32 n = std::min<u32>(sizeof(buf), a.a2 - done);
        if (!hv.guest().read(a.a3 + done, buf, n)) return -EFAULT;
        hv.console_write(buf, n);
        done += n;
      }
      return 0;
    }
    case CONSOLEIO_read: return 0;
    default: return -ENOSYS;
  }
}

// xen_version(cmd, arg) (xen/include/public/version.h).
i32 do_xen_version(Hypervisor& hv, const HypercallArgs& a) {
  switch (a.a1) {
    case XENVER_version: return static_cast<i32>(kVersion);
    case XENVER_extraversion: return copy_string(hv, a.a2, kExtraVersion, sizeof(xen_extraversion_t));
    case XENVER_capabilities: return copy_string(hv, a.a2, kCapabilities, sizeof(xen_capabilities_info_t));
    case XENVER_platform_parameters: {
      const u32 virt_start = kVirtStart;
      return hv.guest().write(a.a2, virt_start) ? 0 : -EFAULT;
    }
    case XENVER_get_features: {
      // struct xen_feature_info { unsigned submap_idx; uint32_t submap; }: ring1 offers no optional
      // feature (no writable page tables, no auto-translated physmap, no supervisor-mode kernel).
      u32 info[2];
      if (!hv.guest().read(a.a2, info, 8)) return -EFAULT;
      info[1] = 0;
      return hv.guest().write(a.a2, info, 8) ? 0 : -EFAULT;
    }
    case XENVER_pagesize: return 4096;
    default: return -ENOSYS;
  }
}

// vm_assist(cmd, type): ring1 honours no assist that changes behaviour (4 GB segments, writable page
// tables), so it refuses them rather than pretend. pae_extended_cr3 only describes how a PAE CR3 is
// packed; without PAE it changes nothing and is accepted (GRUB asks for it first).
i32 do_vm_assist(Hypervisor&, const HypercallArgs& a) {
  if (a.a1 != VMASST_CMD_enable && a.a1 != VMASST_CMD_disable) return -EINVAL;
  if (a.a2 == VMASST_TYPE_pae_extended_cr3) return 0;
  return -EINVAL;
}

// sched_op(cmd, arg) (xen/include/public/sched.h).
i32 do_sched_op(Hypervisor& hv, const HypercallArgs& a) {
  switch (a.a1) {
    case SCHEDOP_yield: return 0;  // one domain, one vCPU: it runs on
    case SCHEDOP_block:
      // Blocks until an event. ring1 has no event sources yet, so nothing could wake it: the run ends as
      // a native HLT with interrupts off does.
      hv.cpu().request_stop(StopReason::Halted);
      return 0;
    case SCHEDOP_shutdown: {
      sched_shutdown s;
      if (!hv.guest().read(a.a2, s)) return -EFAULT;
      hv.shutdown(s.reason);
      return 0;
    }
    default: return -ENOSYS;
  }
}

HypercallHandler hypercall_handler(u32 nr) {
  switch (nr) {
    case __HYPERVISOR_set_trap_table: return &do_set_trap_table;
    case __HYPERVISOR_stack_switch: return &do_stack_switch;
    case __HYPERVISOR_set_callbacks: return &do_set_callbacks;
    case __HYPERVISOR_fpu_taskswitch: return &do_fpu_taskswitch;
    case __HYPERVISOR_iret: return &do_iret;
    case __HYPERVISOR_console_io: return &do_console_io;
    case __HYPERVISOR_xen_version: return &do_xen_version;
    case __HYPERVISOR_vm_assist: return &do_vm_assist;
    case __HYPERVISOR_sched_op: return &do_sched_op;
    default: return nullptr;
  }
}

}  // namespace ring1::hv
