// paging.c: page-table helpers over the kernel's identity-mapped address space (see include/kit/paging.h).
// A page-directory entry is made present, writable and user for every page table: the CPU ANDs the U/S and R/W
// bits of both levels (SDM vol. 3, 4.6.1), so the page-table entry alone decides each page's access.
#include "kit/paging.h"

#include "kit/kit.h"
#include "kit/platform.h"

uint32_t kernel_pd;

static uint32_t *pd_entry(uint32_t va) { return (uint32_t *)kernel_pd + (va >> 22); }

// The page-table entry for va, allocating its page table first if create is set; 0 if absent and !create.
static uint32_t *pt_entry(uint32_t va, bool create) {
  uint32_t *pde = pd_entry(va);
  if (!(*pde & PTE_P)) {
    if (!create) return 0;
    plat_set_pte(pde, frame_alloc() | PTE_P | PTE_W | PTE_U);
  }
  return (uint32_t *)(*pde & PAGE_MASK) + ((va >> 12) & 0x3ff);
}

void page_map(uint32_t va, uint32_t pa, uint32_t flags) {
  plat_set_pte(pt_entry(va, true), (pa & PAGE_MASK) | flags | PTE_P);
  plat_invlpg(va);
}

void page_unmap(uint32_t va) {
  uint32_t *pte = pt_entry(va, false);
  if (!pte) return;
  plat_set_pte(pte, 0);
  plat_invlpg(va);
}

uint32_t page_entry(uint32_t va) {
  uint32_t *pte = pt_entry(va, false);
  return pte ? *pte : 0;
}

void paging_build_identity_map(uint32_t ram_end) {
  kernel_pd = frame_alloc();
  // One page table at a time, 1024 entries each. Paging is still off, so no TLB flushes are needed.
  for (uint32_t table = 0; table < ram_end; table += 1024 * PAGE_SIZE) {
    uint32_t *pt = (uint32_t *)frame_alloc();
    plat_set_pte(pd_entry(table), (uint32_t)pt | PTE_P | PTE_W | PTE_U);
    for (uint32_t i = 0, pa = table; i < 1024 && pa < ram_end; i++, pa += PAGE_SIZE) {
      uint32_t flags = PTE_P | PTE_W;
      if (pa >= (uint32_t)__kernel_start && pa < (uint32_t)__kernel_text_end) flags = PTE_P;  // text, rodata
      if (pa >= (uint32_t)__user_start && pa < (uint32_t)__user_end) flags |= PTE_U;
      if (pa) plat_set_pte(&pt[i], pa | flags);  // page 0 stays unmapped: null pointers fault
    }
  }
}
