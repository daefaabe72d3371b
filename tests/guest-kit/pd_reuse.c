// pd_reuse: reuses a page-directory frame for a new address space and must read the new space's data, not
// the old one's: a TLB that keeps entries per address space (--tlb tagged, like PCIDs) finds the old
// translations under the reused directory's tag unless the kernel flushes every address space's entries.
// The kit's plat_flush_tlb does (natively a CR4.PGE toggle, SDM vol. 3, 4.10.4.1; under Xen
// MMUEXT_TLB_FLUSH_LOCAL); a CR3 reload would not. Runs natively and with --pv, in every layout.

#include "kit/console.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/platform.h"

#define X 0x50000000u

int kmain(void) {
  uint32_t old_data = frame_alloc(), new_data = frame_alloc();
  *(volatile uint32_t *)old_data = 111;
  *(volatile uint32_t *)new_data = 222;

  uint32_t a = space_create();
  space_map(a, X, old_data, 0);
  plat_mmu_flush();
  plat_write_cr3(a);
  uint32_t first = *(volatile uint32_t *)X;  // cached under a's directory
  plat_write_cr3(kernel_pd);
  space_destroy(a);

  uint32_t b = space_create();  // the frame a had: the allocator hands freed frames back first
  space_map(b, X, new_data, 0);
  plat_mmu_flush();
  plat_flush_tlb();
  plat_write_cr3(b);
  uint32_t second = *(volatile uint32_t *)X;
  plat_write_cr3(kernel_pd);
  printf("directory frame reused: %s; X read %u, then %u in the new space\n", a == b ? "yes" : "no", first, second);
  return second == 222 ? 0 : 1;
}
