// pingpong: two kit domains measuring what the paper's I/O path costs between domains, with the
// measurement ports (kit/measure.h) around each operation so that `ring1 experiment` reads every counter of
// it from the report (docs/domains.md). The part is chosen by the command line:
//   pong rounds=N                 offers domain 1 an unbound port and answers N events on it;
//   ping peer=D port=P rounds=N   binds domain D's port P, then N round trips, each bracketed as region
//                                 "interdomain round trip": send, block until the answer's upcall;
//   switch rounds=N pages=P measure=M  N times: yields to the other domain, which does the same, then reads
//                                 one word of each of P pages; with measure=1 each round is bracketed as
//                                 region "two domain switches": out to the other domain, its P pages, back,
//                                 and this domain's P pages, so each switch carries one working set's refill.
// Each prints its figure in modelled cycles too, so that the run's console says what the report measures.
#include "kit/console.h"
#include "kit/div64.h"
#include "kit/events.h"
#include "kit/kit.h"
#include "kit/measure.h"
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

// cycles / n with two decimals.
static void print_ratio(const char *what, uint64_t cycles, uint32_t n) {
  uint64_t q = cycles * 100;
  div64_u32(&q, n);
  uint32_t hundredths = div64_u32(&q, 100);
  printf("%s %llu.%02u\n", what, q, hundredths);
}

static volatile uint32_t events;
static void count(unsigned port) {
  (void)port;
  events++;
}
static void answer(unsigned port) {
  events++;
  evtchn_send(port);
}

static int pong(void) {
  uint32_t rounds = arg("rounds", 1000);
  struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = 1};
  int rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a);
  if (rc < 0) panic("alloc_unbound: %d", rc);
  evtchn_set_handler(a.port, answer);
  printf("pong: port %u waits for domain 1\n", a.port);
  plat_irq_enable();
  while (events < rounds) HYPERVISOR_sched_op(SCHEDOP_block, 0);
  printf("pong: answered %u events\n", events);
  return 0;
}

static int ping(void) {
  static const char region[] = "interdomain round trip";
  uint32_t peer = arg("peer", 2), rport = arg("port", 0), rounds = arg("rounds", 1000);
  struct evtchn_bind_interdomain b = {.remote_dom = (domid_t)peer, .remote_port = rport};
  int rc;
  while ((rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b)) == -EINVAL_)
    HYPERVISOR_sched_op(SCHEDOP_yield, 0);
  if (rc < 0) panic("bind_interdomain: %d", rc);
  evtchn_set_handler(b.local_port, count);
  plat_irq_enable();
  // Xen raises the new local port once at the bind: take that event before counting.
  while (events == 0) HYPERVISOR_sched_op(SCHEDOP_block, 0);
  events = 0;
  uint64_t t0 = plat_cycles();
  for (uint32_t i = 1; i <= rounds; i++) {
    measure_begin(region);
    evtchn_send(b.local_port);
    while (events < i) HYPERVISOR_sched_op(SCHEDOP_block, 0);
    measure_end(region);
  }
  uint64_t t = plat_cycles() - t0;
  printf("ping: %u round trips with domain %u\n", rounds, peer);
  print_ratio("ping: modelled cycles per round trip:", t, rounds);
  return 0;
}

static int switcher(void) {
  static const char region[] = "two domain switches";
  enum { MAX_PAGES = 256 };
  static volatile uint32_t buf[MAX_PAGES][1024] __attribute__((aligned(4096)));
  uint32_t rounds = arg("rounds", 1000), pages = arg("pages", 16), measure = arg("measure", 0);
  if (pages > MAX_PAGES) pages = MAX_PAGES;
  uint32_t sum = 0;
  for (uint32_t p = 0; p < pages; p++) sum += buf[p][0];  // mapped and in the TLB before the count
  uint64_t t0 = plat_cycles();
  for (uint32_t i = 0; i < rounds; i++) {
    if (measure) measure_begin(region);
    HYPERVISOR_sched_op(SCHEDOP_yield, 0);
    for (uint32_t p = 0; p < pages; p++) sum += buf[p][0];
    if (measure) measure_end(region);
  }
  uint64_t t = plat_cycles() - t0;
  printf("switch: %u rounds touching %u pages (sum %u)\n", rounds, pages, sum);
  if (measure) print_ratio("switch: modelled cycles per round (two switches):", t, rounds);
  return 0;
}

int kmain(void) {
  if (!plat_is_pv()) {
    printf("pingpong: this image runs as two PV domains (ring1 run --domain pingpong.elf,cmdline=... twice)\n");
    return 0;
  }
  if (role("pong")) return pong();
  if (role("ping")) return ping();
  if (role("switch")) return switcher();
  printf("pingpong: unknown role '%s' (ping, pong, switch)\n", kit_boot.cmdline);
  return 1;
}
