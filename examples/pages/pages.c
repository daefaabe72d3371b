// pages: a kernel that maps memory on demand, the guest README.md's "Writing a guest of your own" walks
// through. A store to an unmapped address faults; the handler maps a fresh frame there and returns, and the
// CPU restarts the store (a #PF is a fault: the saved EIP is the faulting instruction's, SDM vol. 3, 6.5).
#include "kit/console.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/trap.h"
#include "kit/x86.h"

static void on_page_fault(struct trap_frame *f) {
  uint32_t va = plat_fault_address();
  printf("page fault at %p, error %x: mapping a fresh page\n", (void *)va, f->error);
  page_map(va & PAGE_MASK, frame_alloc(), PTE_W);  // then IRET retries the store
}

int kmain(void) {
  plat_set_trap(VEC_PF, on_page_fault, false);
  uint64_t start = rdtsc();
  *(volatile int *)0x50000000 = 42;  // nothing mapped there yet
  uint64_t cycles = rdtsc() - start;
  printf("stored %d in %llu cycles, page fault included\n", *(volatile int *)0x50000000, cycles);
  return 0;
}
