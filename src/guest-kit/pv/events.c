// events.c: the paravirtual kit's event channels (include/kit/events.h). The upcall (pv/event_entry.S)
// arrives with upcalls masked; pv_do_upcall scans as xen/event_channel.h prescribes: clear
// evtchn_upcall_pending first, exchange evtchn_pending_sel with 0, then for each selected word take the
// pending and unmasked ports, clearing each pending bit before running its handler, and start again if a new
// event arrived meanwhile. The mask is restored by the iret hypercall on the way out.
#include "kit/console.h"
#include "kit/events.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "pv/pv.h"

#define NR_PORTS 1024

// One frame of handlers (1024 pointers), taken at the first bind: a kit image run natively never pays for it.
static evtchn_handler *handlers;
static evtchn_handler *handler_table(void) {
  if (!handlers) handlers = (evtchn_handler *)frame_alloc();
  return handlers;
}
volatile uint64_t evtchn_upcalls, evtchn_handled;

static volatile struct vcpu_info *vcpu0(void) { return &kit_shared_info->vcpu_info[0]; }

static void sync_set_bit(unsigned bit, volatile xen_ulong_t *words) {
  __asm__ volatile("lock btsl %1, %0" : "+m"(*words) : "r"(bit) : "memory");
}
static void sync_clear_bit(unsigned bit, volatile xen_ulong_t *words) {
  __asm__ volatile("lock btrl %1, %0" : "+m"(*words) : "r"(bit) : "memory");
}

void pv_do_upcall(void) {
  volatile struct vcpu_info *v = vcpu0();
  volatile struct shared_info *s = kit_shared_info;
  evtchn_upcalls++;
  do {
    v->evtchn_upcall_pending = 0;
    xen_ulong_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    while (sel) {
      unsigned w = (unsigned)__builtin_ctz(sel);
      sel &= sel - 1;
      xen_ulong_t bits = s->evtchn_pending[w] & ~s->evtchn_mask[w];
      while (bits) {
        unsigned port = w * 32 + (unsigned)__builtin_ctz(bits);
        bits &= bits - 1;
        sync_clear_bit(port % 32, &s->evtchn_pending[w]);
        evtchn_handled++;
        if (handlers && handlers[port]) handlers[port](port);
      }
    }
  } while (v->evtchn_upcall_pending);
}

// The return to the guest faulted on a segment (Xen's failsafe callback): the frame is DS, ES, FS, GS, EIP,
// CS, EFLAGS. The kit never hands Xen bad selectors, so this is a bug worth stopping for.
void pv_failsafe(const uint32_t *frame) {
  panic("failsafe callback: returning to %x:%x faulted (ds %x es %x fs %x gs %x)", frame[5] & 0xffff, frame[4],
        frame[0], frame[1], frame[2], frame[3]);
}

static int bound(int rc, unsigned port, evtchn_handler handler) {
  if (rc < 0) return rc;
  handler_table()[port] = handler;
  return (int)port;
}

int evtchn_bind_virq(unsigned virq, evtchn_handler handler) {
  struct evtchn_bind_virq op = {.virq = virq, .vcpu = 0};
  int rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_virq, &op);
  return bound(rc, op.port, handler);
}

int evtchn_bind_ipi(evtchn_handler handler) {
  struct evtchn_bind_ipi op = {.vcpu = 0};
  int rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_ipi, &op);
  return bound(rc, op.port, handler);
}

int evtchn_bind_loopback(evtchn_handler handler, unsigned *other_port) {
  struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = DOMID_SELF};
  int rc = HYPERVISOR_event_channel_op(EVTCHNOP_alloc_unbound, &a);
  if (rc < 0) return rc;
  struct evtchn_bind_interdomain b = {.remote_dom = DOMID_SELF, .remote_port = a.port};
  rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &b);
  if (rc < 0) return rc;
  *other_port = b.local_port;
  handler_table()[b.local_port] = handler;
  return bound(rc, a.port, handler);
}

void evtchn_set_handler(unsigned port, evtchn_handler handler) {
  if (port < NR_PORTS) handler_table()[port] = handler;
}

int evtchn_send(unsigned port) {
  struct evtchn_send op = {.port = port};
  return HYPERVISOR_event_channel_op(EVTCHNOP_send, &op);
}

int evtchn_close(unsigned port) {
  struct evtchn_close op = {.port = port};
  int rc = HYPERVISOR_event_channel_op(EVTCHNOP_close, &op);
  if (rc == 0 && port < NR_PORTS && handlers) handlers[port] = 0;
  return rc;
}

void evtchn_mask(unsigned port) { sync_set_bit(port % 32, &kit_shared_info->evtchn_mask[port / 32]); }

int evtchn_unmask(unsigned port) {
  struct evtchn_unmask op = {.port = port};
  return HYPERVISOR_event_channel_op(EVTCHNOP_unmask, &op);
}

bool evtchn_pending(unsigned port) { return (kit_shared_info->evtchn_pending[port / 32] >> (port % 32)) & 1; }
