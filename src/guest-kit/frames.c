// frames.c: physical frame allocation. A bump pointer over RAM from kit_boot.alloc_start (the end of the
// kernel image, or on Xen the end of the domain builder's bootstrap region) to the end of RAM, plus a free
// list threaded through freed frames (each freed frame holds the address of the next). Frames are zeroed on
// allocation, so a new page table starts with every entry not present.
#include "kit/console.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/string.h"

static uint32_t next_frame;  // the bump pointer; 0 until the first allocation
static uint32_t free_list;   // physical address of the first freed frame, or 0

uint32_t frame_alloc(void) {
  uint32_t pa;
  if (free_list) {
    pa = free_list;
    free_list = *(uint32_t *)pa;
  } else {
    if (!next_frame) next_frame = (kit_boot.alloc_start + PAGE_SIZE - 1) & PAGE_MASK;
    if (next_frame + PAGE_SIZE > kit_boot.ram_end) panic("out of physical memory (RAM ends at 0x%x)", kit_boot.ram_end);
    pa = next_frame;
    next_frame += PAGE_SIZE;
  }
  memset((void *)pa, 0, PAGE_SIZE);
  return pa;
}

void frame_free(uint32_t pa) {
  *(uint32_t *)pa = free_list;
  free_list = pa;
}
