/* io_ring.h: the shared I/O ring of xen/io/ring.h, as one C header that both sides of ring1's split drivers
 * include: the host's back-ends (src/devices, C++) and the guest kit's front-ends (src/guest-kit/pv, C built
 * with gcc -m32). It lives in src/common, below every layer, and both spell it "common/io_ring.h".
 *
 * A ring is one shared 4 KiB page: a 64-byte header (req_prod, req_event, rsp_prod, rsp_event, then padding,
 * as Xen's sring), followed by nr_ents slots, each as large as the bigger of the protocol's request and
 * response, nr_ents being the largest power of two that fits (__RD32 in ring.h). Indexes are free-running
 * 32-bit counters; a slot is index & (nr_ents - 1). The front end produces requests and consumes responses,
 * the back end the reverse; each side asks for a notification by writing the index at which it wants one
 * into req_event / rsp_event, and the producer notifies only when its push crossed that index. Unlike Xen's
 * macros this header is functions over a slot size, so one implementation serves every protocol; the index
 * arithmetic is exactly ring.h's (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, RING_FINAL_CHECK_FOR_RESPONSES,
 * RING_REQUEST_PROD_OVERFLOW, ...).
 *
 * The back end trusts nothing the front end writes: ring1_back_requests() refuses a producer index more than
 * a ring ahead of the consumer (the ring is then broken and the back end disconnects, as Xen's back-ends do),
 * and callers copy each request out of the page before looking at it, so that it cannot change between the
 * check and the use. */
#ifndef RING1_COMMON_IO_RING_H
#define RING1_COMMON_IO_RING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RING1_RING_PAGE_BYTES 4096u
#define RING1_RING_HEADER_BYTES 64u

struct ring1_sring {
  volatile uint32_t req_prod, req_event;
  volatile uint32_t rsp_prod, rsp_event;
  uint8_t pad[48];
  /* the slots follow: ring1_ring_slot() */
};

/* Both sides see each other's writes in order: a full fence (ring.h's xen_mb/xen_wmb/xen_rmb). */
static inline void ring1_ring_mb(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/* The number of slots of `slot_bytes` each that a page holds, rounded down to a power of two. */
static inline uint32_t ring1_ring_size(uint32_t slot_bytes) {
  uint32_t n = (RING1_RING_PAGE_BYTES - RING1_RING_HEADER_BYTES) / slot_bytes, p = 1;
  while (p * 2 <= n) p *= 2;
  return n ? p : 0;
}

/* Slot `idx` of the ring (masked). */
static inline void* ring1_ring_slot(struct ring1_sring* s, uint32_t nr_ents, uint32_t slot_bytes, uint32_t idx) {
  return (uint8_t*)s + RING1_RING_HEADER_BYTES + (idx & (nr_ents - 1)) * slot_bytes;
}

/* SHARED_RING_INIT: the front end resets the page's indexes (events at 1: notify on the first push). */
static inline void ring1_sring_init(struct ring1_sring* s) {
  s->req_prod = 0;
  s->rsp_prod = 0;
  s->req_event = 1;
  s->rsp_event = 1;
}

/* ---- the front end's half (FRONT_RING_*) ---- */
struct ring1_front {
  uint32_t req_prod_pvt; /* requests written but not yet pushed end here */
  uint32_t rsp_cons;     /* responses consumed so far */
  uint32_t nr_ents;
  uint32_t slot_bytes;
  struct ring1_sring* sring;
};

static inline void ring1_front_init(struct ring1_front* f, struct ring1_sring* s, uint32_t slot_bytes) {
  f->req_prod_pvt = 0;
  f->rsp_cons = 0;
  f->slot_bytes = slot_bytes;
  f->nr_ents = ring1_ring_size(slot_bytes);
  f->sring = s;
}
/* Free slots for new requests (RING_FREE_REQUESTS). */
static inline uint32_t ring1_front_free(const struct ring1_front* f) {
  return f->nr_ents - (f->req_prod_pvt - f->rsp_cons);
}
/* The slot of the next request (RING_GET_REQUEST at req_prod_pvt); the caller fills it, then ++req_prod_pvt. */
static inline void* ring1_front_next_request(struct ring1_front* f) {
  return ring1_ring_slot(f->sring, f->nr_ents, f->slot_bytes, f->req_prod_pvt);
}
/* RING_PUSH_REQUESTS_AND_CHECK_NOTIFY: publishes the new requests; nonzero if the back end asked to be told. */
static inline int ring1_front_push(struct ring1_front* f) {
  uint32_t old = f->sring->req_prod, now = f->req_prod_pvt;
  ring1_ring_mb(); /* the requests before the index */
  f->sring->req_prod = now;
  ring1_ring_mb(); /* the index before reading req_event */
  return (uint32_t)(now - f->sring->req_event) < (uint32_t)(now - old);
}
/* Responses produced but not yet consumed (RING_HAS_UNCONSUMED_RESPONSES). */
static inline uint32_t ring1_front_pending_responses(const struct ring1_front* f) {
  return f->sring->rsp_prod - f->rsp_cons;
}
/* The slot of response `idx`. */
static inline void* ring1_front_response(struct ring1_front* f, uint32_t idx) {
  return ring1_ring_slot(f->sring, f->nr_ents, f->slot_bytes, idx);
}
/* RING_FINAL_CHECK_FOR_RESPONSES: nonzero if more arrived; otherwise asks to be notified of the next one. */
static inline int ring1_front_final_check(struct ring1_front* f) {
  if (ring1_front_pending_responses(f)) return 1;
  f->sring->rsp_event = f->rsp_cons + 1;
  ring1_ring_mb();
  return ring1_front_pending_responses(f) != 0;
}

/* ---- the back end's half (BACK_RING_*) ---- */
struct ring1_back {
  uint32_t rsp_prod_pvt; /* responses written but not yet pushed end here */
  uint32_t req_cons;     /* requests consumed so far */
  uint32_t nr_ents;
  uint32_t slot_bytes;
  struct ring1_sring* sring;
};

static inline void ring1_back_init(struct ring1_back* b, struct ring1_sring* s, uint32_t slot_bytes) {
  b->rsp_prod_pvt = 0;
  b->req_cons = 0;
  b->slot_bytes = slot_bytes;
  b->nr_ents = ring1_ring_size(slot_bytes);
  b->sring = s;
}
/* Requests the back end may take now, from a producer index read once (`prod`): -1 if that index is more
 * than a ring ahead of the consumer (RING_REQUEST_PROD_OVERFLOW: a broken or hostile front end); otherwise
 * at most the free response slots (RING_UNCONSUMED_REQUESTS), so a response always has a slot. */
static inline int64_t ring1_back_requests(const struct ring1_back* b, uint32_t prod) {
  uint32_t req = prod - b->req_cons;
  uint32_t rsp = b->nr_ents - (b->req_cons - b->rsp_prod_pvt);
  if (req > b->nr_ents) return -1;
  return req < rsp ? req : rsp;
}
/* The slot of the next request to consume (copy it out before use), and of the next response to produce. */
static inline void* ring1_back_request(struct ring1_back* b) {
  return ring1_ring_slot(b->sring, b->nr_ents, b->slot_bytes, b->req_cons);
}
static inline void* ring1_back_next_response(struct ring1_back* b) {
  return ring1_ring_slot(b->sring, b->nr_ents, b->slot_bytes, b->rsp_prod_pvt);
}
/* RING_PUSH_RESPONSES_AND_CHECK_NOTIFY. */
static inline int ring1_back_push(struct ring1_back* b) {
  uint32_t old = b->sring->rsp_prod, now = b->rsp_prod_pvt;
  ring1_ring_mb();
  b->sring->rsp_prod = now;
  ring1_ring_mb();
  return (uint32_t)(now - b->sring->rsp_event) < (uint32_t)(now - old);
}
/* RING_FINAL_CHECK_FOR_REQUESTS: nonzero if more requests are there; otherwise asks to be told of the next. */
static inline int ring1_back_final_check(struct ring1_back* b) {
  if (b->sring->req_prod != b->req_cons) return 1;
  b->sring->req_event = b->req_cons + 1;
  ring1_ring_mb();
  return b->sring->req_prod != b->req_cons;
}

#ifdef __cplusplus
}
#endif

#endif /* RING1_COMMON_IO_RING_H */
