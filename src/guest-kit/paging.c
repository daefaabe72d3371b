// paging.c: page-table helpers over identity-mapped RAM (see include/kit/paging.h). A page-directory entry
// is made present, writable and user for every page table: the CPU ANDs the U/S and R/W bits of both levels
// (SDM vol. 3, 4.6.1), so the page-table entry alone decides each page's access.
#include "kit/paging.h"

#include "kit/console.h"
#include "kit/kit.h"
#include "kit/platform.h"

#define PDE_TABLE (PTE_P | PTE_W | PTE_U)

uint32_t kernel_pd;

static uint32_t *pd_entry(uint32_t pd, uint32_t va) { return (uint32_t *)pd + (va >> 22); }

// The page-table entry for va in directory pd, allocating its page table first if create is set; 0 if absent
// and !create. A new table is zeroed while it is still an ordinary frame, then announced (Xen: made
// read-only) before it is hooked in.
static uint32_t *pt_entry(uint32_t pd, uint32_t va, bool create) {
  uint32_t *pde = pd_entry(pd, va);
  uint32_t e = plat_get_pde(pde);
  if (!(e & PTE_P)) {
    if (!create) return 0;
    uint32_t table = frame_alloc();
    plat_pt_alloc(table, 1);
    e = table | PDE_TABLE;
    plat_set_pde(pde, e);
  }
  return (uint32_t *)(e & PAGE_MASK) + ((va >> 12) & 0x3ff);
}

void page_map(uint32_t va, uint32_t pa, uint32_t flags) {
  plat_map_current(pt_entry(kernel_pd, va, true), va, (pa & PAGE_MASK) | flags | PTE_P);
}

void page_unmap(uint32_t va) {
  uint32_t *pte = pt_entry(kernel_pd, va, false);
  if (pte) plat_map_current(pte, va, 0);
}

uint32_t page_entry(uint32_t va) {
  uint32_t *pte = pt_entry(kernel_pd, va, false);
  return pte ? plat_get_pte(pte) : 0;
}

uint32_t space_create(void) {
  uint32_t pd = frame_alloc();
  // Plain copies: the directory is an ordinary frame until plat_pt_alloc makes it one (Xen validates every
  // entry when it is pinned).
  const uint32_t *from = (const uint32_t *)kernel_pd;
  uint32_t *to = (uint32_t *)pd;
  for (unsigned i = 0; i < 1024; i++) to[i] = from[i];
  plat_pt_alloc(pd, 2);
  return pd;
}

void space_map(uint32_t pd, uint32_t va, uint32_t pa, uint32_t flags) {
  plat_set_pte(pt_entry(pd, va, true), (pa & PAGE_MASK) | flags | PTE_P);
}

void space_unmap(uint32_t pd, uint32_t va) {
  uint32_t *pte = pt_entry(pd, va, false);
  if (pte) plat_set_pte(pte, 0);
}

void space_destroy(uint32_t pd) {
  plat_mmu_flush();
  // Unpinning first (Xen) drops the directory's type, and with it the type of every table it held.
  plat_pt_free(pd, 2);
  const uint32_t *kernel = (const uint32_t *)kernel_pd, *own = (const uint32_t *)pd;
  for (unsigned i = 0; i < 1024; i++) {
    if (!(own[i] & PTE_P) || own[i] == kernel[i]) continue;  // empty, or the kernel's table
    uint32_t table = plat_get_pde(&own[i]) & PAGE_MASK;
    plat_pt_free(table, 1);
    frame_free(table);
  }
  frame_free(pd);
}

// One table of the identity map, from physical address base. Inlined twice, for each platform, so that the
// native loop carries no test for what only Xen needs: the directory and tables [protect_from, protect_to)
// mapped read-only, and machine frames in the entries.
static inline __attribute__((always_inline)) void fill_table(uint32_t *pt, uint32_t base, uint32_t ram_end, bool pv,
                                                             uint32_t protect_from, uint32_t protect_to) {
  for (uint32_t i = 0, pa = base; i < 1024 && pa < ram_end; i++, pa += PAGE_SIZE) {
    uint32_t flags = PTE_P | PTE_W;
    if (pa >= (uint32_t)__kernel_start && pa < (uint32_t)__kernel_text_end) flags = PTE_P;  // text, rodata
    if (pa >= (uint32_t)__kernel_end && pa < kit_boot.alloc_start) flags = PTE_P;          // the boot loader's
    if (pv && pa >= protect_from && pa < protect_to) flags = PTE_P;
    if (pa >= (uint32_t)__user_start && pa < (uint32_t)__user_end) flags |= PTE_U;
    if (pa) pt[i] = pv ? plat_machine_entry(pa | flags) : pa | flags;  // page 0 unmapped: null pointers fault
  }
}

void paging_build_identity_map(uint32_t ram_end) {
  // Every frame of the new tables first, so that the map can make them read-only where the platform needs it:
  // fresh frames from the bump allocator, so consecutive.
  uint32_t tables = (ram_end + 1024 * PAGE_SIZE - 1) / (1024 * PAGE_SIZE);
  kernel_pd = frame_alloc();
  uint32_t first_table = frame_alloc();
  for (uint32_t t = 1; t < tables; t++)
    if (frame_alloc() != first_table + t * PAGE_SIZE) panic("page-table frames are not consecutive");
  uint32_t tables_end = first_table + tables * PAGE_SIZE;

  uint32_t *pd = (uint32_t *)kernel_pd;
  bool pv = kit_plat->page_tables_read_only;
  for (uint32_t t = 0; t < tables; t++) {
    uint32_t *pt = (uint32_t *)(first_table + t * PAGE_SIZE);
    if (pv) {
      pd[t] = plat_machine_entry((uint32_t)pt | PDE_TABLE);
      fill_table(pt, t << 22, ram_end, true, kernel_pd, tables_end);
    } else {
      pd[t] = (uint32_t)pt | PDE_TABLE;
      fill_table(pt, t << 22, ram_end, false, 0, 0);
    }
  }
}
