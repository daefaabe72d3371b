// xenbus.c: the kit's xenstore client (include/kit/xenbus.h). A request is its xsd_sockmsg header and
// payload written into the request ring, a notification on the store's port, then messages read from the
// response ring until the reply arrives; watch events read meanwhile are queued for the guest. The store's
// port is masked, so that its pending bit is left for SCHEDOP_poll to wait on (as XTF's xenbus does)
// rather than taken by the kit's upcall.
#include "kit/xenbus.h"

#include "kit/events.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/console.h"
#include "kit/string.h"
#include "kit/xen.h"

// xs_wire.h gives its error table only where the errno names exist: give it Xen's own values (xen/errno.h),
// so that an error string decodes to the number Xen's headers define.
#include <xen/errno.h>
#define EINVAL XEN_EINVAL
#define EACCES XEN_EACCES
#define EEXIST XEN_EEXIST
#define EISDIR XEN_EISDIR
#define ENOENT XEN_ENOENT
#define ENOMEM XEN_ENOMEM
#define ENOSPC XEN_ENOSPC
#define EIO XEN_EIO
#define ENOTEMPTY XEN_ENOTEMPTY
#define ENOSYS XEN_ENOSYS
#define EROFS XEN_EROFS
#define EBUSY XEN_EBUSY
#define EAGAIN XEN_EAGAIN
#define EISCONN XEN_EISCONN
#define E2BIG XEN_E2BIG
#define EPERM XEN_EPERM
#include <xen/io/xs_wire.h>

volatile uint32_t xenbus_requests, xenbus_events, xenbus_events_dropped;

static volatile struct xenstore_domain_interface *ring;
static unsigned store_port;
static uint32_t last_req_id;
static char reply_buf[XENSTORE_PAYLOAD_MAX + 1];

static struct {
  char path[XENBUS_EVENT_PATH];
  char token[XENBUS_EVENT_TOKEN];
} events[XENBUS_EVENTS];
static unsigned ev_head, ev_count;

static void barrier(void) { __asm__ volatile("" ::: "memory"); }  // x86 keeps stores in order

// Kicks the store and waits until it signals back; the pending bit is cleared for the next wait.
static void wait_for_store(void) {
  evtchn_send(store_port);
  evtchn_port_t port = store_port;
  struct sched_poll poll = {.nr_ports = 1, .timeout = 0};
  set_xen_guest_handle(poll.ports, &port);
  if (!evtchn_pending(store_port)) HYPERVISOR_sched_op(SCHEDOP_poll, &poll);
  __atomic_and_fetch(&kit_shared_info->evtchn_pending[store_port / 32], ~(1u << (store_port % 32)), __ATOMIC_SEQ_CST);
}

static void ring_write(const void *data, size_t len) {
  const char *p = data;
  while (len) {
    XENSTORE_RING_IDX prod = ring->req_prod;
    uint32_t room = XENSTORE_RING_SIZE - (prod - ring->req_cons);
    if (room == 0) {
      wait_for_store();
      continue;
    }
    while (room && len) {
      ring->req[MASK_XENSTORE_IDX(prod)] = *p++;
      prod++;
      room--;
      len--;
    }
    barrier();
    ring->req_prod = prod;
  }
}

// Reads len bytes into dst (or drops them if dst is null).
static void ring_read(void *dst, size_t len) {
  char *p = dst;
  while (len) {
    XENSTORE_RING_IDX cons = ring->rsp_cons;
    uint32_t avail = ring->rsp_prod - cons;
    if (avail == 0) {
      wait_for_store();
      continue;
    }
    barrier();
    while (avail && len) {
      char c = ring->rsp[MASK_XENSTORE_IDX(cons)];
      if (p) *p++ = c;
      cons++;
      avail--;
      len--;
    }
    barrier();
    ring->rsp_cons = cons;
  }
}

static void copy_str(char *dst, size_t size, const char *src) {
  if (!size) return;
  size_t n = strlen(src);
  if (n >= size) n = size - 1;
  memcpy(dst, src, n);
  dst[n] = 0;
}

static void queue_event(const char *payload, uint32_t len) {
  const char *path = payload;  // "path\0token\0", NUL-terminated at len by read_message
  size_t plen = strlen(payload);
  const char *token = plen + 1 < len ? payload + plen + 1 : "";
  xenbus_events++;
  if (ev_count == XENBUS_EVENTS) {  // full: the oldest goes
    ev_head = (ev_head + 1) % XENBUS_EVENTS;
    ev_count--;
    xenbus_events_dropped++;
  }
  unsigned slot = (ev_head + ev_count) % XENBUS_EVENTS;
  copy_str(events[slot].path, sizeof events[slot].path, path);
  copy_str(events[slot].token, sizeof events[slot].token, token);
  ev_count++;
}

// Reads one message: its header, and its payload (up to XENSTORE_PAYLOAD_MAX, NUL-terminated) in
// reply_buf. A watch event also goes to the queue.
static struct xsd_sockmsg read_message(void) {
  struct xsd_sockmsg h;
  ring_read(&h, sizeof h);
  uint32_t keep = h.len <= XENSTORE_PAYLOAD_MAX ? h.len : XENSTORE_PAYLOAD_MAX;
  ring_read(reply_buf, keep);
  if (h.len > keep) ring_read(0, h.len - keep);
  reply_buf[keep] = 0;
  h.len = keep;
  if (h.type == XS_WATCH_EVENT) queue_event(reply_buf, keep);
  return h;
}

// Sends one request made of `n` pieces and waits for its reply (in reply_buf): the reply's length, or
// -errno from an XS_ERROR reply.
static int request(uint32_t type, uint32_t tx, const void *const *pieces, const size_t *lens, unsigned n) {
  if (!ring) return -XEN_ENODEV;
  struct xsd_sockmsg h = {.type = type, .req_id = ++last_req_id, .tx_id = tx, .len = 0};
  for (unsigned i = 0; i < n; i++) h.len += lens[i];
  if (h.len > XENSTORE_PAYLOAD_MAX) return -XEN_E2BIG;
  ring_write(&h, sizeof h);
  for (unsigned i = 0; i < n; i++) ring_write(pieces[i], lens[i]);
  xenbus_requests++;
  evtchn_send(store_port);
  for (;;) {
    struct xsd_sockmsg r = read_message();
    if (r.type == XS_WATCH_EVENT || r.req_id != h.req_id) continue;  // an event, or a stale reply
    if (r.type == XS_ERROR) {
      for (unsigned i = 0; i < sizeof xsd_errors / sizeof xsd_errors[0]; i++)
        if (strcmp(reply_buf, xsd_errors[i].errstring) == 0) return -xsd_errors[i].errnum;
      return -XEN_EINVAL;
    }
    return (int)r.len;
  }
}

// One NUL-terminated string as the whole payload.
static int request1(uint32_t type, uint32_t tx, const char *s) {
  const void *p[1] = {s};
  size_t l[1] = {strlen(s) + 1};
  return request(type, tx, p, l, 1);
}

int xenbus_init(void) {
  if (!kit_start_info.store_mfn || !kit_start_info.store_evtchn) return -XEN_ENODEV;
  uint32_t mfn = kit_start_info.store_mfn;
  uint32_t va = mfn_to_pfn(mfn) << 12;  // RAM is identity-mapped; the builder's region read-only
  int rc = HYPERVISOR_update_va_mapping(va, (mfn << 12) | PTE_P | PTE_W | PTE_A | PTE_D, UVMF_INVLPG);
  if (rc < 0) return rc;
  store_port = kit_start_info.store_evtchn;
  evtchn_mask(store_port);
  ring = (volatile struct xenstore_domain_interface *)va;
  return 0;
}

int xenbus_read(uint32_t tx, const char *path, char *buf, size_t size) {
  int n = request1(XS_READ, tx, path);
  if (n < 0) return n;
  if (size) {
    size_t k = (size_t)n < size ? (size_t)n : size - 1;
    memcpy(buf, reply_buf, k);
    buf[k] = 0;
  }
  return n;
}

int xenbus_write(uint32_t tx, const char *path, const char *value) {
  const void *p[2] = {path, value};
  size_t l[2] = {strlen(path) + 1, strlen(value)};
  int n = request(XS_WRITE, tx, p, l, 2);
  return n < 0 ? n : 0;
}

int xenbus_mkdir(uint32_t tx, const char *path) {
  int n = request1(XS_MKDIR, tx, path);
  return n < 0 ? n : 0;
}

int xenbus_rm(uint32_t tx, const char *path) {
  int n = request1(XS_RM, tx, path);
  return n < 0 ? n : 0;
}

// Copies a reply of NUL-terminated strings and counts them.
static int strings(int n, char *buf, size_t size) {
  if (n < 0) return n;
  int count = 0;
  for (int i = 0; i < n; i++)
    if (reply_buf[i] == 0) count++;
  if (size) {
    size_t k = (size_t)n < size ? (size_t)n : size;
    memcpy(buf, reply_buf, k);
    if (k == size) buf[size - 1] = 0;
  }
  return count;
}

int xenbus_directory(uint32_t tx, const char *path, char *buf, size_t size) {
  return strings(request1(XS_DIRECTORY, tx, path), buf, size);
}

int xenbus_get_perms(uint32_t tx, const char *path, char *buf, size_t size) {
  return strings(request1(XS_GET_PERMS, tx, path), buf, size);
}

int xenbus_set_perms(uint32_t tx, const char *path, const char *perms, size_t len) {
  const void *p[2] = {path, perms};
  size_t l[2] = {strlen(path) + 1, len};
  int n = request(XS_SET_PERMS, tx, p, l, 2);
  return n < 0 ? n : 0;
}

long xenbus_read_integer(uint32_t tx, const char *path) {
  char v[16];
  int n = xenbus_read(tx, path, v, sizeof v);
  if (n < 0) return n;
  if (n == 0 || n >= (int)sizeof v) return -XEN_EINVAL;
  long x = 0;
  for (int i = 0; i < n; i++) {
    if (v[i] < '0' || v[i] > '9') return -XEN_EINVAL;
    x = x * 10 + (v[i] - '0');
  }
  return x;
}

int xenbus_transaction_start(uint32_t *tx) {
  int n = request1(XS_TRANSACTION_START, 0, "");
  if (n < 0) return n;
  uint32_t id = 0;
  for (const char *c = reply_buf; *c >= '0' && *c <= '9'; c++) id = id * 10 + (uint32_t)(*c - '0');
  *tx = id;
  return 0;
}

int xenbus_transaction_end(uint32_t tx, bool abort) {
  int n = request1(XS_TRANSACTION_END, tx, abort ? "F" : "T");
  return n < 0 ? n : 0;
}

int xenbus_watch(const char *path, const char *token) {
  const void *p[2] = {path, token};
  size_t l[2] = {strlen(path) + 1, strlen(token) + 1};
  int n = request(XS_WATCH, 0, p, l, 2);
  return n < 0 ? n : 0;
}

int xenbus_unwatch(const char *path, const char *token) {
  const void *p[2] = {path, token};
  size_t l[2] = {strlen(path) + 1, strlen(token) + 1};
  int n = request(XS_UNWATCH, 0, p, l, 2);
  return n < 0 ? n : 0;
}

bool xenbus_next_event(char *path, size_t path_size, char *token, size_t token_size) {
  // Take what the store has already written without waiting.
  while (ring && ev_count == 0 && ring->rsp_prod - ring->rsp_cons >= sizeof(struct xsd_sockmsg))
    read_message();  // an event is queued; a reply here is one nobody waits for any more
  if (ev_count == 0) return false;
  copy_str(path, path_size, events[ev_head].path);
  copy_str(token, token_size, events[ev_head].token);
  ev_head = (ev_head + 1) % XENBUS_EVENTS;
  ev_count--;
  return true;
}

void xenbus_wait_event(char *path, size_t path_size, char *token, size_t token_size) {
  while (!xenbus_next_event(path, path_size, token, token_size)) wait_for_store();
}

int xenbus_domain_path(unsigned domid, char *buf, size_t size) {
  char id[12];
  snprintf(id, sizeof id, "%u", domid);
  int n = request1(XS_GET_DOMAIN_PATH, 0, id);
  if (n < 0) return n;
  copy_str(buf, size, reply_buf);
  return 0;
}
