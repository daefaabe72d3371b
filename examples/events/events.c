// events: what Xen's asynchronous notifications cost, measured from inside a kit kernel under ring1's
// hypervisor (`ring1 run events.elf --pv`) in modelled cycles from RDTSC. It compares a null hypercall
// (xen_version, the guests' "kick") with a notification (EVTCHNOP_send on a port whose events are held by
// its mask), times an event delivery (a send to the kernel's own IPI port: the upcall to the kit's event
// callback, its handler and the iret hypercall back), a masked section (the event mask set and cleared
// around nothing: two stores to shared memory and a check, the paravirtual CLI/STI), the same section with
// an event raised inside it (held while masked, delivered once by the kick at the unmask), and a timer's
// wake-up: from the single-shot deadline to the callback, after SCHEDOP_block let the clock jump there.
// Natively there are no event channels; the image says so and exits.
#include "kit/console.h"
#include "kit/div64.h"
#include "kit/events.h"
#include "kit/kit.h"
#include "kit/platform.h"
#include "kit/string.h"
#include "kit/xen.h"

#define ROUNDS 1000

static volatile uint32_t delivered;
static volatile uint64_t woke_at;
static void count(unsigned port) {
  (void)port;
  delivered++;
}
static void stamp(unsigned port) {
  (void)port;
  woke_at = plat_cycles();
  delivered++;
}

// cycles / n with two decimals, right-aligned in 10 columns.
static void row(const char *what, uint64_t cycles, uint32_t n) {
  uint64_t q = cycles * 100;
  div64_u32(&q, n);
  uint32_t hundredths = div64_u32(&q, 100);
  char buf[32];
  int len = snprintf(buf, sizeof buf, "%llu.%02u", q, hundredths);
  printf("  %s", what);
  for (int i = (int)strlen(what) + len; i < 66; i++) putchar(' ');
  printf("%s\n", buf);
}

int kmain(void) {
  if (!plat_is_pv()) {
    printf("events: event channels are the hypervisor's; run this image with --pv\n");
    return 0;
  }
  printf("events on %s, kernel in ring 1: modelled cycles per operation (RDTSC, %u rounds)\n", kit_plat->name, ROUNDS);
  int self = evtchn_bind_ipi(count);
  int held = evtchn_bind_ipi(count);
  if (self < 0 || held < 0) panic("bind_ipi: %d %d", self, held);
  evtchn_mask((unsigned)held);
  plat_irq_enable();

  uint64_t t0 = plat_cycles();
  for (int i = 0; i < ROUNDS; i++) HYPERVISOR_xen_version(0, 0);
  row("null hypercall (xen_version):", plat_cycles() - t0, ROUNDS);

  t0 = plat_cycles();
  for (int i = 0; i < ROUNDS; i++) evtchn_send((unsigned)held);
  row("notification (EVTCHNOP_send, port masked: no upcall):", plat_cycles() - t0, ROUNDS);

  delivered = 0;
  t0 = plat_cycles();
  for (int i = 0; i < ROUNDS; i++) evtchn_send((unsigned)self);
  uint64_t with_upcall = plat_cycles() - t0;
  if (delivered != ROUNDS) panic("%u of %u events delivered", delivered, ROUNDS);
  row("send to self with its delivery (upcall, handler, iret):", with_upcall, ROUNDS);

  t0 = plat_cycles();
  for (int i = 0; i < ROUNDS; i++) {
    plat_irq_disable();
    plat_irq_enable();
  }
  row("masked section, nothing pending (mask, unmask, check):", plat_cycles() - t0, ROUNDS);

  delivered = 0;
  t0 = plat_cycles();
  for (int i = 0; i < ROUNDS; i++) {
    plat_irq_disable();
    evtchn_send((unsigned)self);  // held: upcalls are masked
    plat_irq_enable();            // pending: the kick delivers it, once
  }
  uint64_t masked_event = plat_cycles() - t0;
  if (delivered != ROUNDS) panic("%u of %u held events delivered", delivered, ROUNDS);
  row("masked section with an event held (send, unmask, kick):", masked_event, ROUNDS);

  // The timer: one single-shot deadline per round, 100 us ahead; SCHEDOP_block jumps the clock to it and the
  // upcall runs on the way back. Latency is from the deadline's cycle (1 GHz: ns are cycles at the default
  // clock, converted through the published scale otherwise) to the handler's RDTSC.
  int timer = evtchn_bind_virq(VIRQ_TIMER, stamp);
  if (timer < 0) panic("bind VIRQ_TIMER: %d", timer);
  HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, 0);
  uint64_t latency = 0;
  for (int i = 0; i < 100; i++) {
    uint64_t start_ns = xen_system_time(), start_cycles = plat_cycles();
    uint64_t deadline = start_ns + 100000;
    delivered = 0;
    HYPERVISOR_set_timer_op(deadline);
    while (!delivered) HYPERVISOR_sched_op(SCHEDOP_block, 0);
    // The deadline in cycles, from the published scale: cycles = ns * 2^32 / mul, adjusted by the shift.
    volatile struct vcpu_time_info *t = &kit_shared_info->vcpu_info[0].time;
    uint64_t q = (uint64_t)100000 << 32;
    div64_u32(&q, t->tsc_to_system_mul);
    q = t->tsc_shift >= 0 ? q >> t->tsc_shift : q << -t->tsc_shift;
    latency += woke_at - (start_cycles + q);
  }
  row("timer: deadline to handler (SCHEDOP_block, VIRQ_TIMER):", latency, 100);
  return 0;
}
