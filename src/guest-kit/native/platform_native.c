// platform_native.c: the native implementation of include/kit/platform.h, for a kernel in ring 0 on a PC:
// every operation is the privileged instruction or device access itself, and nothing is queued or
// translated (physical addresses are machine addresses). (The descriptor-table operations are in
// descriptors.c, the timer in pit.c.)
#include "kit/platform.h"
#include "kit/trap.h"
#include "kit/x86.h"
#include "native/native.h"

static void native_write_cr3(uint32_t pd) { write_cr3(pd); }
static void native_set_entry(uint32_t *entry, uint32_t value) { *(volatile uint32_t *)entry = value; }
static void native_map_current(uint32_t *entry, uint32_t va, uint32_t value) {
  *(volatile uint32_t *)entry = value;
  invlpg(va);
}
static uint32_t native_get_entry(const uint32_t *entry) { return *(const volatile uint32_t *)entry; }
static uint32_t native_machine_entry(uint32_t value) { return value; }
static void native_pt_change(uint32_t pa, unsigned level) {
  (void)pa;
  (void)level;
}
static void native_nothing(void) {}
static void native_set_mmu_batch(unsigned requests) { (void)requests; }
static void native_flush_tlb(void) { write_cr3(read_cr3()); }
static void native_invlpg(uint32_t va) { invlpg(va); }

static void native_set_trap(unsigned vector, trap_handler handler, bool user_callable) {
  trap_set_handler(vector, handler);
  descriptors_set_gate(vector, user_callable);
}
static uint32_t native_fault_address(void) { return read_cr2(); }
static void native_irq_enable(void) { sti(); }
static void native_irq_disable(void) { cli(); }
// STI's one-instruction shadow keeps an interrupt from landing before HLT (SDM vol. 2, STI).
static void native_idle(void) { __asm__ volatile("sti; hlt" ::: "memory"); }
static void native_console_write(const char *s, size_t n) { uart_write(s, n); }

// QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,iosize=0x04), which ring1 also has: a write
// of v ends the emulator with status (v << 1) | 1. Written as 32 bits so that an iosize of 4 sees it whole.
// Where nothing listens on the port (real hardware), the CPU halts with interrupts off.
static __attribute__((noreturn)) void native_exit(unsigned status) {
  outl(0xf4, status);
  for (;;) {
    cli();
    hlt();
  }
}

const struct plat_ops plat_native_ops = {
    .name = "native",
    .page_tables_read_only = false,
    .write_cr3 = native_write_cr3,
    .set_pte = native_set_entry,
    .set_pde = native_set_entry,
    .map_current = native_map_current,
    .get_pte = native_get_entry,
    .get_pde = native_get_entry,
    .machine_entry = native_machine_entry,
    .pt_alloc = native_pt_change,
    .pt_free = native_pt_change,
    .mmu_flush = native_nothing,
    .set_mmu_batch = native_set_mmu_batch,
    .flush_tlb = native_flush_tlb,
    .invlpg = native_invlpg,
    .set_trap = native_set_trap,
    .fault_address = native_fault_address,
    .set_kernel_stack = descriptors_set_kernel_stack,
    .irq_enable = native_irq_enable,
    .irq_disable = native_irq_disable,
    .user_enter = native_nothing,
    .user_leave = native_nothing,
    .console_write = native_console_write,
    .timer_start = pit_timer_start,
    .timer_ticks = pit_timer_ticks,
    .idle = native_idle,
    .exit = native_exit,
};
