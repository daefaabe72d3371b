// events.h: Xen event channels for a kit kernel on the paravirtual platform (pv/events.c), the 2-level ABI of
// xen/event_channel.h as Mini-OS and Linux use it. A port is bound to a handler; the hypervisor raises it by
// setting its pending bit in shared_info and, when it is unmasked and upcalls are enabled (plat_irq_enable),
// calls the kit's event callback, which clears each pending port and runs its handler with upcalls masked.
// Only meaningful when plat_is_pv(); every function returns the port, 0, or Xen's -errno.
#pragma once
#include <stdbool.h>
#include <stdint.h>

typedef void (*evtchn_handler)(unsigned port);

// EVTCHNOP_bind_virq (VIRQ_TIMER, VIRQ_DEBUG, ...) on vCPU 0.
int evtchn_bind_virq(unsigned virq, evtchn_handler handler);
// EVTCHNOP_bind_ipi: a port this vCPU can send to itself.
int evtchn_bind_ipi(evtchn_handler handler);
// EVTCHNOP_alloc_unbound (remote: this domain) and EVTCHNOP_bind_interdomain to it: two connected ports.
int evtchn_bind_loopback(evtchn_handler handler, unsigned *other_port);
// A handler for a port the kit did not bind (the console's, from start_info).
void evtchn_set_handler(unsigned port, evtchn_handler handler);
int evtchn_send(unsigned port);
int evtchn_close(unsigned port);
// The port's mask bit in shared_info, set by the guest itself; unmasking goes through EVTCHNOP_unmask so the
// hypervisor makes up the edge lost while masked.
void evtchn_mask(unsigned port);
int evtchn_unmask(unsigned port);
bool evtchn_pending(unsigned port);

// Xen's system time in nanoseconds, computed from vcpu_info.time and RDTSC (xen.h's formula).
uint64_t xen_system_time(void);

// Counters the kit keeps: upcalls taken, and events handled.
extern volatile uint64_t evtchn_upcalls, evtchn_handled;
