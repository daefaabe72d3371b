// netfront_hostile: a front end that breaks the rules of xen/io/netif.h on purpose, after connecting its
// vif with the kit's netfront (`ring1 run netfront_hostile.elf --pv --vif`). The back end must answer each
// bad request NETIF_RSP_ERROR and carry on, serve a storm a ring at a time, and drop the vif (not ring1, not
// the domain) when the producer index goes wild; meanwhile the guest cannot revoke a ring the back end maps.
// Each line printed is what happened; the test compares them and the report's counters.
#include "kit/console.h"
#include "kit/events.h"
#include "kit/gnttab.h"
#include "kit/kit.h"
#include "kit/netfront.h"
#include "kit/platform.h"
#include "kit/string.h"
#include "kit/xen.h"
#include "kit/xenbus.h"

#include <xen/errno.h>
#include <xen/io/netif.h>

static struct netfront nf;

// Puts one TX request straight on the ring (not published).
static void raw_tx(uint32_t gref, uint16_t offset, uint16_t id, uint16_t size) {
  struct netif_tx_request *r = ring1_front_next_request(&nf.tx);
  r->gref = gref;
  r->offset = offset;
  r->flags = 0;
  r->id = id;
  r->size = size;
  nf.tx.req_prod_pvt++;
}

// Publishes and notifies whatever the back end asked; returns the responses' statuses in order (at most n).
static unsigned publish_and_collect(int16_t *status, unsigned n) {
  ring1_front_push(&nf.tx);
  evtchn_send(nf.port);
  unsigned k = 0;
  while (nf.tx.rsp_cons != nf.tx.sring->rsp_prod) {
    const struct netif_tx_response *r = ring1_front_response(&nf.tx, nf.tx.rsp_cons++);
    if (k < n) status[k] = r->status;
    k++;
  }
  return k;
}

int kmain(void) {
  if (!plat_is_pv()) {
    printf("netfront_hostile: runs under the hypervisor with a vif (--pv --vif)\n");
    return 0;
  }
  int rc = xenbus_init();
  if (rc == 0) rc = netfront_init(&nf, 0);
  if (rc < 0) panic("netfront_hostile: connecting vif 0: %d", rc);
  printf("vif 0 connected at %s\n", nf.backend);

  // A frame of 60 bytes in TX buffer 0, for the requests that should go through.
  memset(nf.tx_buf[0], 0xff, 6);
  memcpy(nf.tx_buf[0] + 6, nf.mac, 6);
  nf.tx_buf[0][12] = 0x88;
  nf.tx_buf[0][13] = 0xb5;
  memset(nf.tx_buf[0] + 14, 0x5a, 46);

  int16_t st[8];
  raw_tx(nf.tx_ref[0], 0, 1, 60);      // a good one
  raw_tx(2000, 0, 2, 60);              // a reference in the table that grants nothing
  raw_tx(100000, 0, 3, 60);            // a reference past the table
  raw_tx(nf.tx_ref[0], 0, 4, 5000);    // larger than its page
  raw_tx(nf.tx_ref[0], 4090, 5, 60);   // crossing the end of its page
  raw_tx(nf.tx_ref[0], 0, 6, 13);      // shorter than an Ethernet header
  raw_tx(nf.tx_ref[0], 0, 7, 60);      // good again: the ring is still served
  unsigned n = publish_and_collect(st, 8);
  printf("seven requests, %u responses:", n);
  for (unsigned i = 0; i < n && i < 8; i++) printf(" %d", st[i]);
  printf("\n");

  // The rings are mapped by the back end: their grants are busy and cannot be revoked.
  printf("revoking the TX ring's grant: %d, the RX ring's: %d\n", gnttab_end_access(nf.tx_ring_ref),
         gnttab_end_access(nf.rx_ring_ref));

  // A storm: 40 times a full ring of good requests, one notification each.
  uint32_t okay = 0, other = 0;
  for (unsigned round = 0; round < 40; round++) {
    while (ring1_front_free(&nf.tx)) raw_tx(nf.tx_ref[0], 0, 8, 60);
    ring1_front_push(&nf.tx);
    evtchn_send(nf.port);
    while (nf.tx.rsp_cons != nf.tx.sring->rsp_prod) {
      const struct netif_tx_response *r = ring1_front_response(&nf.tx, nf.tx.rsp_cons++);
      if (r->status == NETIF_RSP_OKAY) okay++;
      else other++;
    }
  }
  printf("storm: %u answered okay, %u otherwise\n", okay, other);
  // Notifications with nothing on the ring: each kick finds no work.
  for (unsigned i = 0; i < 1000; i++) evtchn_send(nf.port);
  printf("1000 empty notifications answered with %u responses\n", nf.tx.sring->rsp_prod - nf.tx.rsp_cons);

  // A wild producer index: more than a ring ahead. The back end drops the vif.
  uint32_t before = nf.tx.sring->rsp_prod;
  nf.tx.sring->req_prod = nf.tx.req_prod_pvt + 1000;
  evtchn_send(nf.port);
  nf.tx.sring->req_prod = nf.tx.req_prod_pvt;
  raw_tx(nf.tx_ref[0], 0, 9, 60);
  ring1_front_push(&nf.tx);
  evtchn_send(nf.port);
  printf("after a wild producer index: %u more responses; the domain runs on\n", nf.tx.sring->rsp_prod - before);
  // The back end let go of the rings: their grants are free to revoke now.
  printf("revoking the rings' grants now: %d, %d\n", gnttab_end_access(nf.tx_ring_ref), gnttab_end_access(nf.rx_ring_ref));
  return 0;
}
