// A guest's virtual CPU as the hypervisor keeps it (Xen: struct vcpu's arch.pv state): the virtual IDT the
// guest registered with set_trap_table, its kernel stack for bounces from ring 3 (stack_switch), its event
// and failsafe callbacks, and where its vcpu_info lives in the shared-info page.
#pragma once
#include <array>

#include "common/types.h"

namespace ring1::hv {

// One trap_info entry (xen/include/public/arch-x86/xen.h): flags bits 0-1 are the DPL (which rings may
// raise it with INT n), bit 2 asks for event delivery to be masked on entry, like an interrupt gate.
struct VirtualTrap {
  u16 cs = 0;
  u32 address = 0;
  u8 flags = 0;
  bool present() const { return (cs & ~3u) != 0; }
  u8 dpl() const { return flags & 3; }
  bool masks_events() const { return flags & 4; }
};

struct VirtualCpu {
  std::array<VirtualTrap, 256> traps{};
  u16 kernel_ss = 0;
  u32 kernel_sp = 0;
  u16 event_cs = 0, failsafe_cs = 0;
  u32 event_eip = 0, failsafe_eip = 0;
  bool failsafe_masks_events = false;  // CALLBACKF_mask_events on the failsafe callback (callback_op)
  u32 nmi_eip = 0;                     // CALLBACKTYPE_nmi (registered; ring1 models no NMI)
  u32 vcpu_info = 0;  // machine address of vcpu_info[0] in the shared-info page
  u8 syscall_vector = 0;  // the vector installed directly in the IDT (0: none)
  u32 gdt_frame[14] = {};  // set_gdt: the machine frames of the guest's GDT pages
  u32 gdt_frames = 0;
  // Port I/O permission (physdev_op set_iopl / set_iobitmap; Xen's v->arch.iopl, iobmp, iobmp_limit): the
  // virtual IOPL, and a guest-memory bitmap of ports allowed below iobmp_limit. The real EFLAGS.IOPL stays 0,
  // so every IN/OUT from the guest traps and is checked against these (privileged_op.h).
  u8 iopl = 0;
  u32 iobmp = 0;
  u32 iobmp_limit = 0;
  // The guest's debug registers (Xen's guest_context.debugreg), at their architectural reset values
  // (DR6 0xFFFF0FF0, DR7 0x400; SDM vol. 3, 17.2). ring1's processor matches no breakpoint.
  std::array<u32, 8> debugreg{0, 0, 0, 0, 0, 0, 0xFFFF0FF0u, 0x400u};
};

}  // namespace ring1::hv
