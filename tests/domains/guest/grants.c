// grants.c: grants between two guest domains (xen/grant_table.h, version 1), run as two domains of one run.
// Domain 1 ("grant peer=2") grants domain 2 one page read-only and one writable, offers it an event channel,
// and checks the rules a granter sees: a grant in use cannot be revoked, and what domain 2 wrote through its
// writable mapping is in the page. Domain 2 ("map peer=1 port=P") maps the pages into its own address space
// with GNTTABOP_map_grant_ref, reads and writes them, copies with GNTTABOP_copy, and checks the refusals a
// mapper sees: a read-only grant mapped writable, a reference never granted or past the table, a domain that
// does not exist, its own page-table update to make the read-only mapping writable, an unmap of a handle it
// no longer holds. Each step's status is printed, so the golden output is the specification.
#include <stdbool.h>
#include <stdint.h>

#include "kit/cmdline.h"
#include "kit/console.h"
#include "kit/events.h"
#include "kit/gnttab.h"
#include "kit/kit.h"
#include "kit/platform.h"
#include "kit/string.h"
#include "kit/xen.h"

#include <xen/grant_table.h>

#define EINVAL_ 22

static int grant_table_op(unsigned cmd, void *op, unsigned count) {
  return (int)KIT_HYPERCALL3(__HYPERVISOR_grant_table_op, cmd, op, count);
}

static volatile uint32_t events;
static void count(unsigned port) {
  (void)port;
  events++;
}
static void block(void) { HYPERVISOR_sched_op(SCHEDOP_block, 0); }
static void yield(void) { HYPERVISOR_sched_op(SCHEDOP_yield, 0); }
// Waits for the peer's `n`-th event.
static void wait_for(uint32_t n) {
  while (events < n) block();
}

static uint32_t word(uint32_t page, uint32_t i) { return page * 0x9E3779B1u + i * 2654435761u + 0x5A5A0001u; }
static uint32_t sum(const volatile uint32_t *p) {
  uint32_t s = 0;
  for (uint32_t i = 0; i < 1024; i++) s = s * 31 + p[i];
  return s;
}

static volatile uint32_t shared_ro[1024] __attribute__((aligned(4096)));
static volatile uint32_t shared_rw[1024] __attribute__((aligned(4096)));

static int granter(void) {
  uint32_t peer = kit_arg("peer", 2);
  int rc = gnttab_init(1);
  if (rc < 0) panic("gnttab_init: %d", rc);
  for (uint32_t i = 0; i < 1024; i++) shared_ro[i] = word(1, i), shared_rw[i] = 0;
  int ro = gnttab_grant_access((uint16_t)peer, pfn_to_mfn((uint32_t)shared_ro >> 12), true);
  int rw = gnttab_grant_access((uint16_t)peer, pfn_to_mfn((uint32_t)shared_rw >> 12), false);
  printf("grant: page sum %08x granted read-only as ref %d, a second page writable as ref %d\n",
         sum(shared_ro), ro, rw);
  struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = (domid_t)peer};
  rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a);
  if (rc < 0) panic("alloc_unbound: %d", rc);
  evtchn_set_handler(a.port, count);
  printf("grant: port %u offered to domain %u\n", (unsigned)a.port, peer);
  plat_irq_enable();
  wait_for(1);  // domain 2 holds both mappings
  printf("grant: while domain %u maps them, revoking ref %d gives %d, ref %d gives %d\n", peer, ro,
         gnttab_end_access((uint32_t)ro), rw, gnttab_end_access((uint32_t)rw));
  evtchn_send(a.port);
  wait_for(2);  // domain 2 has unmapped both
  printf("grant: the writable page now sums %08x\n", sum(shared_rw));
  uint32_t bad = 0;
  for (uint32_t i = 0; i < 1024; i++) bad += shared_rw[i] != (word(1, i) ^ 0xFFFFFFFFu);
  printf("grant: %u words differ from what domain %u was to write\n", bad, peer);
  printf("grant: after the unmaps, revoking ref %d gives %d, ref %d gives %d\n", ro,
         gnttab_end_access((uint32_t)ro), rw, gnttab_end_access((uint32_t)rw));
  evtchn_send(a.port);
  return 0;
}

static volatile uint32_t window_ro[1024] __attribute__((aligned(4096)));
static volatile uint32_t window_rw[1024] __attribute__((aligned(4096)));
static volatile uint32_t copy_dest[1024] __attribute__((aligned(4096)));

static int16_t map(uint16_t dom, uint32_t ref, volatile void *at, bool readonly, grant_handle_t *handle) {
  struct gnttab_map_grant_ref m = {.host_addr = (uint32_t)at,
                                   .flags = GNTMAP_host_map | (readonly ? GNTMAP_readonly : 0),
                                   .ref = ref,
                                   .dom = dom};
  int rc = grant_table_op(GNTTABOP_map_grant_ref, &m, 1);
  if (rc < 0) panic("map_grant_ref: %d", rc);
  if (handle) *handle = m.handle;
  return m.status;
}
static int16_t unmap(grant_handle_t handle, volatile void *at) {
  struct gnttab_unmap_grant_ref u = {.host_addr = (uint32_t)at, .handle = handle};
  int rc = grant_table_op(GNTTABOP_unmap_grant_ref, &u, 1);
  if (rc < 0) panic("unmap_grant_ref: %d", rc);
  return u.status;
}

static int mapper(void) {
  uint32_t peer = kit_arg("peer", 1), rport = kit_arg("port", 0), ro = kit_arg("ro", 8), rw = kit_arg("rw", 9);
  struct evtchn_bind_interdomain b = {.remote_dom = (domid_t)peer, .remote_port = rport};
  int rc;
  while ((rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b)) == -EINVAL_) yield();
  if (rc < 0) panic("bind_interdomain: %d", rc);
  evtchn_set_handler(b.local_port, count);
  plat_irq_enable();
  wait_for(1);  // Xen raises the new local port once at the bind
  events = 0;

  grant_handle_t h_ro, h_rw;
  printf("map: ref %u read-only from domain %u: status %d\n", ro, peer, map((uint16_t)peer, ro, window_ro, true, &h_ro));
  printf("map: it sums %08x\n", sum(window_ro));
  printf("map: ref %u writable (it was granted read-only): status %d\n", ro,
         map((uint16_t)peer, ro, copy_dest, false, 0));
  printf("map: ref 20, never granted: status %d\n", map((uint16_t)peer, 20, copy_dest, true, 0));
  printf("map: ref 100000, past the table: status %d\n", map((uint16_t)peer, 100000, copy_dest, true, 0));
  printf("map: ref %u from domain 7, which does not exist: status %d\n", ro, map(7, ro, copy_dest, true, 0));
  // The mapped frame made writable by the mapper's own page-table update: refused, as the frame is the
  // granter's and the grant read-only (Xen's mod_l1_entry takes no writable reference on another's frame).
  // The frame's machine address comes from a device mapping of the same grant (dev_bus_addr).
  uint32_t ro_frame_entry = 0;
  {
    struct gnttab_map_grant_ref m = {.flags = GNTMAP_device_map | GNTMAP_readonly, .ref = ro, .dom = (uint16_t)peer};
    rc = grant_table_op(GNTTABOP_map_grant_ref, &m, 1);
    if (rc < 0) panic("map_grant_ref: %d", rc);
    printf("map: a device mapping of the same grant: status %d\n", m.status);
    ro_frame_entry = (uint32_t)m.dev_bus_addr | 0x67;  // present, writable, user, accessed, dirty
    printf("map: writing a writable entry for its frame ourselves: %d\n",
           HYPERVISOR_update_va_mapping((unsigned long)copy_dest, ro_frame_entry, UVMF_INVLPG));
    printf("map: unmapping the device mapping: status %d\n", unmap(m.handle, 0));
  }

  printf("map: ref %u writable from domain %u: status %d\n", rw, peer, map((uint16_t)peer, rw, window_rw, false, &h_rw));
  for (uint32_t i = 0; i < 1024; i++) window_rw[i] = window_ro[i] ^ 0xFFFFFFFFu;

  struct gnttab_copy c = {.source = {.u.ref = ro, .domid = (domid_t)peer, .offset = 0},
                          .dest = {.u.gmfn = pfn_to_mfn((uint32_t)copy_dest >> 12), .domid = DOMID_SELF, .offset = 0},
                          .len = 4096,
                          .flags = GNTCOPY_source_gref};
  rc = grant_table_op(GNTTABOP_copy, &c, 1);
  printf("map: GNTTABOP_copy of ref %u into a page of ours: %d, status %d, it sums %08x\n", ro, rc, c.status,
         sum(copy_dest));

  evtchn_send(b.local_port);  // both mapped: the granter tries to revoke
  wait_for(1);
  printf("map: unmapping ref %u: status %d, ref %u: status %d\n", ro, unmap(h_ro, window_ro), rw,
         unmap(h_rw, window_rw));
  printf("map: unmapping ref %u's handle again: status %d\n", ro, unmap(h_ro, window_ro));
  evtchn_send(b.local_port);
  wait_for(2);
  return 0;
}

int kmain(void) {
  if (!plat_is_pv()) {
    printf("grants: this image runs as two PV domains (ring1 run --domain ...)\n");
    return 0;
  }
  if (kit_role("grant")) return granter();
  if (kit_role("map")) return mapper();
  printf("grants: unknown role '%s' (grant, map)\n", kit_boot.cmdline);
  return 1;
}
