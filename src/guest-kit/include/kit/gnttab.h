// gnttab.h: the kit's grant table on the paravirtual platform (pv/gnttab.c), version 1 of
// xen/grant_table.h as Mini-OS's and Linux's gnttab drivers use it: the domain's shared table is set up with
// GNTTABOP_setup_table and mapped writable into the kernel, and a grant is an entry the guest writes itself
// (the frame, the domain allowed to use it, then the flags, in that order), which another domain's driver
// maps or copies through the hypervisor. A front end grants its rings and buffers to its back end this way.
// Only meaningful when plat_is_pv(); every function returns 0 (or a reference) or Xen's -errno.
#pragma once
#include <stdbool.h>
#include <stdint.h>

// References below this are Xen's reserved ones (GNTTAB_NR_RESERVED_ENTRIES: the console's and the store's
// in a toolstack-built domain); the kit never hands them out.
#define GNTTAB_FIRST_REF 8

// Sets the table up with `frames` frames (Xen 3.2 starts a domain with 4) and maps them: 0, or -errno.
int gnttab_init(unsigned frames);
// Grants domain `dom` access to machine frame `mfn`, read-only or writable: the new reference, or
// -XEN_ENOSPC if the table is full.
int gnttab_grant_access(uint16_t dom, uint32_t mfn, bool readonly);
// Revokes a grant: 0, or -XEN_EBUSY while the other domain still maps it (GTF_reading / GTF_writing), in
// which case the entry stays and the caller must try again later. A revoked reference is reused.
int gnttab_end_access(uint32_t ref);
// References in use.
extern volatile uint32_t gnttab_grants_live;
