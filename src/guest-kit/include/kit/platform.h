// platform.h: everything a guest kernel asks of the machine underneath it, as a handful of plain C functions.
// The kit has two implementations: native (native/*.c: privileged instructions and PC devices, the kernel in
// ring 0) and paravirtual (pv/*.c: Xen's x86_32 hypercalls, the kernel in ring 1; the paper's section 3.1 and
// table 1 list exactly these operations: page-table updates, TLB flushes, the trap table, the kernel stack
// for ring transitions, events and time). One kit image carries both entries (a multiboot header and Xen's
// ELF notes); the entry that runs installs its table of operations (struct plat_ops), and every plat_*
// function below goes through it. So the same guest kernel runs both ways, chosen at boot. The kit's own
// helpers (paging.c, user.c, format.c) use nothing but this interface.
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trap_frame;
typedef void (*trap_handler)(struct trap_frame *frame);

// Exit statuses the kit itself uses (a guest's kmain returns its own). Native: ring1 and QEMU turn a value v
// written to isa-debug-exit into the process status (v << 1) | 1. Paravirtual: 0 shuts the domain down with
// SHUTDOWN_poweroff (ring1 exits 0); any other value is printed and the domain asks to be crashed
// (SHUTDOWN_crash: ring1 exits 120), since Xen's shutdown reasons carry no number.
#define KIT_EXIT_PANIC 3

// Selectors of the flat segments this platform gives the kernel and user tasks (native: the kit's GDT;
// paravirtual: Xen's FLAT_RING1_* and FLAT_RING3_*). Set by the start of day that ran.
extern uint16_t plat_kernel_cs, plat_kernel_ds, plat_user_cs, plat_user_ds;

// The operations behind the plat_* functions. Page-table entries pass through them in the kit's terms, with
// *physical* frame addresses: on the paravirtual platform those are pseudo-physical and the platform
// translates to and from machine frames (start_info's mfn_list, Xen's M2P table).
struct plat_ops {
  const char *name;            // "native" or "xen-pv"
  bool page_tables_read_only;  // the kernel's own mappings of page-table frames must be read-only (Xen)
  void (*write_cr3)(uint32_t pd);
  void (*set_pte)(uint32_t *entry, uint32_t value);
  void (*set_pde)(uint32_t *entry, uint32_t value);
  void (*map_current)(uint32_t *entry, uint32_t va, uint32_t value);
  uint32_t (*get_pte)(const uint32_t *entry);
  uint32_t (*get_pde)(const uint32_t *entry);
  uint32_t (*machine_entry)(uint32_t value);
  void (*pt_alloc)(uint32_t pa, unsigned level);
  void (*pt_free)(uint32_t pa, unsigned level);
  void (*mmu_flush)(void);
  void (*set_mmu_batch)(unsigned requests);
  void (*flush_tlb)(void);
  void (*invlpg)(uint32_t va);
  void (*set_trap)(unsigned vector, trap_handler handler, bool user_callable);
  uint32_t (*fault_address)(void);
  void (*set_kernel_stack)(uint32_t esp0);
  void (*irq_enable)(void);
  void (*irq_disable)(void);
  void (*user_enter)(void);
  void (*user_leave)(void);
  void (*console_write)(const char *s, size_t n);
  void (*timer_start)(unsigned hz);
  uint64_t (*timer_ticks)(void);
  void (*idle)(void);
  void (*exit)(unsigned status) __attribute__((noreturn));
};
extern const struct plat_ops *kit_plat;
extern const struct plat_ops plat_native_ops, plat_pv_ops;
// Whether the kernel was started by Xen's domain builder (the PV entry) rather than a multiboot loader.
static inline bool plat_is_pv(void) { return kit_plat == &plat_pv_ops; }

// --- Page tables and the TLB ------------------------------------------------------------------------------
// Switches to the address space whose page directory is at physical address pd (flushes the TLB on x86;
// paravirtual: MMUEXT_NEW_BASEPTR). pd must have been announced with plat_pt_alloc(pd, 2).
static inline void plat_write_cr3(uint32_t pd) { kit_plat->write_cr3(pd); }
// Stores value into one page-table entry of a live table. The paravirtual platform queues it as one
// mmu_update request (page tables are read-only to the guest and every update is validated); the queue is
// sent when it holds plat_set_mmu_batch requests and before anything that depends on it (a CR3 switch, a TLB
// flush, reading an entry back, returning to ring 3, a trap handler's return).
static inline void plat_set_pte(uint32_t *entry, uint32_t value) { kit_plat->set_pte(entry, value); }
// Stores value into a page-directory entry: hooks a page table in (or out). Never left queued, so that
// directory entries can be read back at once (plat_get_pde) while page-table updates stay batched.
static inline void plat_set_pde(uint32_t *entry, uint32_t value) { kit_plat->set_pde(entry, value); }
// Sets the entry that maps va in the current address space and drops va's TLB entry (native: a store and
// INVLPG; paravirtual: update_va_mapping with UVMF_INVLPG, one hypercall).
static inline void plat_map_current(uint32_t *entry, uint32_t va, uint32_t value) {
  kit_plat->map_current(entry, va, value);
}
// Reads an entry back, frame as a physical address (paravirtual: queued updates are sent first).
static inline uint32_t plat_get_pte(const uint32_t *entry) { return kit_plat->get_pte(entry); }
static inline uint32_t plat_get_pde(const uint32_t *entry) { return kit_plat->get_pde(entry); }
// The value the hardware must find in an entry for the kit's value (physical frame -> machine frame), for
// tables being filled before they are page tables (plain stores; see paging_build_identity_map).
static inline uint32_t plat_machine_entry(uint32_t value) { return kit_plat->machine_entry(value); }
// The frame at pa becomes a page table (level 1) or a page directory (level 2), or stops being one. On the
// paravirtual platform a page-table frame must be read-only in every mapping before it is hooked in or
// pinned (Xen refuses otherwise), and a directory is pinned (MMUEXT_PIN_L2_TABLE) so that switching to it
// costs no revalidation; plat_pt_free unpins it and makes the frame writable again for reuse.
static inline void plat_pt_alloc(uint32_t pa, unsigned level) { kit_plat->pt_alloc(pa, level); }
static inline void plat_pt_free(uint32_t pa, unsigned level) { kit_plat->pt_free(pa, level); }
// Sends any queued page-table updates (native: nothing is ever queued).
static inline void plat_mmu_flush(void) { kit_plat->mmu_flush(); }
// How many page-table updates the paravirtual platform batches into one mmu_update (1: every update is its
// own hypercall; at most 2048, XenoLinux's batch). Native: ignored.
static inline void plat_set_mmu_batch(unsigned requests) { kit_plat->set_mmu_batch(requests); }
// Drops every non-global TLB entry (native: reloads CR3; paravirtual: MMUEXT_TLB_FLUSH_LOCAL).
static inline void plat_flush_tlb(void) { kit_plat->flush_tlb(); }
// Drops the TLB entry for the page holding va (native: INVLPG, SDM vol. 3, 4.10.4.1).
static inline void plat_invlpg(uint32_t va) { kit_plat->invlpg(va); }

// --- Traps and interrupts ---------------------------------------------------------------------------------
// Routes vector (0-255) to handler. user_callable lets ring 3 raise it with INT n (a DPL-3 gate, as the system
// call vector needs; on Xen a trap_info without the event-mask flag, which Xen installs in the real IDT so
// that system calls never enter the hypervisor); otherwise INT n from ring 3 is a #GP (SDM vol. 3, 6.12.1.1).
static inline void plat_set_trap(unsigned vector, trap_handler handler, bool user_callable) {
  kit_plat->set_trap(vector, handler, user_callable);
}
// The linear address of the last page fault (native: CR2; paravirtual: vcpu_info.arch.cr2, saved by Xen).
static inline uint32_t plat_fault_address(void) { return kit_plat->fault_address(); }
// The stack the CPU switches to when a user task traps into the kernel (native: TSS.ESP0; Xen: stack_switch).
static inline void plat_set_kernel_stack(uint32_t esp0) { kit_plat->set_kernel_stack(esp0); }
// Interrupts on and off (native: STI/CLI; paravirtual: the event upcall mask in vcpu_info).
static inline void plat_irq_enable(void) { kit_plat->irq_enable(); }
static inline void plat_irq_disable(void) { kit_plat->irq_disable(); }

// --- Console, time, exit ----------------------------------------------------------------------------------
static inline void plat_console_write(const char *s, size_t n) { kit_plat->console_write(s, n); }
// Starts a periodic timer interrupt at hz ticks per second (native: PIT channel 0 on IRQ 0; paravirtual:
// VIRQ_TIMER from Xen's periodic timer, 1..1000 Hz).
static inline void plat_timer_start(unsigned hz) { kit_plat->timer_start(hz); }
// Enables interrupts and waits for one, race-free (native: STI; HLT; paravirtual: SCHEDOP_block, which
// unmasks and checks for pending events at once). Returns with interrupts enabled, the handler run.
static inline void plat_idle(void) { kit_plat->idle(); }
// Timer interrupts taken since plat_timer_start.
static inline uint64_t plat_timer_ticks(void) { return kit_plat->timer_ticks(); }
// The cycle counter (RDTSC, which ring 1 and ring 3 may use too; on ring1 the modelled cycle count).
static inline uint64_t plat_cycles(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}
// Ends the run with status (see KIT_EXIT_PANIC for what the status becomes).
static inline __attribute__((noreturn)) void plat_exit(unsigned status) { kit_plat->exit(status); }

// For the kit's assembly (user_entry.S): around a user task, the platform's plat_set_kernel_stack and its
// user_enter / user_leave hooks (paravirtual: send queued updates, unmask events in ring 3).
void kit_user_enter(uint32_t esp0);
void kit_user_leave(void);
