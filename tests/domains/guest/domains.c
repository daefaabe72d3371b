// domains: one kit kernel that plays a part in a run of several domains (`ring1 run --domain
// domains.elf,cmdline=pong --domain ...`, docs/domains.md), chosen by its command line:
//   pong rounds=N              allocates an unbound port for domain 1, answers N events on it, then waits
//                              until domain 1 closes its end (its port goes back to unbound) and exits;
//   ping peer=D port=P rounds=N binds to domain D's port P (yielding until D has allocated it), sends N
//                              events and waits for each answer, prints the round trip in modelled cycles,
//                              closes the channel and exits;
//   spin cycles=C              counts loop iterations until C modelled cycles (RDTSC: the machine's clock,
//                              shared by every domain) have passed, so its count shows its share of the CPU;
//   switch rounds=N pages=P    N times: reads one word of each of P pages, then yields (with a second domain
//                              doing the same, each round is two domain switches); prints cycles per round;
//   balloon pages=N            gives N unmapped frames back (XENMEM_decrease_reservation) and takes N again
//                              (increase_reservation), then tries what the hypervisor must refuse or limit;
//   latency rounds=N work=W wait=T  N times: computes for W cycles, then sleeps on a single-shot timer T ns
//                              ahead; prints how long after its deadline it ran again, on average.
#include "kit/console.h"
#include "kit/div64.h"
#include "kit/events.h"
#include "kit/kit.h"
#include "kit/platform.h"
#include "kit/string.h"
#include "kit/xen.h"

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

// EVTCHNOP_alloc_unbound and EVTCHNOP_bind_interdomain across domains (the kit's events.h binds within one).
static int evtchn_alloc_unbound(unsigned remote_dom, evtchn_handler handler) {
  struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = (domid_t)remote_dom};
  int rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a);
  if (rc < 0) return rc;
  evtchn_set_handler(a.port, handler);
  return (int)a.port;
}
static int evtchn_bind_interdomain(unsigned remote_dom, unsigned remote_port, evtchn_handler handler) {
  struct evtchn_bind_interdomain b = {.remote_dom = (domid_t)remote_dom, .remote_port = remote_port};
  int rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b);
  if (rc < 0) return rc;
  evtchn_set_handler(b.local_port, handler);
  return (int)b.local_port;
}

static void block(void) { HYPERVISOR_sched_op(SCHEDOP_block, 0); }
static void yield(void) { HYPERVISOR_sched_op(SCHEDOP_yield, 0); }

static volatile uint32_t events;
static unsigned channel;
static void count(unsigned port) {
  (void)port;
  events++;
}
static void answer(unsigned port) {
  events++;
  evtchn_send(port);
}

// cycles / n with two decimals.
static void print_ratio(const char *what, uint64_t cycles, uint32_t n) {
  uint64_t q = cycles * 100;
  div64_u32(&q, n);
  uint32_t hundredths = div64_u32(&q, 100);
  printf("%s %llu.%02u\n", what, q, hundredths);
}

static int pong(void) {
  uint32_t rounds = arg("rounds", 1000);
  int port = evtchn_alloc_unbound(1, answer);
  if (port < 0) panic("alloc_unbound: %d", port);
  printf("pong: port %d waits for domain 1\n", port);
  plat_irq_enable();
  while (events < rounds) block();
  printf("pong: answered %u events\n", events);
  // Domain 1 closes its end when it is done: Xen puts this end back to unbound, for domain 1 again.
  for (;;) {
    struct evtchn_status st = {.dom = DOMID_SELF, .port = (evtchn_port_t)port};
    int rc = HYPERVISOR_event_channel_op(EVTCHNOP_status, &st);
    if (rc < 0) panic("status: %d", rc);
    if (st.status == EVTCHNSTAT_unbound) {
      printf("pong: domain 1 closed the channel; port %d is unbound again, for domain %u\n", port,
             (unsigned)st.u.unbound.dom);
      return 0;
    }
    yield();
  }
}

static int ping(void) {
  uint32_t peer = arg("peer", 2), rport = arg("port", 0), rounds = arg("rounds", 1000);
  int port;
  uint32_t tries = 0;
  while ((port = evtchn_bind_interdomain(peer, rport, count)) == -EINVAL_) {
    tries++;
    yield();
  }
  if (port < 0) panic("bind_interdomain: %d", port);
  channel = (unsigned)port;
  printf("ping: local port %d bound to domain %u port %u after %u yields\n", port, peer, rport, tries);
  plat_irq_enable();
  // Xen raises the new local port once at the bind: take that event before counting.
  while (events == 0) block();
  events = 0;
  uint64_t t0 = plat_cycles();
  for (uint32_t i = 1; i <= rounds; i++) {
    evtchn_send(channel);
    while (events < i) block();
  }
  uint64_t t = plat_cycles() - t0;
  printf("ping: %u round trips\n", rounds);
  print_ratio("ping: modelled cycles per round trip:", t, rounds);
  int rc = evtchn_close(channel);
  if (rc < 0) panic("close: %d", rc);
  return 0;
}

static int spin(void) {
  uint32_t cycles = arg("cycles", 1000000);
  uint64_t t0 = plat_cycles();
  uint32_t n = 0;
  while (plat_cycles() - t0 < cycles) n++;
  printf("spin: %u iterations in %u cycles\n", n, cycles);
  return 0;
}

static int switcher(void) {
  enum { MAX_PAGES = 256 };
  static volatile uint32_t buf[MAX_PAGES][1024] __attribute__((aligned(4096)));
  uint32_t rounds = arg("rounds", 1000), pages = arg("pages", 0);
  if (pages > MAX_PAGES) pages = MAX_PAGES;
  uint32_t sum = 0;
  for (uint32_t p = 0; p < pages; p++) sum += buf[p][0];  // mapped and in the TLB before the count
  uint64_t t0 = plat_cycles();
  for (uint32_t i = 0; i < rounds; i++) {
    for (uint32_t p = 0; p < pages; p++) sum += buf[p][0];
    yield();
  }
  uint64_t t = plat_cycles() - t0;
  printf("switch: %u rounds touching %u pages (sum %u)\n", rounds, pages, sum);
  print_ratio("switch: modelled cycles per round:", t, rounds);
  return 0;
}

static int latency(void) {
  uint32_t rounds = arg("rounds", 20), work = arg("work", 200000), wait = arg("wait", 100000);
  evtchn_bind_virq(VIRQ_TIMER, count);
  plat_irq_enable();
  uint64_t late = 0;
  for (uint32_t i = 0; i < rounds; i++) {
    uint64_t t0 = plat_cycles();
    while (plat_cycles() - t0 < work) {
    }
    uint64_t deadline = xen_system_time() + wait;
    uint32_t before = events;
    HYPERVISOR_set_timer_op(deadline);
    while (events == before) block();
    late += xen_system_time() - deadline;
  }
  print_ratio("latency: ns after the deadline, on average:", late, rounds);
  return 0;
}

#include <xen/memory.h>

static int reservation(void) {
  domid_t self = DOMID_SELF;
  return (int)KIT_HYPERCALL2(__HYPERVISOR_memory_op, XENMEM_current_reservation, &self);
}
static int memory_op(unsigned cmd, xen_pfn_t *frames, unsigned n, unsigned order) {
  struct xen_memory_reservation r = {.nr_extents = n, .extent_order = order, .domid = DOMID_SELF};
  set_xen_guest_handle(r.extent_start, frames);
  return (int)KIT_HYPERCALL2(__HYPERVISOR_memory_op, cmd, &r);
}

static int balloon(void) {
  enum { MAX = 64 };
  uint32_t n = arg("pages", 16);
  if (n > MAX) n = MAX;
  static xen_pfn_t frames[MAX];
  uint32_t top = kit_boot.ram_end >> 12;
  printf("balloon: reservation %d pages\n", reservation());
  // The top n pages: unmapped first, then given back.
  for (uint32_t i = 0; i < n; i++) {
    uint32_t pfn = top - 1 - i;
    frames[i] = kit_p2m[pfn];
    int rc = HYPERVISOR_update_va_mapping(pfn << 12, 0, UVMF_INVLPG);
    if (rc < 0) panic("unmap pfn %x: %d", pfn, rc);
  }
  int done = memory_op(XENMEM_decrease_reservation, frames, n, 0);
  printf("balloon: gave back %u unmapped frames: %d done, reservation %d\n", n, done, reservation());
  done = memory_op(XENMEM_increase_reservation, frames, n, 0);
  printf("balloon: took %u frames: %d done, reservation %d\n", n, done, reservation());
  done = memory_op(XENMEM_increase_reservation, frames, 1, 0);
  printf("balloon: one past the maximum reservation: %d done\n", done);
  xen_pfn_t foreign[1] = {0};  // machine frame 0: nobody's, certainly not this domain's
  done = memory_op(XENMEM_decrease_reservation, foreign, 1, 0);
  printf("balloon: a frame it does not own: %d done\n", done);
  done = memory_op(XENMEM_decrease_reservation, frames, 1, 1);
  printf("balloon: a two-page extent: %d done\n", done);
  // A frame still mapped: Xen drops the allocation but the frame lives on until its mapping goes.
  static volatile uint32_t page[1024] __attribute__((aligned(4096)));
  page[0] = 0x1234abcd;
  xen_pfn_t mapped[1] = {kit_p2m[(uint32_t)page >> 12]};
  done = memory_op(XENMEM_decrease_reservation, mapped, 1, 0);
  printf("balloon: a frame still mapped: %d done, reservation %d, still reads %x\n", done, reservation(), page[0]);
  return 0;
}

int kmain(void) {
  if (!plat_is_pv()) {
    printf("domains: this image runs as one of several PV domains (ring1 run --domain ...)\n");
    return 0;
  }
  if (role("pong")) return pong();
  if (role("ping")) return ping();
  if (role("spin")) return spin();
  if (role("latency")) return latency();
  if (role("balloon")) return balloon();
  if (role("switch")) return switcher();
  printf("domains: unknown role '%s' (pong, ping, spin, latency, balloon, switch)\n", kit_boot.cmdline);
  return 1;
}
