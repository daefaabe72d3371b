// The hypercalls a guest needs before anything else (XEN-REFERENCE.md 2.10): the emergency console
// (console_io) and vm_assist. The version queries are in xen_version.cpp, the scheduler operations in
// sched_op.cpp.
#include <algorithm>
#include <cstring>

#include "hypervisor/hypercalls/hypercalls.h"
#include "hypervisor/hypervisor.h"
#include "hypervisor/layout.h"
#include "hypervisor/xen_abi.h"

namespace ring1::hv {
namespace {

// Xen writes a console buffer out in pieces and can preempt itself between them; ring1 has no hypercall
// continuations, so one call takes at most this much (larger counts are -xen::err::kEINVAL).
constexpr u32 kMaxConsoleWrite = 1u << 20;

}  // namespace

// console_io(cmd, count, buffer): xen::kConsoleIoWrite prints to the hypervisor's console; xen::kConsoleIoRead
// returns how many bytes it read, and ring1's console has no input.
i32 do_console_io(Hypervisor& hv, const HypercallArgs& a) {
  switch (a.a1) {
    case xen::kConsoleIoWrite: {
      if (a.a2 > kMaxConsoleWrite) return -xen::err::kEINVAL;
      char buf[256];
      for (u32 done = 0; done < a.a2;) {
        const u32 n = std::min<u32>(sizeof(buf), a.a2 - done);
        if (!hv.guest().copy_from(LinearAddr{a.a3 + done}, buf, n)) return -xen::err::kEFAULT;
        hv.console_write(buf, n);
        done += n;
      }
      return 0;
    }
    case xen::kConsoleIoRead: return 0;
    default: return -xen::err::kENOSYS;
  }
}

// vm_assist(cmd, type), as Xen 3.2 answers it (xen/common/domain.c, vm_assist): a type above
// MAX_VMASST_TYPE (3 in Xen 3.x) is -EINVAL, a command other than enable/disable -ENOSYS, and the domain's
// assist bit is set or cleared. Xen 3.x acted on two of those bits and ring1 does neither, so it refuses to
// enable them (-EINVAL) rather than say yes and then not do it:
//   4gb_segments: Xen emulated accesses through segments that wrap past 4 GiB (x86_32 seg_fixup.c);
//   writable_pagetables: Xen emulated direct guest writes to its page tables (ptwr_do_page_fault).
// 4gb_segments_notify only asks to be told when that emulation happens (it never does here), and
// pae_extended_cr3 only says how a PAE CR3 is packed (and turns on XENFEAT_pae_pgdir_above_4gb, as in Xen);
// both are accepted. Disabling any type is accepted: it asks for nothing ring1 does.
i32 do_vm_assist(Hypervisor& hv, const HypercallArgs& a) {
  const u32 cmd = a.a1, type = a.a2;
  if (type > xen::kMaxVmasstTypeXen32) return -xen::err::kEINVAL;
  u32& bits = hv.domain().vm_assist;
  switch (cmd) {
    case xen::kVmasstCmdEnable:
      if (type == xen::kVmasstType4gbSegments || type == xen::kVmasstTypeWritablePagetables)
        return -xen::err::kEINVAL;
      bits |= 1u << type;
      return 0;
    case xen::kVmasstCmdDisable: bits &= ~(1u << type); return 0;
    default: return -xen::err::kENOSYS;
  }
}

}  // namespace ring1::hv
