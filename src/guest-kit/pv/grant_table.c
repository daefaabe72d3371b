// grant_table.c: the kit's grant table (include/kit/grant_table.h). GNTTABOP_setup_table for one frame gives
// its machine frame; the kit maps it over a page of its own image with update_va_mapping (the frame is Xen's,
// shared with the domain, and part of none of its pseudo-physical RAM), then keeps a free list of references.
#include "kit/grant_table.h"

#include "kit/paging.h"

volatile uint32_t gnttab_grants, gnttab_ends, gnttab_busy;

static grant_entry_v1_t table_page[GNTTAB_KIT_ENTRIES] __attribute__((aligned(4096)));
static volatile grant_entry_v1_t *table;
// Free references as a stack: free_refs[0..nr_free) (the reserved entries are never in it).
static uint16_t free_refs[GNTTAB_KIT_ENTRIES];
static unsigned nr_free;

int gnttab_init(void) {
  xen_pfn_t frame = 0;
  struct gnttab_setup_table op = {.dom = DOMID_SELF, .nr_frames = 1};
  set_xen_guest_handle(op.frame_list, &frame);
  int rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, &op, 1);
  if (rc < 0) return rc;
  if (op.status != GNTST_okay) return op.status;
  rc = HYPERVISOR_update_va_mapping((uint32_t)table_page, ((uint32_t)frame << 12) | PTE_P | PTE_W | PTE_A | PTE_D,
                                    UVMF_INVLPG);
  if (rc < 0) return rc;
  table = (volatile grant_entry_v1_t *)table_page;
  nr_free = 0;
  // Pushed highest first, so that references are handed out from the lowest.
  for (unsigned ref = GNTTAB_KIT_ENTRIES; ref-- > GNTTAB_NR_RESERVED_ENTRIES;) free_refs[nr_free++] = (uint16_t)ref;
  return 0;
}

int gnttab_grant(uint16_t domid, uint32_t mfn, bool readonly) {
  if (!table || nr_free == 0) return -1;
  unsigned ref = free_refs[--nr_free];
  table[ref].frame = mfn;
  table[ref].domid = domid;
  __atomic_thread_fence(__ATOMIC_SEQ_CST);  // frame and domid before the flags that publish them
  table[ref].flags = (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0));
  gnttab_grants++;
  return (int)ref;
}

int gnttab_grant_page(uint16_t domid, const void *va, bool readonly) {
  return gnttab_grant(domid, pfn_to_mfn((uint32_t)va >> 12), readonly);
}

bool gnttab_end(int ref) {
  if (!table || ref < (int)GNTTAB_NR_RESERVED_ENTRIES || ref >= (int)GNTTAB_KIT_ENTRIES) return false;
  uint16_t flags = table[ref].flags;
  if (!(flags & GTF_permit_access)) return false;  // not granted (or already ended): nothing to free
  do {
    if (flags & (GTF_reading | GTF_writing)) {
      gnttab_busy++;
      return false;
    }
  } while (!__atomic_compare_exchange_n((uint16_t *)&table[ref].flags, &flags, 0, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST));
  free_refs[nr_free++] = (uint16_t)ref;
  gnttab_ends++;
  return true;
}
