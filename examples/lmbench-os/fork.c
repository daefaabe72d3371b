// fork.c: fork by copy-on-write, as Linux does. The child gets a new page directory and a copy of every
// present entry of the parent's regions, pointing at the same frames; private writable pages become read-only
// in both, and the first write on either side copies the page (mm_fault). So fork's cost is the page-table
// work: one entry update in the child per present page, one more in the parent per writable page, and under
// the hypervisor each is a validated mmu_update request, batched (plat_set_mmu_batch) as XenoLinux batches
// them. Open files are shared (their reference counts raised), signal handlers inherited, pending signals not.
#include "kernel.h"
#include "kit/paging.h"
#include "kit/string.h"

// The parent's entries are read while updates to other entries are queued: see entry_peek in mm.c.
static uint32_t entry_peek(const uint32_t *entry) { return plat_get_pde(entry); }

// Copies the present entries of [start, end) (inside one 4 MiB table) from the parent to the child.
static bool copy_table(struct proc *child, const struct vma *v, uint32_t start, uint32_t end) {
  uint32_t *from = mm_pte(current->pd, start, false);
  if (!from) return false;
  uint32_t *to = 0;
  bool protected_any = false;
  for (uint32_t va = start; va < end; va += PAGE_SIZE, from++) {
    uint32_t e = entry_peek(from);
    if (!(e & PTE_P)) continue;
    if (!to) to = mm_pte(child->pd, start, true);  // the child's table, created once (its hook-up is sent at once)
    frame_ref(e & PAGE_MASK);
    if ((e & PTE_W) && !(v->kind == V_FILE && v->shared)) {
      e &= ~PTE_W;
      plat_set_pte(from, e);
      protected_any = true;
    }
    plat_set_pte(to + ((va - start) >> 12), e);
  }
  return protected_any;
}

int32_t do_fork(struct trap_frame *f) {
  struct proc *c = proc_alloc();
  if (!c) return -EAGAIN;
  c->ppid = current->pid;
  memcpy(c->name, current->name, sizeof c->name);
  memcpy(c->sig_handler, current->sig_handler, sizeof c->sig_handler);
  c->sig_blocked = current->sig_blocked;
  for (int i = 0; i < NFD; i++)
    if ((c->fd[i] = current->fd[i])) c->fd[i]->refs++;
  c->pd = mm_new_space();
  bool stale = false;
  for (int i = 0; i < NVMA; i++) {
    const struct vma *v = &current->vma[i];
    c->vma[i] = *v;
    if (v->start == v->end) continue;
    if (v->file) v->file->refs++;
    for (uint32_t va = v->start; va < v->end;) {
      uint32_t table_end = (va | 0x3fffff) + 1;
      uint32_t end = table_end < v->end && table_end ? table_end : v->end;
      stale |= copy_table(c, v, va, end);
      va = end;
    }
  }
  plat_mmu_flush();
  // The parent's writable translations of now read-only pages; and a freed directory's tag (mm.c).
  if (stale || mm_directory_freed()) mm_flush_all();
  *user_frame(c) = *f;
  user_frame(c)->eax = 0;  // fork returns 0 in the child
  proc_start(c);
  return c->pid;
}
