// netfront.c: the kit's network front end (include/kit/netfront.h). Buffers are whole pages, each granted
// once at start and reused: a TX buffer's request id is its index, and so is an RX buffer's, so a response
// names the buffer it answers (netif.h: "id: echoed in response message"). The order of the xenbus
// handshake is Linux netfront's talk_to_netback (rings and buffers granted, the port allocated, the nodes
// written in one transaction that is retried on EAGAIN) followed by Mini-OS's (state Connected at once,
// then a watch on the back end's state until it is Connected).
#include "kit/netfront.h"

#include <stddef.h>

#include "kit/console.h"
#include "kit/events.h"
#include "kit/gnttab.h"
#include "kit/paging.h"
#include "kit/string.h"
#include "kit/xen.h"
#include "kit/xenbus.h"

#include <xen/errno.h>
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>

// The rings' slots are <xen/io/netif.h>'s structures, at io_ring.h's offsets; the host's back end checks
// the same sizes (devices/netif_backend.cpp), and io_ring.h sizes a ring as ring.h's __RD32 does.
_Static_assert(sizeof(struct netif_tx_request) == 12 && sizeof(struct netif_tx_response) == 4, "netif tx");
_Static_assert(sizeof(struct netif_rx_request) == 8 && sizeof(struct netif_rx_response) == 8, "netif rx");
_Static_assert(offsetof(struct netif_tx_request, size) == 10 && offsetof(struct netif_rx_request, gref) == 4 &&
                   offsetof(struct netif_rx_response, status) == 6,
               "netif layouts");
_Static_assert(offsetof(struct netif_tx_sring, ring) == RING1_RING_HEADER_BYTES &&
                   offsetof(struct netif_rx_sring, ring) == RING1_RING_HEADER_BYTES,
               "ring.h's slots start after a 64-byte header, as io_ring.h's do");
_Static_assert(__CONST_RING_SIZE(netif_tx, 4096) == 256 && __CONST_RING_SIZE(netif_rx, 4096) == 256,
               "ring.h sizes both netif rings at 256 slots; io_ring.h's ring1_ring_size does the same arithmetic");

static struct netfront *by_port[4];
static bool gnttab_ready;

static void on_event(unsigned port) {
  for (unsigned i = 0; i < sizeof by_port / sizeof by_port[0]; i++)
    if (by_port[i] && by_port[i]->port == port) by_port[i]->stats.events++;
}

static uint32_t mfn_of(const void *va) { return (uint32_t)(virt_to_machine(va) >> 12); }

static int hexdigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool parse_mac(const char *s, uint8_t mac[6]) {
  for (int i = 0; i < 6; i++) {
    int hi = hexdigit(s[3 * i]), lo = hexdigit(s[3 * i + 1]);
    if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':')) return false;
    mac[i] = (uint8_t)(hi << 4 | lo);
  }
  return true;
}

// Puts RX buffer `id` on the ring (not yet published).
static void post_rx(struct netfront *nf, unsigned id) {
  struct netif_rx_request *r = ring1_front_next_request(&nf->rx);
  r->id = (uint16_t)id;
  r->gref = nf->rx_ref[id];
  nf->rx.req_prod_pvt++;
  nf->rx_unpushed++;
}

static int write_nodes(struct netfront *nf, const char *dir, unsigned tx_ref, unsigned rx_ref) {
  char path[96], value[16];
  for (;;) {
    uint32_t tx;
    int rc = xenbus_transaction_start(&tx);
    if (rc < 0) return rc;
    struct {
      const char *key;
      unsigned value;
    } nodes[] = {{"tx-ring-ref", tx_ref}, {"rx-ring-ref", rx_ref}, {"event-channel", nf->port},
                 {"request-rx-copy", 1},  {"feature-rx-notify", 1}, {"state", XenbusStateConnected}};
    for (unsigned i = 0; rc == 0 && i < sizeof nodes / sizeof nodes[0]; i++) {
      snprintf(path, sizeof path, "%s/%s", dir, nodes[i].key);
      snprintf(value, sizeof value, "%u", nodes[i].value);
      rc = xenbus_write(tx, path, value);
    }
    if (rc < 0) {
      xenbus_transaction_end(tx, true);
      return rc;
    }
    rc = xenbus_transaction_end(tx, false);
    if (rc != -XEN_EAGAIN) return rc;
  }
}

int netfront_init(struct netfront *nf, unsigned devid) {
  memset(nf, 0, sizeof *nf);
  nf->devid = devid;
  nf->held = -1;
  char dir[32], path[96], value[64];
  snprintf(dir, sizeof dir, "device/vif/%u", devid);
  snprintf(path, sizeof path, "%s/backend-id", dir);
  long backend_id = xenbus_read_integer(0, path);
  if (backend_id < 0) return (int)backend_id;
  nf->backend_id = (uint16_t)backend_id;
  snprintf(path, sizeof path, "%s/backend", dir);
  int rc = xenbus_read(0, path, nf->backend, sizeof nf->backend);
  if (rc < 0) return rc;
  snprintf(path, sizeof path, "%s/mac", dir);
  rc = xenbus_read(0, path, value, sizeof value);
  if (rc < 0) return rc;
  if (!parse_mac(value, nf->mac)) return -XEN_EINVAL;

  if (!gnttab_ready) {
    if ((rc = gnttab_init(4)) < 0) return rc;
    gnttab_ready = true;
  }
  // The rings (SHARED_RING_INIT, then FRONT_RING_INIT) and the buffers, each page granted to the back end.
  struct ring1_sring *txs = (struct ring1_sring *)frame_alloc(), *rxs = (struct ring1_sring *)frame_alloc();
  ring1_sring_init(txs);
  ring1_sring_init(rxs);
  ring1_front_init(&nf->tx, txs, sizeof(struct netif_tx_request));
  ring1_front_init(&nf->rx, rxs, sizeof(struct netif_rx_request));
  int tx_ring_ref = gnttab_grant_access(nf->backend_id, mfn_of(txs), false);
  int rx_ring_ref = gnttab_grant_access(nf->backend_id, mfn_of(rxs), false);
  if (tx_ring_ref < 0 || rx_ring_ref < 0) return -XEN_ENOSPC;
  nf->tx_ring_ref = (uint32_t)tx_ring_ref;
  nf->rx_ring_ref = (uint32_t)rx_ring_ref;
  for (unsigned i = 0; i < NETFRONT_TX_BUFS; i++) {
    nf->tx_buf[i] = (uint8_t *)frame_alloc();
    int ref = gnttab_grant_access(nf->backend_id, mfn_of(nf->tx_buf[i]), true);
    if (ref < 0) return ref;
    nf->tx_ref[i] = (uint32_t)ref;
    nf->tx_free[nf->tx_nfree++] = (uint16_t)(NETFRONT_TX_BUFS - 1 - i);
  }
  for (unsigned i = 0; i < NETFRONT_RX_BUFS; i++) {
    nf->rx_buf[i] = (uint8_t *)frame_alloc();
    int ref = gnttab_grant_access(nf->backend_id, mfn_of(nf->rx_buf[i]), false);
    if (ref < 0) return ref;
    nf->rx_ref[i] = (uint32_t)ref;
    post_rx(nf, i);
  }
  // The buffers are on the ring before the back end can look (it reads the indexes once connected).
  netfront_rx_refill(nf);

  struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = nf->backend_id};
  if ((rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a)) < 0) return rc;
  nf->port = a.port;
  for (unsigned i = 0; i < sizeof by_port / sizeof by_port[0]; i++)
    if (!by_port[i]) {
      by_port[i] = nf;
      break;
    }
  evtchn_set_handler(nf->port, on_event);

  if ((rc = write_nodes(nf, dir, (unsigned)tx_ring_ref, (unsigned)rx_ring_ref)) < 0) return rc;
  snprintf(path, sizeof path, "%s/state", nf->backend);
  char token[16];
  snprintf(token, sizeof token, "vif-%u", devid);
  if ((rc = xenbus_watch(path, token)) < 0) return rc;
  for (;;) {
    long state = xenbus_read_integer(0, path);
    if (state == XenbusStateConnected) break;
    if (state < 0 || state >= XenbusStateClosing) {
      char epath[96];
      snprintf(epath, sizeof epath, "%s/error", nf->backend);
      if (xenbus_read(0, epath, value, sizeof value) < 0) strcpy(value, "(no error node)");
      printf("netfront: vif %u: the back end closed: %s\n", devid, value);
      xenbus_unwatch(path, token);
      return -XEN_EIO;
    }
    char ev_path[XENBUS_EVENT_PATH], ev_token[XENBUS_EVENT_TOKEN];
    xenbus_wait_event(ev_path, sizeof ev_path, ev_token, sizeof ev_token);
  }
  xenbus_unwatch(path, token);
  return 0;
}

unsigned netfront_tx_reap(struct netfront *nf) {
  unsigned n = 0;
  uint32_t prod = nf->tx.sring->rsp_prod;
  ring1_ring_mb();  // the responses after the index that publishes them
  while (nf->tx.rsp_cons != prod) {
    const struct netif_tx_response *r = ring1_front_response(&nf->tx, nf->tx.rsp_cons++);
    if (r->status == NETIF_RSP_OKAY) nf->stats.tx_packets++;
    else nf->stats.tx_errors++;
    if (r->id < NETFRONT_TX_BUFS) nf->tx_free[nf->tx_nfree++] = r->id;
    n++;
  }
  return n;
}

int netfront_send(struct netfront *nf, const void *frame, unsigned len) {
  if (len < 14 || len > 4096) return -XEN_EINVAL;
  if (nf->tx_nfree == 0) netfront_tx_reap(nf);
  if (nf->tx_nfree == 0 || ring1_front_free(&nf->tx) == 0) return -XEN_EAGAIN;
  unsigned id = nf->tx_free[--nf->tx_nfree];
  memcpy(nf->tx_buf[id], frame, len);
  struct netif_tx_request *r = ring1_front_next_request(&nf->tx);
  r->gref = nf->tx_ref[id];
  r->offset = 0;
  r->flags = 0;
  r->id = (uint16_t)id;
  r->size = (uint16_t)len;
  nf->tx.req_prod_pvt++;
  nf->stats.tx_bytes += len;
  return 0;
}

int netfront_push(struct netfront *nf) {
  nf->stats.tx_pushes++;
  if (!ring1_front_push(&nf->tx)) return 0;
  nf->stats.tx_notifications++;
  evtchn_send(nf->port);
  return 1;
}

void netfront_rx_refill(struct netfront *nf) {
  if (nf->held >= 0) {
    post_rx(nf, (unsigned)nf->held);
    nf->held = -1;
  }
  if (!nf->rx_unpushed) return;
  nf->rx_unpushed = 0;
  nf->stats.rx_pushes++;
  if (ring1_front_push(&nf->rx)) {
    nf->stats.rx_notifications++;
    if (nf->port) evtchn_send(nf->port);
  }
}

int netfront_receive(struct netfront *nf, const uint8_t **frame) {
  if (nf->held >= 0) {
    post_rx(nf, (unsigned)nf->held);
    nf->held = -1;
  }
  if (ring1_front_pending_responses(&nf->rx) == 0) {
    netfront_rx_refill(nf);
    return 0;
  }
  ring1_ring_mb();
  const struct netif_rx_response *r = ring1_front_response(&nf->rx, nf->rx.rsp_cons++);
  uint16_t id = r->id;
  int16_t status = r->status;
  if (id >= NETFRONT_RX_BUFS) {  // not a buffer of ours: nothing to give back
    nf->stats.rx_errors++;
    return NETIF_RSP_ERROR;
  }
  nf->held = id;
  if (status < 0) {
    nf->stats.rx_errors++;
    return status;
  }
  nf->stats.rx_packets++;
  nf->stats.rx_bytes += (uint32_t)status;
  *frame = nf->rx_buf[id] + r->offset;
  return status;
}

bool netfront_rx_ready(struct netfront *nf) { return ring1_front_final_check(&nf->rx) != 0; }

void netfront_wait(struct netfront *nf) {
  netfront_rx_refill(nf);
  while (!netfront_rx_ready(nf)) {
    nf->stats.blocks++;
    HYPERVISOR_sched_op(SCHEDOP_block, 0);
  }
}
