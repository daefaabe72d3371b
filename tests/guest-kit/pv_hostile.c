// pv_hostile: a paravirtual kit kernel that breaks Xen's memory rules on purpose, to show the hypervisor
// holding them from the guest's side (xen/arch/x86/mm.c; the paper's 3.3.3): its page directory is read-only
// to it, so a plain store to it is a page fault bounced back to its own handler; asking for a writable
// mapping of a page-table frame is refused with -EINVAL, and so is mapping a machine frame not its own.

#include "kit/console.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/trap.h"
#include "kit/xen.h"

static void on_page_fault(struct trap_frame *f) {
  printf("page fault bounced to the guest: address %08x, error %x, ring %u\n", plat_fault_address(), f->error,
         frame_ring(f));
  f->eip += 2;  // skip the faulting `mov %ecx, (%edx)` (89 0a)
}

int kmain(void) {
  if (!plat_is_pv()) {
    printf("pv_hostile: run me with --pv\n");
    return 1;
  }
  plat_set_trap(VEC_PF, on_page_fault, false);

  uint32_t *slot = (uint32_t *)kernel_pd + 0x300;  // an empty directory slot (0xC0000000)
  __asm__ volatile("mov %%ecx, (%%edx)" ::"d"(slot), "c"(0x00200067u) : "memory");
  printf("the directory slot still reads %08x\n", *slot);

  uint32_t table = plat_get_pde((uint32_t *)kernel_pd + (kernel_pd >> 22)) & PAGE_MASK;
  const uint32_t *mapping = (const uint32_t *)table + ((kernel_pd >> 12) & 0x3ff);
  struct mmu_update writable = {.ptr = virt_to_machine(mapping),
                                .val = ((uint64_t)pfn_to_mfn(kernel_pd >> 12) << 12) | PTE_P | PTE_W};
  unsigned done = 99;
  int rc = HYPERVISOR_mmu_update(&writable, 1, &done, DOMID_SELF);
  printf("mmu_update mapping the page directory writable: %d, %u done\n", rc, done);

  rc = HYPERVISOR_update_va_mapping(0x1000, (uint32_t)__MACH2PHYS_VIRT_START_NONPAE | PTE_P, UVMF_INVLPG);
  printf("update_va_mapping of a machine frame the domain does not own: %d\n", rc);
  return 0;
}
