// paging.h: two-level 32-bit paging with 4 KiB pages (SDM vol. 3, 4.3), over the kernel's one address space.
// RAM is identity-mapped at start of day (virtual = physical), so a frame's physical address is also where
// the kernel reads and writes it. Every entry update goes through plat_set_pte and every flush through the
// platform, so these helpers work unchanged on the paravirtual platform.
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define PAGE_SIZE 4096u
#define PAGE_MASK (~(PAGE_SIZE - 1))

// Page-directory and page-table entry bits (SDM vol. 3, table 4-5 and 4-6).
enum {
  PTE_P = 1 << 0,  // present
  PTE_W = 1 << 1,  // writable (by ring 0 too, once CR0.WP is on)
  PTE_U = 1 << 2,  // user: ring 3 may access
  PTE_A = 1 << 5,  // accessed, set by the CPU
  PTE_D = 1 << 6,  // dirty, set by the CPU
};

// Physical address of the kernel's page directory (what CR3 holds).
extern uint32_t kernel_pd;

// Maps the page at va to the frame at pa with flags (PTE_P is implied), allocating a page table if the
// directory has none for va yet, and drops any stale TLB entry for va.
void page_map(uint32_t va, uint32_t pa, uint32_t flags);
// Unmaps va (its entry becomes not present) and drops its TLB entry. The frame is the caller's to free.
void page_unmap(uint32_t va);
// The entry that maps va, or 0 if no page table covers va.
uint32_t page_entry(uint32_t va);

// Physical frames: a bump allocator over RAM above the kernel image, with a free list for returned frames.
// frame_alloc returns a zero-filled frame, or panics when RAM is exhausted.
uint32_t frame_alloc(void);
void frame_free(uint32_t pa);

// Start of day: builds the identity map of [4 KiB, ram_end) in a fresh page directory: page 0 stays unmapped
// (null pointers fault), the kernel's text and read-only data are read-only, the user image is user-accessible.
// Does not load CR3 or turn paging on; that is the platform's start of day.
void paging_build_identity_map(uint32_t ram_end);
