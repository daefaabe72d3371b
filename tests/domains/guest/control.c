// control: a kit kernel for runs that exercise domain 0's control operations and SCHEDOP_poll across
// domains (`ring1 run --domain control.elf,cmdline=... --control ...`, docs/domains.md), its part chosen by
// its command line:
//   follow changes=N            a balloon driver: watches memory/target in its store directory (xl mem-set
//                               writes it) and gives its top frames back, unmapped first, or takes frames
//                               again until its reservation meets the target; N changes after the first;
//   poll peer=D rounds=N        offers domain D an unbound port and, with events masked, waits on it with
//                               SCHEDOP_poll N times, printing the modelled cycle at which each poll returned;
//   signal peer=D port=P at=C rounds=N  binds domain D's port P, then N times: spins until cycle C*(i+1)
//                               (RDTSC: the shared clock) and sends, printing the cycle of the send.
// A separate kernel from domains.c, so that the counts pinned for that one's runs stay as they are.
#include "kit/console.h"
#include "kit/events.h"
#include "kit/kit.h"
#include "kit/platform.h"
#include "kit/string.h"
#include "kit/xen.h"
#include "kit/xenbus.h"

#include <xen/memory.h>

#define EINVAL_ 22

// The value of "key=" in the command line, or `def`.
static uint32_t arg(const char *key, uint32_t def) {
  size_t n = strlen(key);
  for (const char *p = kit_boot.cmdline; *p; p++) {
    if ((p == kit_boot.cmdline || p[-1] == ' ') && strncmp(p, key, n) == 0 && p[n] == '=') {
      uint32_t v = 0;
      for (p += n + 1; *p >= '0' && *p <= '9'; p++) v = v * 10 + (uint32_t)(*p - '0');
      return v;
    }
  }
  return def;
}
static int role(const char *word) { return strncmp(kit_boot.cmdline, word, strlen(word)) == 0; }

static int reservation(void) {
  domid_t self = DOMID_SELF;
  return (int)KIT_HYPERCALL2(__HYPERVISOR_memory_op, XENMEM_current_reservation, &self);
}
static int memory_op(unsigned cmd, xen_pfn_t *frames, unsigned n) {
  struct xen_memory_reservation r = {.nr_extents = n, .extent_order = 0, .domid = DOMID_SELF};
  set_xen_guest_handle(r.extent_start, frames);
  return (int)KIT_HYPERCALL2(__HYPERVISOR_memory_op, cmd, &r);
}

static int follow(void) {
  enum { MAX = 4096 };
  static xen_pfn_t frames[MAX];
  uint32_t changes = arg("changes", 1), top = kit_boot.ram_end >> 12, given = 0;
  if (xenbus_init() < 0 || xenbus_watch("memory/target", "target") < 0) panic("follow: no store");
  for (uint32_t seen = 0; seen <= changes; seen++) {
    char path[64], token[16];
    xenbus_wait_event(path, sizeof path, token, sizeof token);  // the first fires as the watch is set
    long kib = xenbus_read_integer(0, "memory/target");
    if (kib < 0) panic("follow: memory/target: %ld", kib);
    uint32_t want = (uint32_t)kib / 4, have = (uint32_t)reservation(), n = 0;
    if (have > want) {
      for (; n < have - want && given < MAX; n++, given++) {
        uint32_t pfn = top - 1 - given;
        frames[n] = kit_p2m[pfn];
        int rc = HYPERVISOR_update_va_mapping(pfn << 12, 0, UVMF_INVLPG);
        if (rc < 0) panic("follow: unmap pfn %x: %d", pfn, rc);
      }
      int done = memory_op(XENMEM_decrease_reservation, frames, n);
      printf("follow: target %ld KiB: gave back %d frames, reservation %d\n", kib, done, reservation());
    } else if (have < want) {
      n = want - have < given ? want - have : given;
      int done = memory_op(XENMEM_increase_reservation, frames, n);
      given -= (uint32_t)(done > 0 ? done : 0);
      printf("follow: target %ld KiB: took %d frames, reservation %d\n", kib, done, reservation());
    } else {
      printf("follow: target %ld KiB: reservation %d already\n", kib, have);
    }
  }
  return 0;
}

static int poller(void) {
  uint32_t peer = arg("peer", 2), rounds = arg("rounds", 1);
  struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = (domid_t)peer};
  int rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a);
  if (rc < 0) panic("alloc_unbound: %d", rc);
  evtchn_port_t port = a.port;
  printf("poll: port %u offered to domain %u; events stay masked\n", port, peer);
  for (uint32_t i = 0; i < rounds; i++) {
    struct sched_poll p = {.nr_ports = 1, .timeout = 0};
    set_xen_guest_handle(p.ports, &port);
    while (!evtchn_pending(port)) HYPERVISOR_sched_op(SCHEDOP_poll, &p);
    uint64_t t = plat_cycles();
    __atomic_and_fetch(&kit_shared_info->evtchn_pending[port / 32], ~(1u << (port % 32)), __ATOMIC_SEQ_CST);
    printf("poll: port %u pending, poll returned by cycle %llu\n", port, t);
  }
  return 0;
}

static int signaller(void) {
  uint32_t peer = arg("peer", 1), rport = arg("port", 0), at = arg("at", 1000000), rounds = arg("rounds", 1);
  struct evtchn_bind_interdomain b = {.remote_dom = (domid_t)peer, .remote_port = rport};
  int rc;
  while ((rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b)) == -EINVAL_)
    HYPERVISOR_sched_op(SCHEDOP_yield, 0);
  if (rc < 0) panic("bind_interdomain: %d", rc);
  for (uint32_t i = 0; i < rounds; i++) {
    uint64_t when = (uint64_t)at * (i + 1), t;
    while ((t = plat_cycles()) < when) {
    }
    evtchn_send(b.local_port);
    printf("signal: sent on port %u at cycle %llu\n", b.local_port, t);
  }
  return 0;
}

int kmain(void) {
  if (!plat_is_pv()) {
    printf("control: this image runs as one of several PV domains (ring1 run --domain ...)\n");
    return 0;
  }
  if (role("follow")) return follow();
  if (role("poll")) return poller();
  if (role("signal")) return signaller();
  printf("control: unknown role '%s' (follow, poll, signal)\n", kit_boot.cmdline);
  return 1;
}
