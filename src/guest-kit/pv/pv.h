// pv.h: what the paravirtual platform's files share among themselves (not part of the kit's interface).
#pragma once
#include <stdint.h>

#include "kit/trap.h"
#include "kit/xen.h"

// pv/platform_pv.c: the page-table update queue, and the trap entry wrapped around trap_dispatch.
void pv_mmu_send(void);
void pv_trap(struct trap_frame *frame);
void pv_install_exception_traps(void);
// pv/events.c, pv/event_entry.S: the event upcall and the failsafe callback (set_callbacks).
void pv_do_upcall(void);
void pv_failsafe(const uint32_t *frame);
void hypervisor_callback(void);
void failsafe_callback(void);
// platform_pv.c: the console ring, once it is mapped writable (start of day, step 5).
void pv_console_init(void);
