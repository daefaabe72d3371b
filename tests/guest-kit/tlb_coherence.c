// tlb_coherence: a paravirtual kit kernel that tries to write one of its own page tables through a stale
// writable TLB entry (issue 11's reproducer). It maps a frame writable, writes it (a dirty, writable TLB
// entry), removes every writable mapping of it without flushing that entry, has the frame validated as a page
// table of another address space, and then stores through the old translation an entry that would map that
// space's pinned page directory writable. Xen's rule (mm.c, _get_page_type with tlbflush_timestamp) flushes
// every TLB that may still map the frame before it becomes a page table, so each store must fault instead,
// whatever the layout (--hv-layout) and TLB kind (--tlb): the stale entry may belong to the current address
// space or, on a tagged TLB, to one that is not current.

#include "kit/console.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/trap.h"
#include "kit/xen.h"

#define X 0x50000000u  // where address space A maps the frame writable
#define Y 0x60000000u  // where address space B hooks the frame in as its page table

static volatile unsigned faults;

static void on_page_fault(struct trap_frame *f) {
  faults++;
  printf("  page fault at %08x, error %x\n", plat_fault_address(), f->error);
  f->eip += 2;  // skip the faulting `mov %ecx, (%edx)` (89 0a)
}

// A store the page-fault handler can skip; true if it faulted.
static bool store(uint32_t va, uint32_t value) {
  unsigned before = faults;
  __asm__ volatile("mov %%ecx, (%%edx)" ::"d"(va), "c"(value) : "memory");
  return faults != before;
}

enum where { UNMAP_FROM_AWAY, UNMAP_WHILE_CURRENT, IDENTITY_MAPPING };

// One attempt; true if the hypervisor's rule held (the frame and B's directory are untouched).
static bool attempt(const char *what, enum where where) {
  printf("%s:\n", what);
  uint32_t a = space_create(), b = space_create();
  uint32_t f = frame_alloc();  // zeroed through the kernel's writable identity mapping: a dirty entry for f
  uint32_t stale_va = X;
  if (where == IDENTITY_MAPPING) {
    stale_va = f;
    plat_pt_alloc(f, 1);  // the identity mapping becomes read-only, with no INVLPG; sent with the hook-up below
  } else {
    plat_pt_alloc(f, 1);  // only A's mapping will be writable
    space_map(a, X, f, PTE_W);
    plat_mmu_flush();
    plat_write_cr3(a);
    store(X, 0);  // a dirty, writable entry for X in A's address space
    if (where == UNMAP_WHILE_CURRENT) {
      space_unmap(a, X);  // no flush: the entry stays in the TLB
      plat_mmu_flush();
      plat_write_cr3(kernel_pd);
    } else {
      plat_write_cr3(kernel_pd);
      space_unmap(a, X);  // A is not current: nothing the guest can do reaches A's entries on a tagged TLB
      plat_mmu_flush();
    }
  }
  // No writable mapping of f is left: Xen lets it become B's page table for Y.
  plat_set_pde((uint32_t *)b + (Y >> 22), f | PTE_P | PTE_W | PTE_U);
  if (where != IDENTITY_MAPPING) plat_write_cr3(a);
  // Through the stale translation: f[0] would map B's directory writable at Y.
  bool refused = store(stale_va, plat_machine_entry(b | PTE_P | PTE_W));
  if (!refused) {
    plat_write_cr3(b);
    store(Y + 0x140 * 4, 0xdead0000);
  }
  plat_write_cr3(kernel_pd);
  uint32_t f0 = ((volatile uint32_t *)f)[0], b140 = ((volatile uint32_t *)b)[0x140];
  bool held = refused && f0 == 0 && b140 == 0;
  printf("  store through the stale entry %s; f[0]=%x, B[0x140]=%x: %s\n", refused ? "faulted" : "went through", f0,
         b140, held ? "the rule held" : "BROKEN");
  return held;
}

int kmain(void) {
  if (!plat_is_pv()) {
    printf("tlb_coherence: run me with --pv\n");
    return 1;
  }
  plat_set_trap(VEC_PF, on_page_fault, false);
  unsigned broken = 0;
  broken += !attempt("stale entry of an address space that is not current", UNMAP_FROM_AWAY);
  broken += !attempt("stale entry left by an unmap without a flush, then a switch away", UNMAP_WHILE_CURRENT);
  broken += !attempt("stale entry of the kernel's own identity mapping", IDENTITY_MAPPING);
  printf("%u of 3 attempts got through\n", broken);
  return (int)broken;
}
