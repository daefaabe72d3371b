// platform_pv.c: the paravirtual implementation of include/kit/platform.h, for a kernel in ring 1 under Xen's
// x86_32 ABI (non-PAE, the paper's): every privileged operation is a hypercall through the hypercall page.
//   - Page tables are read-only to the guest. An entry update is one mmu_update request, queued and sent in
//     batches of plat_set_mmu_batch requests (the paper's batching, P 3.3.3; XenoLinux sends up to 2048 per
//     call), and before anything that depends on it: a new base pointer, a TLB flush, reading an entry back,
//     a trap handler's return, entering ring 3. Directory entries are sent at once (plat_set_pde).
//   - Entries the kit writes hold pseudo-physical frames; the hypervisor needs machine frames. The P2M list
//     from start_info translates one way, Xen's read-only M2P table at 0xFC000000 the other.
//   - A frame becomes a page table only once no mapping of it is writable: plat_pt_alloc makes the kernel's
//     own mapping read-only first (Mini-OS's order, XEN-REFERENCE.md 2.6); directories are pinned.
//   - Traps: a trap table of the kit's entry stubs (set_trap_table), the kernel stack by stack_switch, the
//     fault address from vcpu_info.arch.cr2, "interrupts" as the event upcall mask in vcpu_info.
//   - Events (pv/events.c): "interrupts" are the upcall mask; enabling them checks for an event that came
//     while masked and asks Xen to deliver it (a cheap hypercall, as Linux's force_evtchn_callback). The
//     timer is VIRQ_TIMER with Xen's periodic timer; waiting for it is SCHEDOP_block.
//   - The console is the console ring on its event channel (start_info.console.domU); console_io (which
//     goes to the hypervisor's own log) only until the ring is mapped.
#include "kit/console.h"
#include "kit/events.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "pv/pv.h"

// --- Frame translation --------------------------------------------------------------------------------
static uint32_t machine_entry(uint32_t value) {
  if (!(value & PTE_P)) return value;
  return pfn_to_mfn(value >> 12) << 12 | (value & ~PAGE_MASK);
}
static uint32_t physical_entry(uint32_t entry) {
  if (!(entry & PTE_P)) return entry;
  return mfn_to_pfn(entry >> 12) << 12 | (entry & ~PAGE_MASK);
}
static uint32_t mfn_of(uint32_t pa) { return pfn_to_mfn(pa >> 12); }

// --- The mmu_update queue -----------------------------------------------------------------------------
#define MMU_QUEUE_MAX 2048
static struct mmu_update queue[MMU_QUEUE_MAX];
static unsigned queued, batch = 1;

void pv_mmu_send(void) {
  if (!queued) return;
  unsigned n = queued, done = 0;
  queued = 0;  // before the call: a failure panics, and the panic's exit must not send the queue again
  int rc = HYPERVISOR_mmu_update(queue, n, &done, DOMID_SELF);
  if (rc < 0) panic("mmu_update: error %d after %u of %u requests", rc, done, n);
}

// Queues "the entry at kernel virtual address entry gets value" (value already a machine entry).
static void queue_update(const uint32_t *entry, uint32_t value) {
  queue[queued].ptr = virt_to_machine(entry);  // low bits 0: MMU_NORMAL_PT_UPDATE
  queue[queued].val = value;
  if (++queued >= batch) pv_mmu_send();
}

static void mmuext(unsigned cmd, uint32_t arg1) {
  struct mmuext_op op = {.cmd = cmd, .arg1.mfn = arg1};
  pv_mmu_send();
  int rc = HYPERVISOR_mmuext_op(&op, 1, 0, DOMID_SELF);
  if (rc < 0) panic("mmuext_op %u (%x): error %d", cmd, arg1, rc);
}

// The kernel's own mapping of the frame at pa (RAM is identity-mapped in kernel_pd).
static const uint32_t *kernel_mapping(uint32_t pa) {
  uint32_t pde = physical_entry(((const uint32_t *)kernel_pd)[pa >> 22]);
  return (const uint32_t *)(pde & PAGE_MASK) + ((pa >> 12) & 0x3ff);
}

static void pv_write_cr3(uint32_t pd) { mmuext(MMUEXT_NEW_BASEPTR, mfn_of(pd)); }
static void pv_set_pte(uint32_t *entry, uint32_t value) { queue_update(entry, machine_entry(value)); }
static void pv_set_pde(uint32_t *entry, uint32_t value) {
  queue_update(entry, machine_entry(value));
  pv_mmu_send();
}
// One hypercall sets the entry of va in the current address space and flushes it (Linux's ptep_establish
// on Xen); Xen walks the current directory to the entry itself.
static void pv_map_current(uint32_t *entry, uint32_t va, uint32_t value) {
  (void)entry;
  pv_mmu_send();
  int rc = HYPERVISOR_update_va_mapping(va, machine_entry(value), UVMF_INVLPG);
  if (rc < 0) panic("update_va_mapping(%x, %x): error %d", va, value, rc);
}
static uint32_t pv_get_pte(const uint32_t *entry) {
  pv_mmu_send();
  return physical_entry(*entry);
}
static uint32_t pv_get_pde(const uint32_t *entry) { return physical_entry(*entry); }

static void pv_pt_alloc(uint32_t pa, unsigned level) {
  queue_update(kernel_mapping(pa), machine_entry(pa | PTE_P));  // read-only; sent with the hook-up
  if (level == 2) mmuext(MMUEXT_PIN_L2_TABLE, mfn_of(pa));
}
// Writable again, and the read-only translation dropped from the TLB (a stale one would fault the caller's
// next write: the CPU does not walk again on a protection fault), in one update_va_mapping with UVMF_INVLPG:
// the kernel's mappings of RAM are shared by every address space, so the current one reaches them too.
static void pv_pt_free(uint32_t pa, unsigned level) {
  if (level == 2) mmuext(MMUEXT_UNPIN_TABLE, mfn_of(pa));
  pv_map_current(0, pa, pa | PTE_P | PTE_W);
}
static void pv_set_mmu_batch(unsigned requests) {
  pv_mmu_send();
  batch = requests < 1 ? 1 : requests > MMU_QUEUE_MAX ? MMU_QUEUE_MAX : requests;
}
static void pv_flush_tlb(void) { mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0); }
static void pv_invlpg(uint32_t va) { mmuext(MMUEXT_INVLPG_LOCAL, va); }

// --- Traps ----------------------------------------------------------------------------------------------
// trap_info.flags (xen/include/public/arch-x86/xen.h): bits 0-1 the DPL, the ring that may raise the vector
// with INT n; bit 2 masks events on entry, like an interrupt gate. The kit's handlers run as under native
// interrupt gates (events masked), except a vector ring 3 may call: Xen installs that one (0x80) in the real
// IDT as a trap gate to ring 1 only without the mask bit (init_int80_direct_trap), so system calls never
// enter the hypervisor.
enum { TI_MASK_EVENTS = 4 };

static void set_trap_info(unsigned vector, bool user_callable) {
  struct trap_info t[2] = {{0}};  // the table ends with an entry whose address is 0
  t[0].vector = (uint8_t)vector;
  t[0].flags = user_callable ? 3 : (1 | TI_MASK_EVENTS);
  t[0].cs = FLAT_RING1_CS;
  t[0].address = trap_entry_stubs[vector & 0xff];
  int rc = HYPERVISOR_set_trap_table(t);
  if (rc < 0) panic("set_trap_table(%u): error %d", vector, rc);
}

void pv_install_exception_traps(void) {
  static struct trap_info table[33];
  for (unsigned v = 0; v < 32; v++) {
    table[v].vector = (uint8_t)v;
    table[v].flags = 1 | TI_MASK_EVENTS;
    table[v].cs = FLAT_RING1_CS;
    table[v].address = trap_entry_stubs[v];
  }
  int rc = HYPERVISOR_set_trap_table(table);
  if (rc < 0) panic("set_trap_table: error %d", rc);
}

static void pv_set_trap(unsigned vector, trap_handler handler, bool user_callable) {
  trap_set_handler(vector, handler);
  set_trap_info(vector, user_callable);
}

static volatile struct vcpu_info *vcpu(void) { return &kit_shared_info->vcpu_info[0]; }

// After the guest clears its upcall mask with a plain store, Xen notices a pending event only at its next
// entry; a cheap hypercall is that entry (Linux's force_evtchn_callback), so the event is not left waiting.
static void kick_if_pending(void) {
  __asm__ volatile("" ::: "memory");
  if (!vcpu()->evtchn_upcall_mask && vcpu()->evtchn_upcall_pending) HYPERVISOR_xen_version(0, 0);
}

// Xen's bounce frame carries the event mask saved at the trap in CS bits 16-23 (XEN-REFERENCE.md 2.8); the
// direct system-call gate's frame is the CPU's, with those bits 0, and ring 3 always runs unmasked. The
// handler sees a plain selector; on the way out queued updates are sent and the mask is restored, which the
// IRET in ring 1 cannot do (Linux on Xen does the same before its IRET).
void pv_trap(struct trap_frame *f) {
  uint8_t saved_mask = (uint8_t)(f->cs >> 16);
  f->cs &= 0xffff;
  trap_dispatch(f);
  pv_mmu_send();
  volatile struct vcpu_info *v = vcpu();
  v->evtchn_upcall_mask = saved_mask;
  if (!saved_mask && v->evtchn_upcall_pending) HYPERVISOR_xen_version(0, 0);  // see kick_if_pending
}

static uint32_t pv_fault_address(void) { return vcpu()->arch.cr2; }
static void pv_set_kernel_stack(uint32_t esp0) {
  int rc = HYPERVISOR_stack_switch(FLAT_RING1_SS, esp0);
  if (rc < 0) panic("stack_switch: error %d", rc);
}
// Unmasking may uncover an event that arrived while masked: Xen delivers it on the next return from the
// hypervisor, so a cheap hypercall makes that happen now (Linux's __sti and force_evtchn_callback).
static void pv_irq_enable(void) {
  vcpu()->evtchn_upcall_mask = 0;
  kick_if_pending();
}
static void pv_irq_disable(void) {
  vcpu()->evtchn_upcall_mask = 1;
  __asm__ volatile("" ::: "memory");
}
// SCHEDOP_block unmasks and checks for events atomically, so an event cannot slip in between (as STI; HLT
// natively); the upcall runs on the way back.
static void pv_idle(void) { HYPERVISOR_sched_op(SCHEDOP_block, 0); }

static uint8_t kernel_mask;  // the kernel's mask while a user task runs
static void pv_user_enter(void) {
  pv_mmu_send();
  kernel_mask = vcpu()->evtchn_upcall_mask;
  vcpu()->evtchn_upcall_mask = 0;
  kick_if_pending();  // delivered in the kernel now, not left pending while ring 3 runs
}
static void pv_user_leave(void) { vcpu()->evtchn_upcall_mask = kernel_mask; }

// --- Console, time, exit ----------------------------------------------------------------------------------
// The console ring (io/console.h): bytes into out[], a write barrier, out_prod advanced, then the port
// notified; the back end drains it then. A full ring waits for the back end (notify, yield), as GRUB does.
static volatile struct xencons_interface *cons_ring;
static unsigned cons_port;

void pv_console_init(void) {
  uint32_t pfn = mfn_to_pfn(kit_start_info.console.domU.mfn);
  uint32_t va = pfn << 12;  // RAM is identity-mapped; the boot loader's region read-only: map this page writable
  int rc = HYPERVISOR_update_va_mapping(va, ((uint32_t)kit_start_info.console.domU.mfn << 12) | PTE_P | PTE_W | PTE_A | PTE_D,
                                        UVMF_INVLPG);
  if (rc < 0) panic("mapping the console ring: update_va_mapping error %d", rc);
  cons_port = kit_start_info.console.domU.evtchn;
  cons_ring = (volatile struct xencons_interface *)va;
}

static void pv_console_write(const char *s, size_t n) {
  if (!cons_ring) {
    HYPERVISOR_console_io(CONSOLEIO_write, (int)n, s);
    return;
  }
  volatile struct xencons_interface *r = cons_ring;
  while (n) {
    XENCONS_RING_IDX prod = r->out_prod;
    while (prod - r->out_cons >= sizeof r->out) {
      evtchn_send(cons_port);
      HYPERVISOR_sched_op(SCHEDOP_yield, 0);
    }
    while (n && prod - r->out_cons < sizeof r->out) {
      r->out[MASK_XENCONS_IDX(prod, r->out)] = *s++;
      prod++;
      n--;
    }
    __asm__ volatile("" ::: "memory");  // the bytes before the index (x86 keeps stores in order)
    r->out_prod = prod;
    evtchn_send(cons_port);
  }
}

// System time (ns) from vcpu_info.time and RDTSC, by xen.h's formula: system_time +
// ((((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32), read under the version seqlock (odd
// while Xen updates it). The 64x32 multiply is done in two halves, as Xen's own guests do.
uint64_t xen_system_time(void) {
  volatile struct vcpu_time_info *t = &vcpu()->time;
  uint32_t version, mul;
  uint64_t stamp, sys, tsc;
  int8_t shift;
  do {
    version = t->version;
    __asm__ volatile("" ::: "memory");
    stamp = t->tsc_timestamp;
    sys = t->system_time;
    mul = t->tsc_to_system_mul;
    shift = t->tsc_shift;
    tsc = plat_cycles();
    __asm__ volatile("" ::: "memory");
  } while ((version & 1) || version != t->version);
  uint64_t delta = tsc - stamp;
  delta = shift >= 0 ? delta << shift : delta >> -shift;
  return sys + (((uint64_t)(uint32_t)delta * mul) >> 32) + (delta >> 32) * mul;
}

// The timer: VIRQ_TIMER from the single-shot timer, re-armed one period after the last deadline on every
// tick, so ticks come at exact multiples of the period. Xen's periodic timer is stopped: it does not run
// while the vCPU is blocked (Xen deschedules it), so an idle kernel could never be woken by it; Linux on Xen
// does the same.
static volatile uint64_t ticks;
static uint64_t period_ns, next_deadline;
static void timer_tick(unsigned port) {
  (void)port;
  ticks++;
  next_deadline += period_ns;
  HYPERVISOR_set_timer_op(next_deadline);
}
static void pv_timer_start(unsigned hz) {
  if (hz == 0) panic("plat_timer_start(0)");
  int port = evtchn_bind_virq(VIRQ_TIMER, timer_tick);
  if (port < 0) panic("bind VIRQ_TIMER: error %d", port);
  int rc = HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, 0);
  if (rc < 0) panic("VCPUOP_stop_periodic_timer: error %d", rc);
  period_ns = 1000000000ull / hz;
  next_deadline = xen_system_time() + period_ns;
  HYPERVISOR_set_timer_op(next_deadline);
}
static uint64_t pv_timer_ticks(void) { return ticks; }

// SCHEDOP_shutdown's reasons carry no number (xen/include/public/sched.h): 0 is a clean poweroff; anything
// else is printed and the domain asks to be crashed, which ring1 reports with exit status 120.
static __attribute__((noreturn)) void pv_exit(unsigned status) {
  struct sched_shutdown shutdown = {.reason = SHUTDOWN_poweroff};
  if (status != 0) {
    char line[64];
    int n = snprintf(line, sizeof line, "xen-pv: exit status %u: shutting down with SHUTDOWN_crash\n", status);
    pv_console_write(line, (size_t)n);
    shutdown.reason = SHUTDOWN_crash;
  }
  for (;;) HYPERVISOR_sched_op(SCHEDOP_shutdown, &shutdown);
}

const struct plat_ops plat_pv_ops = {
    .name = "xen-pv",
    .page_tables_read_only = true,
    .write_cr3 = pv_write_cr3,
    .set_pte = pv_set_pte,
    .set_pde = pv_set_pde,
    .map_current = pv_map_current,
    .get_pte = pv_get_pte,
    .get_pde = pv_get_pde,
    .machine_entry = machine_entry,
    .pt_alloc = pv_pt_alloc,
    .pt_free = pv_pt_free,
    .mmu_flush = pv_mmu_send,
    .set_mmu_batch = pv_set_mmu_batch,
    .flush_tlb = pv_flush_tlb,
    .invlpg = pv_invlpg,
    .set_trap = pv_set_trap,
    .fault_address = pv_fault_address,
    .set_kernel_stack = pv_set_kernel_stack,
    .irq_enable = pv_irq_enable,
    .irq_disable = pv_irq_disable,
    .user_enter = pv_user_enter,
    .user_leave = pv_user_leave,
    .console_write = pv_console_write,
    .timer_start = pv_timer_start,
    .timer_ticks = pv_timer_ticks,
    .idle = pv_idle,
    .exit = pv_exit,
};
