// start_of_day_pv.c: what the paravirtual kit does between Xen's entry (xen_entry.S) and the guest's kmain.
// The domain builder left the kernel in ring 1 on bootstrap page tables that map the kernel and the region
// after it (P2M list, start_info, console ring, the page tables themselves read-only, a stack), with
// pseudo-physical frame p at virtual address p << 12 (VIRT_BASE 0). The kit replaces them with its own
// identity map of all the domain's pseudo-physical RAM, built as the native kit builds its map, so that the
// rest of the kit (paging.c, frames.c) works on physical = virtual addresses exactly as natively:
//   1. read start_info (ESI): memory size, P2M list, shared-info machine address, bootstrap tables;
//   2. register the exception handlers (set_trap_table), so that a fault from here on is reported;
//   3. build the new directory and tables with plain stores while they are ordinary writable frames;
//   4. make those frames read-only in the bootstrap mapping (one mmu_update batch), then pin the new
//      directory, make it the base pointer and unpin the bootstrap one (one mmuext_op batch) - Mini-OS and
//      GRUB switch tables the same way (XEN-REFERENCE.md 2.6);
//   5. map the shared-info page (update_va_mapping) for events, time and the saved CR2;
//   6. map the console ring writable (the rest of the builder's region stays read-only).
// Events stay masked (Xen starts every vCPU so): kmain starts with "interrupts off", as natively.
#include "kit/console.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/string.h"
#include "pv/pv.h"


start_info_t kit_start_info;
const uint32_t *kit_p2m;
static char cmdline[256];

// The shared-info page's virtual home: a page of the kernel's own image, remapped to Xen's frame (as
// Mini-OS does with its `shared_info` page). The pseudo-physical frame behind it is simply not used.
static uint8_t shared_info_page[4096] __attribute__((aligned(4096)));
volatile struct shared_info *kit_shared_info = (volatile struct shared_info *)shared_info_page;

enum { MB4 = 1024 * PAGE_SIZE };

// Makes the frames [from, to) read-only in the bootstrap mapping, in one mmu_update: Xen will not take a
// frame as a page table while any mapping of it is writable (xen/arch/x86/mm.c, get_page_type).
static void protect_in_bootstrap_map(uint32_t from, uint32_t to) {
  static struct mmu_update req[64];
  const uint32_t *boot_pd = (const uint32_t *)kit_start_info.pt_base;
  unsigned n = 0;
  for (uint32_t va = from; va < to; va += PAGE_SIZE) {
    if (n == sizeof req / sizeof req[0]) panic("too many page-table frames to protect");
    uint32_t l1_ma = boot_pd[va >> 22] & PAGE_MASK;  // machine address of the bootstrap L1 covering va
    req[n].ptr = l1_ma + ((va >> 12) & 0x3ff) * 4;    // MMU_NORMAL_PT_UPDATE (low bits 0)
    req[n].val = ((uint64_t)pfn_to_mfn(va >> 12) << 12) | PTE_P | PTE_A;
    n++;
  }
  unsigned done = 0;
  int rc = HYPERVISOR_mmu_update(req, n, &done, DOMID_SELF);
  if (rc < 0) panic("making the new page tables read-only: mmu_update error %d after %u of %u", rc, done, n);
}

void pv_start_of_day(const start_info_t *si) {
  int rc0;
  kit_plat = &plat_pv_ops;
  kit_trap_entry = pv_trap;
  plat_kernel_cs = FLAT_RING1_CS;
  plat_kernel_ds = FLAT_RING1_DS;
  plat_user_cs = FLAT_RING3_CS;
  plat_user_ds = FLAT_RING3_DS;
  // 1. start_info: copied, since its page is the boot loader's (mapped read-only below, never reused).
  memcpy(&kit_start_info, si, sizeof kit_start_info);
  kit_p2m = (const uint32_t *)kit_start_info.mfn_list;
  size_t n = strlen((const char *)kit_start_info.cmd_line);
  if (n > sizeof cmdline - 1) n = sizeof cmdline - 1;
  memcpy(cmdline, kit_start_info.cmd_line, n);
  kit_boot.cmdline = cmdline;
  if (memcmp(kit_start_info.magic, "xen-3.0-x86_32", 15) != 0)
    panic("start_info magic \"%.15s\": not a non-PAE xen-3.0 domain", (const char *)kit_start_info.magic);

  // 2. Exceptions, and the event and failsafe callbacks (events stay masked until the kernel enables them).
  pv_install_exception_traps();
  rc0 = HYPERVISOR_set_callbacks(FLAT_RING1_CS, hypervisor_callback, FLAT_RING1_CS, failsafe_callback);
  if (rc0 < 0) panic("set_callbacks: error %d", rc0);

  // The builder's region ends with the bootstrap stack, one page after the bootstrap tables.
  uint32_t boot_end = kit_start_info.pt_base + (kit_start_info.nr_pt_frames + 1) * PAGE_SIZE;
  kit_boot.alloc_start = boot_end;
  // The new tables are written through the bootstrap mapping, which covers one 4 MiB slot per bootstrap L1
  // from virtual address 0; their number bounds the RAM the kit can map (the builder guarantees 512 KiB of
  // padding: 127 tables, 508 MiB).
  uint32_t mapped_end = (kit_start_info.nr_pt_frames - 1) * MB4;
  uint32_t room = (mapped_end - boot_end) / PAGE_SIZE;  // frames for the directory and the tables
  uint32_t ram_end = kit_start_info.nr_pages * PAGE_SIZE;
  if (ram_end / MB4 + 2 > room) ram_end = (room - 2) * MB4;
  kit_boot.ram_end = ram_end;
  if (ram_end < boot_end + 64 * PAGE_SIZE) panic("the domain has too little memory (%lu pages)", kit_start_info.nr_pages);

  // 3. The kit's map, with the directory and tables read-only in it (plat_pv_ops.page_tables_read_only).
  paging_build_identity_map(ram_end);
  uint32_t tables_end = kernel_pd + (1 + (ram_end + MB4 - 1) / MB4) * PAGE_SIZE;

  // 4. Read-only in the bootstrap map too, then switch.
  protect_in_bootstrap_map(kernel_pd, tables_end);
  uint32_t boot_pd_mfn = pfn_to_mfn(kit_start_info.pt_base >> 12);
  struct mmuext_op ops[3] = {
      {.cmd = MMUEXT_PIN_L2_TABLE, .arg1.mfn = pfn_to_mfn(kernel_pd >> 12)},
      {.cmd = MMUEXT_NEW_BASEPTR, .arg1.mfn = pfn_to_mfn(kernel_pd >> 12)},
      {.cmd = MMUEXT_UNPIN_TABLE, .arg1.mfn = boot_pd_mfn},
  };
  unsigned done = 0;
  int rc = HYPERVISOR_mmuext_op(ops, 3, &done, DOMID_SELF);
  if (rc < 0) panic("switching to the kit's page tables: mmuext_op error %d after %u of 3", rc, done);

  // 5. shared_info, at the machine address start_info gives.
  rc = HYPERVISOR_update_va_mapping((uint32_t)shared_info_page, kit_start_info.shared_info | PTE_P | PTE_W | PTE_A | PTE_D,
                                    UVMF_INVLPG);
  if (rc < 0) panic("mapping shared_info: update_va_mapping error %d", rc);
  // 6. The console ring, writable, on its event channel.
  pv_console_init();

  plat_exit((unsigned)kmain());
}
