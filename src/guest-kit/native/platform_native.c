// platform_native.c: the native implementation of include/kit/platform.h, for a kernel in ring 0 on a PC:
// every operation is the privileged instruction or device access itself. (The descriptor-table operations
// are in descriptors.c, the timer in pit.c.)
#include "kit/platform.h"
#include "kit/trap.h"
#include "kit/x86.h"
#include "native/native.h"

void plat_write_cr3(uint32_t pd) { write_cr3(pd); }
void plat_set_pte(uint32_t *entry, uint32_t value) { *(volatile uint32_t *)entry = value; }
void plat_flush_tlb(void) { write_cr3(read_cr3()); }
void plat_invlpg(uint32_t va) { invlpg(va); }

void plat_set_trap(unsigned vector, trap_handler handler, bool user_callable) {
  trap_set_handler(vector, handler);
  descriptors_set_gate(vector, user_callable);
}
uint32_t plat_fault_address(void) { return read_cr2(); }
void plat_irq_enable(void) { sti(); }
void plat_irq_disable(void) { cli(); }

void plat_console_write(const char *s, size_t n) { uart_write(s, n); }
uint64_t plat_cycles(void) { return rdtsc(); }

// QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,iosize=0x04), which ring1 also has: a write
// of v ends the emulator with status (v << 1) | 1. Written as 32 bits so that an iosize of 4 sees it whole.
// Where nothing listens on the port (real hardware), the CPU halts with interrupts off.
void plat_exit(unsigned status) {
  outl(0xf4, status);
  for (;;) {
    cli();
    hlt();
  }
}
