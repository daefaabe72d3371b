// hello: the smallest kit guest. The kit has already set up the machine (descriptor tables, paging on) when
// kmain runs; printf goes to the console (COM1), and kmain's return value is the exit status written to
// isa-debug-exit, which ring1 (like QEMU) turns into the process status (value << 1) | 1.
#include "kit/console.h"
#include "kit/kit.h"
#include "kit/x86.h"

int kmain(void) {
  printf("hello from a ring1 guest kernel in ring %u\n", current_ring());
  printf("the loader gave it %u MiB of RAM\n", kit_boot.ram_end >> 20);
  return 0;
}
