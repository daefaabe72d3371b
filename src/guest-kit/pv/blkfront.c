// blkfront.c: the kit's block front end (include/kit/blkfront.h), after Linux's drivers/block/xen-blkfront.c
// of the Xen 3.2 era (talk_to_backend, blkif_queue_request, blkif_interrupt) and Mini-OS's blkfront.c. The
// ring is common/io_ring.h over the request and response layouts of xen/io/blkif.h; the store is kit/xenbus.h,
// the grants kit/gnttab.h. The event channel is masked and waited on with SCHEDOP_poll (as the kit's
// xenbus does), so a guest can drive the device with events off.
#include "kit/blkfront.h"

#include <stddef.h>

#include "kit/events.h"
#include "kit/gnttab.h"
#include "kit/paging.h"
#include "kit/string.h"
#include "kit/console.h"
#include "kit/xenbus.h"
#include <xen/errno.h>
#include <xen/io/xenbus.h>

// The slot is the larger of request and response, as DEFINE_RING_TYPES's union; the ring's layout is
// xen/io/ring.h's: its header ends where Xen's struct blkif_sring puts the first slot, and it holds the
// number of slots Xen's __CONST_RING_SIZE gives (32: (4096 - 64) / 108 rounded down to a power of two).
union blkfront_slot {
  struct blkif_request req;
  struct blkif_response rsp;
};
_Static_assert(sizeof(struct blkif_request) == 108, "x86_32 blkif_request");
_Static_assert(sizeof(union blkfront_slot) == sizeof(union blkif_sring_entry), "slot as DEFINE_RING_TYPES's");
_Static_assert(offsetof(struct blkif_sring, ring) == RING1_RING_HEADER_BYTES, "ring header as ring.h's");
_Static_assert(offsetof(struct blkif_sring, req_prod) == offsetof(struct ring1_sring, req_prod) &&
                   offsetof(struct blkif_sring, req_event) == offsetof(struct ring1_sring, req_event) &&
                   offsetof(struct blkif_sring, rsp_prod) == offsetof(struct ring1_sring, rsp_prod) &&
                   offsetof(struct blkif_sring, rsp_event) == offsetof(struct ring1_sring, rsp_event),
               "indexes as ring.h's");
_Static_assert(__CONST_RING_SIZE(blkif, 4096) == 32, "32 slots");
#define NR_SLOTS __CONST_RING_SIZE(blkif, 4096)
#define SECTORS_PER_PAGE (PAGE_SIZE / 512)

// A decimal store value as a 64-bit number; `fallback` if the node is absent or not a number.
static uint64_t read_u64(const char *dir, const char *name, uint64_t fallback) {
  char path[BLKFRONT_PATH + 32], v[24];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  int n = xenbus_read(0, path, v, sizeof v);
  if (n <= 0 || n >= (int)sizeof v) return fallback;
  uint64_t x = 0;
  for (int i = 0; i < n; i++) {
    if (v[i] == 0 && i > 0) break;  // a value written with its NUL
    if (v[i] < '0' || v[i] > '9') return fallback;
    x = x * 10 + (uint64_t)(v[i] - '0');
  }
  return x;
}

static int write_node(uint32_t tx, const char *dir, const char *name, const char *fmt, unsigned value) {
  char path[BLKFRONT_PATH + 32], v[16];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  snprintf(v, sizeof v, fmt, value);
  return xenbus_write(tx, path, v);
}

static int backend_state(const struct blkfront *d) { return (int)read_u64(d->backend, "state", XenbusStateUnknown); }

// Waits until the back end's state is `want` (true) or it closes (false); the watch on its state node wakes it.
static bool wait_backend(const struct blkfront *d, int want) {
  char path[XENBUS_EVENT_PATH], token[XENBUS_EVENT_TOKEN];
  for (;;) {
    int s = backend_state(d);
    if (s == want) return true;
    if (s == XenbusStateClosing || s == XenbusStateClosed) return want == XenbusStateClosing || want == XenbusStateClosed;
    xenbus_wait_event(path, sizeof path, token, sizeof token);
  }
}

// The store's name of the index-th child of device/vbd.
static int find_device(struct blkfront *d, unsigned index) {
  char list[256];
  int n = xenbus_directory(0, "device/vbd", list, sizeof list);
  if (n < 0) return n == -XEN_ENOENT ? -XEN_ENODEV : n;
  const char *p = list;
  for (int i = 0; i < n; i++, p += strlen(p) + 1) {
    if (p >= list + sizeof list) break;
    if ((unsigned)i == index) {
      snprintf(d->node, sizeof d->node, "device/vbd/%s", p);
      return 0;
    }
  }
  return -XEN_ENODEV;
}

int blkfront_connect(struct blkfront *d, unsigned index) {
  memset(d, 0, sizeof *d);
  int rc = find_device(d, index);
  if (rc < 0) return rc;
  char path[BLKFRONT_PATH + 32];
  snprintf(path, sizeof path, "%s/backend", d->node);
  if ((rc = xenbus_read(0, path, d->backend, sizeof d->backend)) < 0) return rc;
  d->backend_id = (uint16_t)read_u64(d->node, "backend-id", 0);
  d->handle = (uint16_t)read_u64(d->node, "virtual-device", 0);

  // The shared ring (SHARED_RING_INIT, FRONT_RING_INIT) in a fresh page granted to the back end, and a port
  // the back end can bind.
  struct ring1_sring *s = (struct ring1_sring *)frame_alloc();
  ring1_sring_init(s);
  ring1_front_init(&d->ring, s, sizeof(union blkfront_slot));
  d->ring_ref = gnttab_grant_access(d->backend_id, pfn_to_mfn((uint32_t)s >> 12), false);
  if (d->ring_ref < 0) return d->ring_ref;
  d->grants++;
  struct evtchn_alloc_unbound alloc = {.dom = DOMID_SELF, .remote_dom = d->backend_id};
  if ((rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &alloc)) < 0) return rc;
  d->port = alloc.port;
  evtchn_mask(d->port);
  for (unsigned i = 0; i < NR_SLOTS; i++) d->free_ids[i] = (uint16_t)(NR_SLOTS - 1 - i);
  d->nr_free_ids = NR_SLOTS;

  // talk_to_backend: the ring, the port and the ABI in one transaction, then Initialised.
  snprintf(path, sizeof path, "%s/state", d->backend);
  if ((rc = xenbus_watch(path, "blkfront")) < 0) return rc;
  for (;;) {
    uint32_t tx;
    if ((rc = xenbus_transaction_start(&tx)) < 0) return rc;
    if ((rc = write_node(tx, d->node, "ring-ref", "%u", (unsigned)d->ring_ref)) < 0 ||
        (rc = write_node(tx, d->node, "event-channel", "%u", d->port)) < 0 ||
        (rc = write_node(tx, d->node, "protocol", "x86_32-abi", 0)) < 0) {
      xenbus_transaction_end(tx, true);
      return rc;
    }
    rc = xenbus_transaction_end(tx, false);
    if (rc == -XEN_EAGAIN) continue;
    if (rc < 0) return rc;
    break;
  }
  if ((rc = write_node(0, d->node, "state", "%u", XenbusStateInitialised)) < 0) return rc;
  if (!wait_backend(d, XenbusStateConnected)) return -XEN_EIO;

  // blkfront_connect: what the back end wrote before it said Connected.
  d->sectors = read_u64(d->backend, "sectors", 0);
  d->sector_size = (uint32_t)read_u64(d->backend, "sector-size", 512);
  d->info = (uint32_t)read_u64(d->backend, "info", 0);
  d->read_only = (d->info & VDISK_READONLY) != 0;
  d->feature_barrier = read_u64(d->backend, "feature-barrier", 0) != 0;
  d->feature_flush = read_u64(d->backend, "feature-flush-cache", 0) != 0;
  xenbus_unwatch(path, "blkfront");
  return write_node(0, d->node, "state", "%u", XenbusStateConnected);
}

int blkfront_queue(struct blkfront *d, uint8_t op, uint64_t sector, void *buf, unsigned nsect, uint32_t tag) {
  uint32_t addr = (uint32_t)buf;
  if (addr % 512) return -XEN_EINVAL;
  unsigned nseg = nsect ? ((addr % PAGE_SIZE) / 512 + nsect + SECTORS_PER_PAGE - 1) / SECTORS_PER_PAGE : 0;
  if (nseg > BLKIF_MAX_SEGMENTS_PER_REQUEST) return -XEN_EINVAL;
  if (!ring1_front_free(&d->ring) || !d->nr_free_ids) return -XEN_EAGAIN;

  unsigned id = d->free_ids[--d->nr_free_ids];
  struct blkfront_shadow *sh = &d->shadow[id];
  struct blkif_request *r = ring1_front_next_request(&d->ring);
  r->operation = op;
  r->nr_segments = (uint8_t)nseg;
  r->handle = d->handle;
  r->id = id;
  r->sector_number = sector;
  // One segment per page: the back end only reads a write's pages, so they are granted read-only.
  for (unsigned i = 0; i < nseg; i++) {
    unsigned first = (addr % PAGE_SIZE) / 512, n = SECTORS_PER_PAGE - first;
    if (n > nsect) n = nsect;
    int ref = gnttab_grant_access(d->backend_id, pfn_to_mfn(addr >> 12), op == BLKIF_OP_WRITE);
    if (ref < 0) {
      while (i--) gnttab_end_access((uint32_t)sh->gref[i]);
      d->free_ids[d->nr_free_ids++] = (uint16_t)id;
      return ref;
    }
    d->grants++;
    sh->gref[i] = ref;
    r->seg[i].gref = (grant_ref_t)ref;
    r->seg[i].first_sect = (uint8_t)first;
    r->seg[i].last_sect = (uint8_t)(first + n - 1);
    addr = (addr & PAGE_MASK) + PAGE_SIZE;
    nsect -= n;
  }
  sh->used = true;
  sh->operation = op;
  sh->nr_segments = (uint8_t)nseg;
  sh->tag = tag;
  d->ring.req_prod_pvt++;
  d->outstanding++;
  d->requests++;
  return 0;
}

bool blkfront_push(struct blkfront *d) {
  d->pushes++;
  if (!ring1_front_push(&d->ring)) return false;
  d->notifications++;
  evtchn_send(d->port);
  return true;
}

unsigned blkfront_poll(struct blkfront *d, blkfront_done done, void *ctx) {
  unsigned taken = 0;
  do {
    uint32_t prod = d->ring.sring->rsp_prod;
    ring1_ring_mb();  // the responses after the index that covers them
    while (d->ring.rsp_cons != prod) {
      struct blkif_response rsp;
      memcpy(&rsp, ring1_front_response(&d->ring, d->ring.rsp_cons), sizeof rsp);
      d->ring.rsp_cons++;
      struct blkfront_shadow *sh = rsp.id < NR_SLOTS ? &d->shadow[rsp.id] : 0;
      if (!sh || !sh->used) {
        d->bad_responses++;
        continue;
      }
      for (unsigned i = 0; i < sh->nr_segments; i++)
        if (gnttab_end_access((uint32_t)sh->gref[i]) < 0) d->busy_grants++;
      sh->used = false;
      d->free_ids[d->nr_free_ids++] = (uint16_t)rsp.id;
      d->outstanding--;
      d->responses++;
      if (rsp.status != BLKIF_RSP_OKAY) d->errors++;
      taken++;
      if (done) done(ctx, sh->tag, sh->operation, rsp.status);
    }
  } while (ring1_front_final_check(&d->ring));
  return taken;
}

static void clear_pending(unsigned port) {
  __atomic_and_fetch(&kit_shared_info->evtchn_pending[port / 32], ~(1u << (port % 32)), __ATOMIC_SEQ_CST);
}

void blkfront_wait(struct blkfront *d, blkfront_done done, void *ctx) {
  for (;;) {
    blkfront_poll(d, done, ctx);
    if (!d->outstanding) break;
    // The pending bit is cleared before the ring is looked at again, so a response that lands in between
    // raises it anew and the poll returns at once.
    clear_pending(d->port);
    if (d->ring.sring->rsp_prod != d->ring.rsp_cons) continue;
    evtchn_port_t port = d->port;
    struct sched_poll poll = {.nr_ports = 1, .timeout = 0};
    set_xen_guest_handle(poll.ports, &port);
    d->waits++;
    HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
  }
  clear_pending(d->port);
}

static void keep_status(void *ctx, uint32_t tag, uint8_t op, int16_t status) {
  (void)tag;
  (void)op;
  *(int *)ctx = status;
}

int blkfront_io(struct blkfront *d, uint8_t op, uint64_t sector, void *buf, unsigned nsect) {
  int rc = blkfront_queue(d, op, sector, buf, nsect, 0);
  if (rc < 0) return rc;
  int status = BLKIF_RSP_ERROR;
  blkfront_push(d);
  blkfront_wait(d, keep_status, &status);
  return status;
}

int blkfront_flush(struct blkfront *d) {
  if (d->feature_flush) return blkfront_io(d, BLKIF_OP_FLUSH_DISKCACHE, 0, 0, 0);
  if (d->feature_barrier) return blkfront_io(d, BLKIF_OP_WRITE_BARRIER, 0, 0, 0);
  return -XEN_EOPNOTSUPP;
}

int blkfront_close(struct blkfront *d) {
  if (d->outstanding) return -XEN_EBUSY;
  char path[BLKFRONT_PATH + 32];
  snprintf(path, sizeof path, "%s/state", d->backend);
  int rc = xenbus_watch(path, "blkfront");
  if (rc < 0) return rc;
  if ((rc = write_node(0, d->node, "state", "%u", XenbusStateClosing)) < 0) return rc;
  wait_backend(d, XenbusStateClosing);
  if ((rc = write_node(0, d->node, "state", "%u", XenbusStateClosed)) < 0) return rc;
  wait_backend(d, XenbusStateClosed);
  xenbus_unwatch(path, "blkfront");
  struct evtchn_close close = {.port = d->port};
  HYPERVISOR_event_channel_op(EVTCHNOP_close, &close);
  if (gnttab_end_access((uint32_t)d->ring_ref) < 0) d->busy_grants++;
  return 0;
}
