// paging.h: two-level 32-bit paging with 4 KiB pages (SDM vol. 3, 4.3): the kernel's address space, and
// further address spaces that share the kernel's mappings of RAM. RAM is identity-mapped at start of day
// (virtual = physical; pseudo-physical on the paravirtual platform), so a frame's physical address is also
// where the kernel reads and writes it. Every entry update and every flush goes through the platform
// (plat_set_pte, plat_set_pde, plat_map_current...), so these helpers work unchanged on Xen, where page
// tables are read-only to the guest and updates are validated hypercalls.
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

// Physical address of the kernel's page directory (what CR3 holds at start of day).
extern uint32_t kernel_pd;

// Maps the page at va to the frame at pa with flags (PTE_P is implied) in the kernel's address space, which
// must be the current one, allocating a page table if the directory has none for va yet, and drops any stale
// TLB entry for va.
void page_map(uint32_t va, uint32_t pa, uint32_t flags);
// Unmaps va (its entry becomes not present) and drops its TLB entry. The frame is the caller's to free.
void page_unmap(uint32_t va);
// The entry that maps va, or 0 if no page table covers va.
uint32_t page_entry(uint32_t va);

// Address spaces beyond the kernel's. space_create returns a new page directory holding the kernel's
// directory entries as they are now (so kernel code and data, and the user image, stay mapped in it) and
// announced to the platform (paravirtual: read-only and pinned). space_map and space_unmap change it with
// plat_set_pte, without any TLB flush: pd is meant not to be the current address space, and on the
// paravirtual platform the updates are batched (plat_set_mmu_batch; call plat_mmu_flush, or switch to pd,
// before relying on them). space_destroy frees the page tables space_map allocated and the directory; pd must
// not be current, and the frames it mapped are the caller's.
uint32_t space_create(void);
void space_map(uint32_t pd, uint32_t va, uint32_t pa, uint32_t flags);
void space_unmap(uint32_t pd, uint32_t va);
void space_destroy(uint32_t pd);

// Physical frames: a bump allocator over RAM above the kernel image, with a free list for returned frames.
// frame_alloc returns a zero-filled frame, or panics when RAM is exhausted.
uint32_t frame_alloc(void);
void frame_free(uint32_t pa);

// Start of day: builds the identity map of [4 KiB, ram_end) in a fresh page directory: page 0 stays unmapped
// (null pointers fault), the kernel's text and read-only data are read-only, the boot loader's frames
// [__kernel_end, kit_boot.alloc_start) too, the user image is user-accessible, and where the platform asks
// for it (Xen) the new directory and tables themselves are read-only. The tables are filled with plain stores
// before they are page tables. Does not load CR3 or turn paging on; that is the platform's start of day.
void paging_build_identity_map(uint32_t ram_end);
