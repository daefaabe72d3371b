// start_of_day.c: what the native kit does between the multiboot entry (multiboot.S) and the guest's kmain:
// console first (so that anything after it can report a problem), the boot information, the GDT/TSS/IDT, the
// PIC out of the way of the exception vectors, then paging on over an identity map of RAM with CR0.WP set so
// that read-only pages are read-only for ring 0 too (SDM vol. 3, 4.6). Interrupts stay off: a kernel turns
// them on with plat_irq_enable once it has installed its handlers.
#include "kit/console.h"
#include "kit/kit.h"
#include "kit/multiboot.h"
#include "kit/paging.h"
#include "kit/string.h"
#include "kit/x86.h"
#include "native/native.h"

enum { CR0_WP = 1u << 16, CR0_PG = 1u << 31 };


static char cmdline[256];

// The end of the RAM that starts at 1 MiB: from the memory map if the loader gave one, else mem_upper.
static uint32_t ram_end(const struct multiboot_info *mbi) {
  if (mbi->flags & MULTIBOOT_INFO_MMAP) {
    for (uint32_t p = mbi->mmap_addr; p < mbi->mmap_addr + mbi->mmap_length;) {
      const struct multiboot_mmap_entry *e = (const void *)p;
      uint64_t end = e->addr + e->len;
      if (e->type == 1 && e->addr <= 0x100000 && end > 0x100000) return end > 0xfffff000u ? 0xfffff000u : (uint32_t)end;
      p += e->size + 4;
    }
  }
  if (mbi->flags & MULTIBOOT_INFO_MEMORY) return 0x100000 + mbi->mem_upper * 1024;
  panic("the multiboot information gives no memory size (flags 0x%x)", mbi->flags);
}

// Called from multiboot.S with the registers the loader left.
void native_start_of_day(uint32_t magic, const struct multiboot_info *mbi) {
  kit_plat = &plat_native_ops;
  uart_init();
  if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
    panic("not started by a multiboot loader: EAX = 0x%x, expected 0x%x", magic, MULTIBOOT_BOOTLOADER_MAGIC);

  // Read everything needed from the boot information now: it lives in RAM the frame allocator hands out.
  kit_boot.ram_end = ram_end(mbi) & PAGE_MASK;
  if (mbi->flags & MULTIBOOT_INFO_CMDLINE) {
    const char *s = (const char *)mbi->cmdline;
    size_t n = strlen(s) < sizeof cmdline - 1 ? strlen(s) : sizeof cmdline - 1;
    memcpy(cmdline, s, n);
  }
  kit_boot.cmdline = cmdline;
  kit_boot.alloc_start = (uint32_t)__kernel_end;
  if (kit_boot.ram_end < (uint32_t)__kernel_end + 64 * PAGE_SIZE)
    panic("RAM ends at 0x%x, too close to the kernel's end at %p", kit_boot.ram_end, __kernel_end);

  descriptors_init();
  pic_init();
  paging_build_identity_map(kit_boot.ram_end);
  write_cr3(kernel_pd);
  write_cr0(read_cr0() | CR0_PG | CR0_WP);

  plat_exit((unsigned)kmain());
}
