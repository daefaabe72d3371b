// netfront.h: the kit's network front end on the paravirtual platform (pv/netfront.c), the guest's half of
// xen/io/netif.h as Linux's and Mini-OS's netfront drivers run it: it reads device/vif/N from the store,
// grants its TX and RX rings and its packet buffers to the back end, allocates an event channel for it,
// writes tx-ring-ref, rx-ring-ref, event-channel and request-rx-copy, says Connected and waits until the back
// end is Connected too. Frames are then queued on the TX ring and published in batches: netfront_push is
// RING_PUSH_REQUESTS_AND_CHECK_NOTIFY, so the event channel is signalled only when the back end asked to be
// told (it does so once it has drained the ring), and a batch of N frames costs one notification. Received
// frames are taken from the RX ring one by one; their buffers go back on the ring in batches as well. The
// rings are common/io_ring.h's, the very code the host's back ends use, over the layouts of <xen/io/netif.h>.
// Needs kit/gnttab.h's table (netfront_init sets it up if the guest has not) and kit/xenbus.h's client.
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "common/io_ring.h"

#define NETFRONT_TX_BUFS 64  // one granted page each, read-only to the back end
#define NETFRONT_RX_BUFS 64  // one granted page each, writable by the back end

struct netfront_stats {
  uint32_t tx_packets, tx_bytes, tx_errors;  // TX responses: okay (and their bytes), and errors
  uint32_t tx_pushes, tx_notifications;      // TX pushes, and those that signalled the back end
  uint32_t rx_packets, rx_bytes, rx_errors;  // RX responses: frames, and errors
  uint32_t rx_pushes, rx_notifications;      // RX buffer pushes, and those that signalled the back end
  uint32_t events;                           // notifications received from the back end
  uint32_t blocks;                           // times netfront_wait slept
};

struct netfront {
  unsigned devid;
  uint16_t backend_id;
  unsigned port;
  uint8_t mac[6];
  char backend[64];
  struct ring1_front tx, rx;
  uint32_t tx_ring_ref, rx_ring_ref;  // the rings' grants
  uint8_t *tx_buf[NETFRONT_TX_BUFS], *rx_buf[NETFRONT_RX_BUFS];
  uint32_t tx_ref[NETFRONT_TX_BUFS], rx_ref[NETFRONT_RX_BUFS];
  uint16_t tx_free[NETFRONT_TX_BUFS];  // a stack of free TX buffer ids
  unsigned tx_nfree;
  int held;             // the RX buffer handed out by the last netfront_receive (reposted at the next), or -1
  unsigned rx_unpushed;  // reposted RX buffers not yet published
  struct netfront_stats stats;
};

// Connects vif `devid` (device/vif/<devid>): 0 once the back end is Connected, or -errno (-XEN_ENOENT: no
// such vif; -XEN_EIO: the back end refused, its reason printed from its error node).
int netfront_init(struct netfront *nf, unsigned devid);

// Queues one frame (at least an Ethernet header, at most a page) on the TX ring without publishing it:
// 0, or -XEN_EAGAIN if every TX buffer is in flight (netfront_tx_reap frees those the back end answered),
// -XEN_EINVAL for a bad length.
int netfront_send(struct netfront *nf, const void *frame, unsigned len);
// Publishes the queued frames (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY): 1 if the back end was signalled.
int netfront_push(struct netfront *nf);
// Takes the TX responses there are, freeing their buffers: how many.
unsigned netfront_tx_reap(struct netfront *nf);

// The next received frame: its length and *frame pointing at it (valid until the next call), 0 if none is
// waiting, or the back end's negative NETIF_RSP_* status for a buffer it could not fill.
int netfront_receive(struct netfront *nf, const uint8_t **frame);
// Publishes the RX buffers given back since the last time (one push, which signals only if asked).
void netfront_rx_refill(struct netfront *nf);
// Sleeps (SCHEDOP_block) until a received frame is waiting, after publishing the buffers given back.
void netfront_wait(struct netfront *nf);
// True if a received frame is waiting (asks the back end to signal the next one otherwise).
bool netfront_rx_ready(struct netfront *nf);
