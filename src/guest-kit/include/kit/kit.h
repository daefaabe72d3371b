// kit.h: what a guest kernel built with the kit provides and receives. The guest writes kmain(); the kit's
// start-of-day calls it once the machine is set up (native: descriptor tables, interrupts routed and masked,
// paging on with RAM identity-mapped, CR0.WP on; paravirtual: the trap table registered, events masked, the
// kit's own page tables built, pinned and loaded over the pseudo-physical RAM) and passes its return value to
// plat_exit.
#pragma once
#include <stdint.h>

int kmain(void);

// What the boot loader told the kit.
struct kit_boot {
  uint32_t ram_end;     // RAM is usable, and identity-mapped, from 4 KiB up to here
  const char *cmdline;  // the kernel command line ("" if none)
  // Frames in [__kernel_end, alloc_start) belong to the boot loader and are mapped read-only, never allocated
  // (paravirtual: the phys-to-machine list, start_info, the console ring, the bootstrap page tables and stack
  // Xen's domain builder put after the kernel). Native: alloc_start = __kernel_end, an empty range.
  uint32_t alloc_start;
};
extern struct kit_boot kit_boot;

// The kernel image's extent, from the linker script (src/guest-kit/kernel.ld).
extern char __kernel_start[], __kernel_text_end[], __kernel_end[];
// The pages holding USER_SOURCES code and data: mapped user-accessible so that ring 3 can run them.
extern char __user_start[], __user_end[];
