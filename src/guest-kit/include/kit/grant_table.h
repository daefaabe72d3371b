// grant_table.h: a kit kernel's own grant table (xen/grant_table.h, version 1), the way a front-end driver
// shares a page with its back end: it writes an entry naming the frame and the domain allowed to use it, and
// hands over the entry's number (the grant reference); it ends the sharing by clearing the entry once the
// back end no longer maps it. The table's first frame comes from GNTTABOP_setup_table and is mapped into the
// kernel's image (pv/grant_table.c), as Mini-OS's gnttab_init does. References 0-7 are Xen's reserved ones
// (GNTTAB_NR_RESERVED_ENTRIES); the kit hands out the rest of the frame, 504 of them. Only meaningful when
// plat_is_pv().
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "kit/xen.h"
#include <xen/grant_table.h>

// grant_table_op(cmd, uop, count): results 0 or -errno; each operation's own status is in its structure.
static inline int HYPERVISOR_grant_table_op(unsigned cmd, void *uop, unsigned count) {
  return (int)KIT_HYPERCALL3(__HYPERVISOR_grant_table_op, cmd, uop, count);
}

#define GNTTAB_KIT_ENTRIES (4096 / sizeof(grant_entry_v1_t))

// Sets the table up and maps its first frame: 0, -errno from the hypercall, or the GNTST_* status it gave.
int gnttab_init(void);
// Grants domain `domid` access to machine frame `mfn` (read-only or writable): the reference, or -1 when every
// entry is in use. The entry's frame and domain are written before its flags, so the back end never sees a
// half-written entry (the order grant_table.h's comment asks for).
int gnttab_grant(uint16_t domid, uint32_t mfn, bool readonly);
// The same for the frame of a kernel virtual address (RAM is identity-mapped: its pseudo-physical frame).
int gnttab_grant_page(uint16_t domid, const void *va, bool readonly);
// Ends a grant: true, and the reference is free again, if the back end no longer maps it (no GTF_reading or
// GTF_writing, cleared with a compare-and-swap as Linux's gnttab_end_foreign_access_ref does); false if it is
// still in use, and nothing changes.
bool gnttab_end(int ref);

// Counters: grants made, grants ended, ends refused because the entry was busy.
extern volatile uint32_t gnttab_grants, gnttab_ends, gnttab_busy;
