// blk_hostile: a paravirtual kit kernel that connects the kit's block front end and then writes requests a
// well-behaved front end never sends, straight into the shared ring, to show ring1's block back end answering
// each as Xen's blkback does, through the whole path (grant table, event channel, hypervisor, back end):
// BLKIF_RSP_ERROR for a bad request, with nothing written where it should not be, and the ring dropped for a
// producer index no ring can hold; ring1 itself never stops. The disk must be unchanged afterwards
// (tests/examples/check_disk.py checks the file; every write here is refused).
#include "kit/blkfront.h"
#include "kit/console.h"
#include "kit/events.h"
#include "kit/gnttab.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/platform.h"
#include "kit/string.h"
#include "kit/xenbus.h"

static struct blkfront dev;
static uint8_t page[2][PAGE_SIZE] __attribute__((aligned(4096)));

// One request as given (nr_segments as given, even past the 11 slots), pushed and notified; the status of its
// response, or 99 if none came (the back end serves synchronously inside EVTCHNOP_send).
static int raw(uint8_t op, uint8_t nr, uint64_t sector, const struct blkif_request_segment *seg, unsigned nseg) {
  struct blkif_request *r = ring1_front_next_request(&dev.ring);
  memset(r, 0, sizeof *r);
  r->operation = op;
  r->nr_segments = nr;
  uint64_t id = 0xdead0000u + dev.ring.req_prod_pvt;  // the response will take the request's slot
  r->id = id;
  r->sector_number = sector;
  for (unsigned i = 0; i < nseg && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) r->seg[i] = seg[i];
  dev.ring.req_prod_pvt++;
  ring1_front_push(&dev.ring);
  evtchn_send(dev.port);  // always: a hostile front end ignores req_event
  if (dev.ring.sring->rsp_prod == dev.ring.rsp_cons) return 99;
  struct blkif_response rsp;
  memcpy(&rsp, ring1_front_response(&dev.ring, dev.ring.rsp_cons), sizeof rsp);
  dev.ring.rsp_cons++;
  if (rsp.id != id) return 98;
  return rsp.status;
}

static const char *untouched(const uint8_t *p, uint8_t fill) {
  for (unsigned i = 0; i < PAGE_SIZE; i++)
    if (p[i] != fill) return "WRITTEN";
  return "untouched";
}

int kmain(void) {
  if (!plat_is_pv()) {
    printf("blk_hostile: run me with --pv --disk FILE\n");
    return 1;
  }
  if (xenbus_init() || gnttab_init(1) || blkfront_connect(&dev, 0)) panic("cannot connect the disk");
  printf("connected: %llu sectors\n", dev.sectors);
  memset(page, 0x77, sizeof page);
  uint16_t be = dev.backend_id;
  int rw = gnttab_grant_access(be, pfn_to_mfn((uint32_t)page[0] >> 12), false);
  int ro = gnttab_grant_access(be, pfn_to_mfn((uint32_t)page[1] >> 12), true);
  int other = gnttab_grant_access(7, pfn_to_mfn((uint32_t)page[1] >> 12), false);  // granted to domain 7
  struct blkif_request_segment ok = {.gref = (grant_ref_t)rw, .first_sect = 0, .last_sect = 7};
  struct blkif_request_segment s[BLKIF_MAX_SEGMENTS_PER_REQUEST];

  s[0] = (struct blkif_request_segment){.gref = (grant_ref_t)ro, .first_sect = 0, .last_sect = 7};
  printf("read into a read-only grant: %d; the page %s\n", raw(BLKIF_OP_READ, 1, 0, s, 1), untouched(page[1], 0x77));
  s[0] = ok;
  s[1] = (struct blkif_request_segment){.gref = 400, .first_sect = 0, .last_sect = 7};
  printf("read with a never-granted second segment: %d; the first page %s\n", raw(BLKIF_OP_READ, 2, 0, s, 2),
         untouched(page[0], 0x77));
  s[0] = (struct blkif_request_segment){.gref = (grant_ref_t)other, .first_sect = 0, .last_sect = 7};
  printf("read into a page granted to another domain: %d\n", raw(BLKIF_OP_READ, 1, 0, s, 1));
  for (unsigned i = 0; i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++) s[i] = ok;
  printf("12 segments: %d; 255 segments: %d\n", raw(BLKIF_OP_READ, 12, 0, s, 11), raw(BLKIF_OP_READ, 255, 0, s, 11));
  s[0] = (struct blkif_request_segment){.gref = (grant_ref_t)rw, .first_sect = 8, .last_sect = 8};
  printf("a segment past its page: %d\n", raw(BLKIF_OP_WRITE, 1, 0, s, 1));
  s[0] = (struct blkif_request_segment){.gref = (grant_ref_t)rw, .first_sect = 5, .last_sect = 2};
  printf("a segment that ends before it starts: %d\n", raw(BLKIF_OP_WRITE, 1, 0, s, 1));
  s[0] = ok;
  printf("a write from the last sector on: %d; from past the end: %d; from sector 2^63: %d\n",
         raw(BLKIF_OP_WRITE, 1, dev.sectors - 1, s, 1), raw(BLKIF_OP_WRITE, 1, dev.sectors, s, 1),
         raw(BLKIF_OP_WRITE, 1, 1ull << 63, s, 1));
  printf("operation 9: %d\n", raw(9, 1, 0, s, 1));
  printf("the first page is still %s\n", untouched(page[0], 0x77));

  // A storm: notifications with nothing new on the ring, then a full ring at once.
  for (int i = 0; i < 1000; i++) evtchn_send(dev.port);
  for (unsigned i = 0; i < dev.ring.nr_ents; i++) {
    struct blkif_request *r = ring1_front_next_request(&dev.ring);
    memset(r, 0, sizeof *r);
    r->operation = BLKIF_OP_READ;
    r->nr_segments = 1;
    r->id = i;
    r->seg[0] = ok;
    dev.ring.req_prod_pvt++;
  }
  ring1_front_push(&dev.ring);
  evtchn_send(dev.port);
  unsigned answered = dev.ring.sring->rsp_prod - dev.ring.rsp_cons;
  dev.ring.rsp_cons = dev.ring.sring->rsp_prod;
  printf("1000 empty notifications, then %u reads at once: %u answered\n", dev.ring.nr_ents, answered);

  // A producer index no ring can hold: the back end drops the ring and answers nothing more on it.
  dev.ring.sring->req_prod += 1000;
  evtchn_send(dev.port);
  s[0] = ok;
  printf("a wild producer index, then a good read: %d (no answer)\n", raw(BLKIF_OP_READ, 1, 0, s, 1));
  return 0;
}
