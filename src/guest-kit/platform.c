// platform.c: what both platforms share behind include/kit/platform.h: the table of operations the entry
// that ran installed, the selectors it set, the boot stack both entries start on, and the small functions
// the kit's assembly calls (it cannot call the header's inline wrappers).
#include "kit/platform.h"

#include "kit/kit.h"
#include "kit/trap.h"

struct kit_boot kit_boot;
const struct plat_ops *kit_plat = &plat_native_ops;
uint16_t plat_kernel_cs, plat_kernel_ds, plat_user_cs, plat_user_ds;

// The stack the entry code (native/multiboot.S, pv/xen_entry.S) switches to first: a multiboot loader leaves
// ESP undefined, and Xen's bootstrap stack lies in the region the kit maps read-only once it has its own
// page tables.
uint8_t kit_boot_stack[16384] __attribute__((aligned(16)));

// Where trap_entry.S's common path hands every trap frame: trap_dispatch natively; the paravirtual platform
// wraps it (pv/traps.c) to take the saved event mask out of the frame and to send queued updates on return.
void (*kit_trap_entry)(struct trap_frame *frame) = trap_dispatch;

void kit_user_enter(uint32_t esp0) {
  kit_plat->set_kernel_stack(esp0);
  kit_plat->user_enter();
}

void kit_user_leave(void) { kit_plat->user_leave(); }
