// platform.h: everything a guest kernel asks of the machine underneath it, as a handful of plain C functions.
// The kit's native implementation (native/*.c) does each with privileged instructions and PC devices; the
// paravirtual implementation (the Xen PV port, to come) will do the same operations with hypercalls (the
// paper's section 3.1 lists exactly these: page-table updates, TLB flushes, trap tables, the kernel stack for
// ring transitions, events and time). A guest picks one at link time, so guest code written against this file
// runs both ways. The kit's own helpers (paging.c, user.c, format.c) use nothing but this interface.
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trap_frame;
typedef void (*trap_handler)(struct trap_frame *frame);

// Exit statuses the kit itself uses (a guest's kmain returns its own). ring1 and QEMU turn a value v written to
// isa-debug-exit into the process status (v << 1) | 1.
#define KIT_EXIT_PANIC 3

// Selectors of the flat segments this platform gives the kernel and user tasks (native: the kit's GDT).
extern const uint16_t plat_kernel_cs, plat_kernel_ds, plat_user_cs, plat_user_ds;

// --- Page tables and the TLB ------------------------------------------------------------------------------
// Switches to the address space whose page directory is at physical address pd (flushes the TLB on x86).
void plat_write_cr3(uint32_t pd);
// Stores value into one page-directory or page-table entry. The only way the kit writes an entry: on the
// paravirtual platform page tables are read-only to the guest and every update is validated (mmu_update).
void plat_set_pte(uint32_t *entry, uint32_t value);
// Drops every non-global TLB entry (native: reloads CR3).
void plat_flush_tlb(void);
// Drops the TLB entry for the page holding va (native: INVLPG, SDM vol. 3, 4.10.4.1).
void plat_invlpg(uint32_t va);

// --- Traps and interrupts ---------------------------------------------------------------------------------
// Routes vector (0-255) to handler. user_callable lets ring 3 raise it with INT n (a DPL-3 gate, as the system
// call vector needs); otherwise INT n from ring 3 is a #GP (SDM vol. 3, 6.12.1.1).
void plat_set_trap(unsigned vector, trap_handler handler, bool user_callable);
// The linear address of the last page fault (native: CR2; paravirtual: saved by the hypervisor).
uint32_t plat_fault_address(void);
// The stack the CPU switches to when a user task traps into the kernel (native: TSS.ESP0; Xen: stack_switch).
void plat_set_kernel_stack(uint32_t esp0);
void plat_irq_enable(void);
void plat_irq_disable(void);

// --- Console, time, exit ----------------------------------------------------------------------------------
void plat_console_write(const char *s, size_t n);
// Starts a periodic timer interrupt at hz ticks per second (native: PIT channel 0 on IRQ 0).
void plat_timer_start(unsigned hz);
// Timer interrupts taken since plat_timer_start.
uint64_t plat_timer_ticks(void);
// The cycle counter (RDTSC; on ring1 the modelled cycle count).
uint64_t plat_cycles(void);
// Ends the run with status (native: isa-debug-exit, then halts with interrupts off if nothing is there).
void plat_exit(unsigned status) __attribute__((noreturn));
