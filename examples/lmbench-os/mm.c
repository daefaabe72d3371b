// mm.c: address spaces. Each process has its own page directory (the kit's space_create: a copy of the
// kernel's directory entries, announced to the platform, so pinned and validated under the hypervisor) and
// private page tables for [USER_BASE, USER_TOP), described by a few regions (struct vma): anonymous memory
// (demand-zero, private, copy-on-write after fork) and file mappings (the in-memory file's own frames, shared,
// or private and copied on the first write). Pages appear on the first access (the page-fault handler), and
// every entry update goes through the platform: a store natively, a validated mmu_update (batched) or
// update_va_mapping under the hypervisor. Frames carry reference counts, since fork shares them.
#include "kernel.h"
#include "kit/console.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/string.h"

#define MAX_FRAMES 65536  // 256 MiB of RAM
static uint16_t refs[MAX_FRAMES];

void frame_ref(uint32_t pa) { refs[pa >> 12]++; }
unsigned frame_refs(uint32_t pa) { return refs[pa >> 12]; }
void frame_unref(uint32_t pa) {
  if (refs[pa >> 12] == 0) panic("frame %x freed twice", pa);
  if (--refs[pa >> 12] == 0) frame_free(pa);
}

// The programs' code and read-only data are shared by every process through the kernel's directory entries:
// made read-only to ring 3 here (the kit maps the user image writable), so that no program can keep state in
// them, and every process's writable memory is its own.
void mm_init(void) {
  if (kit_boot.ram_end > USER_BASE || kit_boot.ram_end / PAGE_SIZE > MAX_FRAMES)
    panic("lmbench-os supports at most 256 MiB of RAM (RAM ends at %x)", kit_boot.ram_end);
  for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end; va += PAGE_SIZE) page_map(va, va, PTE_U);
}

// A freed page directory's frame comes back as a later one (the frame allocator reuses the last frame freed),
// and a tagged TLB (ring1's --tlb tagged, PCIDs) keys entries by the directory: the dead process's translations
// would be found under the new one's tag. So once a directory has been freed, every tag's entries are dropped
// (plat_flush_tlb) before a new directory is first loaded: fork does it with the flush it needs anyway for the
// parent's write-protected pages, exec before it loads its new directory (the kit's pd_reuse test shows the
// failure without it). On an untagged TLB every CR3 load flushes anyway and this is redundant, but a kernel
// cannot tell the two apart.
static bool directory_freed;

uint32_t mm_new_space(void) { return space_create(); }
bool mm_directory_freed(void) { return directory_freed; }
void mm_flush_all(void) {
  plat_flush_tlb();
  directory_freed = false;
}

// An entry read without sending the platform's queue first: the entries read here (a parent's, during fork;
// a range being unmapped) have no update queued, and reading through plat_get_pte would send the queue on
// every read and so undo the batching. plat_get_pde is exactly "translate the entry, send nothing".
static uint32_t entry_peek(const uint32_t *entry) { return plat_get_pde(entry); }

uint32_t *mm_pte(uint32_t pd, uint32_t va, bool create) {
  uint32_t *pde = (uint32_t *)pd + (va >> 22);
  uint32_t e = plat_get_pde(pde);
  if (!(e & PTE_P)) {
    if (!create) return 0;
    uint32_t table = frame_alloc();
    plat_pt_alloc(table, 1);
    e = table | PTE_P | PTE_W | PTE_U;
    plat_set_pde(pde, e);
  }
  return (uint32_t *)(e & PAGE_MASK) + ((va >> 12) & 0x3ff);
}

// Sets one entry of p's space: in the loaded space with the TLB entry dropped (native: store and INVLPG;
// hypervisor: update_va_mapping, the page fault's second hypervisor entry), elsewhere queued.
static void set_entry(struct proc *p, uint32_t *pte, uint32_t va, uint32_t value) {
  if (p->pd == sched_loaded_pd()) plat_map_current(pte, va, value);
  else plat_set_pte(pte, value);
}

struct vma *mm_find_vma(struct proc *p, uint32_t va) {
  for (int i = 0; i < NVMA; i++)
    if (va >= p->vma[i].start && va < p->vma[i].end) return &p->vma[i];
  return 0;
}

struct vma *mm_add_vma(struct proc *p, uint32_t start, uint32_t end, uint32_t prot, enum vma_kind kind) {
  for (int i = 0; i < NVMA; i++) {
    struct vma *v = &p->vma[i];
    if (v->start != v->end) continue;
    memset(v, 0, sizeof *v);
    v->start = start;
    v->end = end;
    v->prot = prot;
    v->kind = kind;
    return v;
  }
  return 0;
}

// The entry bits a page of v gets: writable only if v is and the frame is not shared copy-on-write; a page of
// a PROT_NONE region stays present for the kernel (it keeps the frame) but not for ring 3.
static uint32_t page_flags(const struct vma *v, uint32_t pa) {
  uint32_t f = PTE_P;
  if (v->prot) f |= PTE_U;
  if ((v->prot & PROT_WRITE) && ((v->kind == V_FILE && v->shared) || (v->kind == V_ANON && refs[pa >> 12] == 1)))
    f |= PTE_W;
  return f;
}

bool mm_fault(struct proc *p, uint32_t va, bool write) {
  struct vma *v = mm_find_vma(p, va);
  if (!v || !v->prot || (write && !(v->prot & PROT_WRITE))) return false;
  uint32_t page = va & PAGE_MASK;
  uint32_t *pte = mm_pte(p->pd, page, true);
  uint32_t e = plat_get_pte(pte);
  if (!(e & PTE_P)) {  // demand paging
    uint32_t pa;
    if (v->kind == V_ANON) {
      pa = frame_alloc();
    } else {
      pa = fs_file_frame(v->file, (page - v->start + v->offset) / PAGE_SIZE);
      if (!pa) return false;  // past the end of the file
    }
    frame_ref(pa);
    set_entry(p, pte, page, pa | page_flags(v, pa));
    e = plat_get_pte(pte);
    if (!write || (e & PTE_W)) return true;
  }
  if (write && !(e & PTE_W)) {  // copy on write
    uint32_t old = e & PAGE_MASK;
    if (v->kind == V_ANON && refs[old >> 12] == 1) {
      set_entry(p, pte, page, old | page_flags(v, old));
      return true;
    }
    uint32_t pa = frame_alloc();
    memcpy((void *)pa, (const void *)old, PAGE_SIZE);
    frame_ref(pa);
    set_entry(p, pte, page, pa | PTE_P | PTE_U | PTE_W);
    frame_unref(old);
  }
  return true;
}

bool mm_user_ok(uint32_t va, uint32_t len, bool write) {
  // The programs' code and constants (the shared user image) may be read: string literals are passed so.
  if (!write && va >= (uint32_t)__user_start && va + len >= va && va + len <= (uint32_t)__user_end) return true;
  if (va < USER_BASE || va + len < va || va + len > USER_TOP) return false;
  for (uint32_t page = va & PAGE_MASK; len && page < va + len; page += PAGE_SIZE) {
    uint32_t *pte = mm_pte(current->pd, page, false);
    uint32_t e = pte ? plat_get_pte(pte) : 0;
    uint32_t need = PTE_P | PTE_U | (write ? PTE_W : 0);
    if ((e & need) != need && !mm_fault(current, page, write)) return false;
  }
  return true;
}

void mm_page_fault(struct trap_frame *f) {
  uint32_t va = plat_fault_address();
  if (frame_ring(f) != 3)
    panic("kernel page fault at %08x (error %x, EIP %08x, pid %d)", va, f->error, f->eip, current->pid);
  if (mm_fault(current, va, f->error & PF_WRITE)) return;
  current->fault_address = va;
  current->fault_error = f->error;
  sig_force(current, SIGSEGV);  // delivered on the way back to ring 3
}

// Drops the pages of [start, end) from p's space (entries cleared in one batch, frames released).
static void unmap_range(struct proc *p, uint32_t start, uint32_t end) {
  for (uint32_t va = start; va < end; va += PAGE_SIZE) {
    uint32_t *pte = mm_pte(p->pd, va, false);
    if (!pte) {
      va = (va | 0x3fffff) - PAGE_SIZE + 1;  // no table: the rest of this 4 MiB
      continue;
    }
    uint32_t e = entry_peek(pte);
    if (!(e & PTE_P)) continue;
    plat_set_pte(pte, 0);
    frame_unref(e & PAGE_MASK);
  }
  plat_mmu_flush();
}

// Splits the region holding addr at addr, so that a range can start or end there.
static bool split_at(struct proc *p, uint32_t addr) {
  struct vma *v = mm_find_vma(p, addr);
  if (!v || v->start == addr) return true;
  struct vma *w = mm_add_vma(p, addr, v->end, v->prot, v->kind);
  if (!w) return false;
  w->shared = v->shared;
  w->file = v->file;
  w->offset = v->offset + (addr - v->start);
  if (w->file) w->file->refs++;
  v->end = addr;
  return true;
}

static void vma_release(struct vma *v) {
  if (v->file) inode_put(v->file);
  v->start = v->end = 0;
  v->file = 0;
}

void mm_destroy_space(struct proc *p) {
  if (p->pd == sched_loaded_pd()) panic("destroying the loaded address space");
  plat_mmu_flush();
  for (int i = 0; i < NVMA; i++) {
    struct vma *v = &p->vma[i];
    for (uint32_t va = v->start; va < v->end; va += PAGE_SIZE) {
      uint32_t *pte = mm_pte(p->pd, va, false);
      if (!pte) {
        va = (va | 0x3fffff) - PAGE_SIZE + 1;
        continue;
      }
      uint32_t e = entry_peek(pte);
      if (e & PTE_P) frame_unref(e & PAGE_MASK);
    }
    if (v->start != v->end) vma_release(v);
  }
  space_destroy(p->pd);  // unpins, and frees the directory and the tables
  p->pd = 0;
  directory_freed = true;
}

// First fit in the mmap area.
static uint32_t find_gap(struct proc *p, uint32_t len) {
  uint32_t at = USER_MMAP;
  for (bool moved = true; moved;) {
    moved = false;
    for (int i = 0; i < NVMA; i++) {
      struct vma *v = &p->vma[i];
      if (v->start != v->end && v->start < at + len && at < v->end) {
        at = v->end;
        moved = true;
      }
    }
  }
  return at + len <= USER_STACK_LOW ? at : 0;
}

int32_t mm_mmap(const struct mmap_args *a) {
  uint32_t len = (a->length + PAGE_SIZE - 1) & PAGE_MASK;
  if (!len || a->addr || (a->offset & ~PAGE_MASK) || (a->prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)))
    return -EINVAL;
  struct inode *ip = 0;
  if (!(a->flags & MAP_ANONYMOUS)) {
    struct file *f = fd_get((int)a->fd);
    if (!f) return -EBADF;
    if (f->kind != F_INODE || f->inode->kind != I_FILE) return -EINVAL;
    ip = f->inode;
  }
  uint32_t at = find_gap(current, len);
  if (!at) return -ENOMEM;
  struct vma *v = mm_add_vma(current, at, at + len, a->prot & (PROT_READ | PROT_WRITE), ip ? V_FILE : V_ANON);
  if (!v) return -ENOMEM;
  if (ip) {
    v->file = ip;
    v->offset = a->offset;
    v->shared = a->flags & MAP_SHARED;
    ip->refs++;
  }
  return (int32_t)at;
}

int32_t mm_munmap(uint32_t addr, uint32_t len) {
  len = (len + PAGE_SIZE - 1) & PAGE_MASK;
  if ((addr & ~PAGE_MASK) || !len || addr < USER_BASE || addr + len > USER_TOP || addr + len < addr) return -EINVAL;
  if (!split_at(current, addr) || !split_at(current, addr + len)) return -ENOMEM;
  unmap_range(current, addr, addr + len);
  for (int i = 0; i < NVMA; i++) {
    struct vma *v = &current->vma[i];
    if (v->start != v->end && v->start >= addr && v->end <= addr + len) vma_release(v);
  }
  plat_flush_tlb();
  return 0;
}

int32_t mm_mprotect(uint32_t addr, uint32_t len, uint32_t prot) {
  len = (len + PAGE_SIZE - 1) & PAGE_MASK;
  if ((addr & ~PAGE_MASK) || !len || (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))) return -EINVAL;
  for (uint32_t va = addr; va < addr + len; va += PAGE_SIZE)
    if (!mm_find_vma(current, va)) return -ENOMEM;
  if (!split_at(current, addr) || !split_at(current, addr + len)) return -ENOMEM;
  for (int i = 0; i < NVMA; i++) {
    struct vma *v = &current->vma[i];
    if (v->start == v->end || v->start < addr || v->end > addr + len) continue;
    v->prot = prot & (PROT_READ | PROT_WRITE);
    for (uint32_t va = v->start; va < v->end; va += PAGE_SIZE) {
      uint32_t *pte = mm_pte(current->pd, va, false);
      uint32_t e = pte ? entry_peek(pte) : 0;
      if (e & PTE_P) plat_set_pte(pte, (e & PAGE_MASK) | page_flags(v, e & PAGE_MASK));
    }
  }
  plat_mmu_flush();
  plat_flush_tlb();
  return 0;
}
