// gnttab.c: the kit's grant table (include/kit/gnttab.h). The table's frames come from
// GNTTABOP_setup_table as machine frames with no pseudo-physical frame of their own, so each is mapped over
// a frame the kit allocates for the purpose (its identity-mapped address becomes the window onto the table).
// Free references are kept on a list threaded through a small array, as Linux's gnttab_free_head is.
#include "kit/gnttab.h"

#include "kit/console.h"
#include "kit/paging.h"
#include "kit/xen.h"

#include <xen/errno.h>
#include <xen/grant_table.h>

#define MAX_FRAMES 4
#define ENTRIES_PER_FRAME (4096 / sizeof(grant_entry_v1_t))
#define MAX_REFS (MAX_FRAMES * ENTRIES_PER_FRAME)

volatile uint32_t gnttab_grants_live;

static volatile grant_entry_v1_t *table;  // the first frame's window; the others follow it
static unsigned nr_refs;
static uint16_t free_next[MAX_REFS];  // the free list: the reference after each free one (0: the end)
static uint16_t free_head;

static int grant_table_op(unsigned cmd, void *op, unsigned count) {
  return (int)KIT_HYPERCALL3(__HYPERVISOR_grant_table_op, cmd, op, count);
}

int gnttab_init(unsigned frames) {
  if (frames == 0 || frames > MAX_FRAMES) return -XEN_EINVAL;
  xen_pfn_t mfns[MAX_FRAMES];
  struct gnttab_setup_table setup = {.dom = DOMID_SELF, .nr_frames = frames};
  set_xen_guest_handle(setup.frame_list, mfns);
  int rc = grant_table_op(GNTTABOP_setup_table, &setup, 1);
  if (rc < 0) return rc;
  if (setup.status != GNTST_okay) return -XEN_EINVAL;
  // Consecutive windows: frame_alloc hands out ascending frames from a fresh bump allocator, but not
  // necessarily adjacent ones once frames were freed, so each window is checked.
  uint32_t first = 0;
  for (unsigned i = 0; i < frames; i++) {
    uint32_t va = frame_alloc();
    if (i == 0) first = va;
    else if (va != first + i * 4096) return -XEN_ENOMEM;
    rc = HYPERVISOR_update_va_mapping(va, (mfns[i] << 12) | PTE_P | PTE_W | PTE_A | PTE_D, UVMF_INVLPG);
    if (rc < 0) return rc;
  }
  table = (volatile grant_entry_v1_t *)first;
  nr_refs = frames * ENTRIES_PER_FRAME;
  free_head = 0;
  for (unsigned r = nr_refs - 1; r >= GNTTAB_FIRST_REF; r--) {
    free_next[r] = free_head;
    free_head = (uint16_t)r;
  }
  return 0;
}

int gnttab_grant_access(uint16_t dom, uint32_t mfn, bool readonly) {
  if (!table || free_head == 0) return -XEN_ENOSPC;
  unsigned ref = free_head;
  free_head = free_next[ref];
  table[ref].frame = mfn;
  table[ref].domid = dom;
  // The frame and domain before the flags that make the entry valid (grant_table.h: "the flags field
  // must be written last", with a write barrier; x86 keeps stores in order, the compiler must too).
  __asm__ volatile("" ::: "memory");
  table[ref].flags = (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0));
  gnttab_grants_live++;
  return (int)ref;
}

int gnttab_end_access(uint32_t ref) {
  if (!table || ref < GNTTAB_FIRST_REF || ref >= nr_refs) return -XEN_EINVAL;
  // Clear the flags only if no mapping holds the entry busy, in one atomic step against the hypervisor
  // setting GTF_reading/GTF_writing (gnttab_end_foreign_access_ref's cmpxchg loop).
  uint16_t flags = table[ref].flags;
  do {
    // An entry already ended (or never granted) is refused: putting it on the free list a second time would
    // let two later grants share one reference.
    if ((flags & GTF_type_mask) != GTF_permit_access) return -XEN_EINVAL;
    if (flags & (GTF_reading | GTF_writing)) return -XEN_EBUSY;
  } while (!__atomic_compare_exchange_n(&table[ref].flags, &flags, 0, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
  free_next[ref] = free_head;
  free_head = (uint16_t)ref;
  gnttab_grants_live--;
  return 0;
}
