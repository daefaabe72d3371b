// blkfront.h: the kit's block front end (pv/blkfront.c), a virtual block device of xen/io/blkif.h driven as
// Linux's and Mini-OS's blkfront drive one. blkfront_connect finds the device under the domain's
// device/vbd/ directory in the store, shares a ring page and an event channel with the back end (a grant and
// an unbound port for the back end's domain), runs the front end's half of the XenbusState handshake to
// Connected, and reads what the back end says of the disk (sectors, sector-size, info, its features).
//
// Requests are queued on the ring (blkfront_queue: one request of up to BLKIF_MAX_SEGMENTS_PER_REQUEST
// segments, one per page of the buffer, each page granted to the back end for the request's life) and handed
// over together by blkfront_push, which notifies the back end only if it asked to be told
// (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY): several requests per notification is the ring's batching.
// Responses come back on the same ring; blkfront_poll takes those that are there, ends their grants and
// passes each to a callback, blkfront_wait waits on the event channel (SCHEDOP_poll) until every request
// pushed has its response. The ring is common/io_ring.h, the layout the host's back ends use.
// Only meaningful when plat_is_pv(); results are 0 or Xen's -errno.
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "common/io_ring.h"
#include "kit/xen.h"
#include <xen/io/blkif.h>

#define BLKFRONT_PATH 96

// One request in flight: the caller's tag and the grants its segments hold (Linux's "shadow" entries).
struct blkfront_shadow {
  bool used;
  uint8_t operation, nr_segments;
  uint32_t tag;
  int gref[BLKIF_MAX_SEGMENTS_PER_REQUEST];
};

struct blkfront {
  // From the store: the front end's and the back end's directories, and the disk as the back end gives it.
  char node[BLKFRONT_PATH], backend[BLKFRONT_PATH];
  uint16_t backend_id, handle;
  uint64_t sectors;
  uint32_t sector_size, info;  // info: VDISK_* bits (VDISK_READONLY: the disk is read-only)
  bool read_only, feature_barrier, feature_flush;
  // The ring and its event channel.
  struct ring1_front ring;
  int ring_ref;
  unsigned port;
  struct blkfront_shadow shadow[32];  // indexed by request id (the block ring has 32 slots)
  uint16_t free_ids[32];
  unsigned nr_free_ids, outstanding;
  // Counters: requests queued, pushes, pushes that notified the back end, responses taken, responses that
  // were not BLKIF_RSP_OKAY, waits on the event channel, responses naming no request in flight, grants made
  // (the ring's and every segment's), grants the back end still held when their request completed.
  uint32_t requests, pushes, notifications, responses, errors, waits, bad_responses, grants, busy_grants;
};

// Connects the index-th device under device/vbd/ (0: the first): 0, or -errno (-XEN_ENODEV: no such device;
// -XEN_EIO: the back end failed the handshake, or closed).
int blkfront_connect(struct blkfront *d, unsigned index);

// Queues one request, not yet pushed: `nsect` sectors from `sector` to or from `buf` (512-byte aligned; one
// segment per page it spans, at most 11) for BLKIF_OP_READ and BLKIF_OP_WRITE; nsect 0 and no buffer for
// BLKIF_OP_FLUSH_DISKCACHE and BLKIF_OP_WRITE_BARRIER. A read grants its pages writable, a write read-only.
// 0, -XEN_EAGAIN if the ring is full (push and wait first), -XEN_EINVAL for a misaligned buffer or too many
// segments, -XEN_ENOSPC if the grant table is full (kit/gnttab.h: the guest sets it up with gnttab_init
// before connecting). `tag` comes back with the response.
int blkfront_queue(struct blkfront *d, uint8_t op, uint64_t sector, void *buf, unsigned nsect, uint32_t tag);
// Publishes the queued requests; notifies the back end (EVTCHNOP_send) if it asked. True if it notified.
bool blkfront_push(struct blkfront *d);

// A completed request: its tag, operation and status (BLKIF_RSP_OKAY, _ERROR, _EOPNOTSUPP).
typedef void (*blkfront_done)(void *ctx, uint32_t tag, uint8_t op, int16_t status);
// Takes every response already on the ring (ending its grants, calling `done` if not null) and asks to be
// notified of the next (RING_FINAL_CHECK_FOR_RESPONSES): how many it took.
unsigned blkfront_poll(struct blkfront *d, blkfront_done done, void *ctx);
// Takes responses until none is outstanding, waiting on the event channel while the ring is empty.
void blkfront_wait(struct blkfront *d, blkfront_done done, void *ctx);

// One request, pushed and waited for: its status (BLKIF_RSP_*), or a negative -errno from blkfront_queue.
int blkfront_io(struct blkfront *d, uint8_t op, uint64_t sector, void *buf, unsigned nsect);
// Makes every completed write durable: BLKIF_OP_FLUSH_DISKCACHE if the back end offers feature-flush-cache,
// else a WRITE_BARRIER with no data if it offers feature-barrier; its status, or -XEN_EOPNOTSUPP if neither.
int blkfront_flush(struct blkfront *d);

// Closes the device (XenbusState Closing, then Closed once the back end has followed) and ends the ring's
// grant: 0, or -XEN_EBUSY if requests are outstanding.
int blkfront_close(struct blkfront *d);
