// pit.c: the platform timer on the 8254 programmable interval timer. Channel 0 in mode 2 (rate generator)
// divides the PIT's 1.193182 MHz input clock and raises IRQ 0 at the end of every period (8254 data sheet;
// control word 0x34 = channel 0, low byte then high byte, mode 2, binary). The IRQ handler counts ticks.
#include "kit/platform.h"
#include "kit/x86.h"
#include "native/native.h"

enum { PIT_CHANNEL0 = 0x40, PIT_COMMAND = 0x43, PIT_HZ = 1193182 };

static volatile uint64_t ticks;

static void tick(struct trap_frame *f) {
  (void)f;
  ticks++;
}

void pit_timer_start(unsigned hz) {
  uint32_t divisor = (PIT_HZ + hz / 2) / hz;  // rounded; 65536 is written as 0
  if (divisor > 0xffff) divisor = 0;
  if (divisor == 1) divisor = 2;  // mode 2 does not allow a count of 1
  ticks = 0;
  outb(PIT_COMMAND, 0x34);
  outb(PIT_CHANNEL0, divisor & 0xff);
  outb(PIT_CHANNEL0, divisor >> 8);
  pic_set_irq(0, tick);
}

uint64_t pit_timer_ticks(void) {
  // A 64-bit read is two loads; the IRQ could land between them, so read with interrupts held off.
  uint32_t flags = read_eflags();
  cli();
  uint64_t t = ticks;
  if (flags & (1u << 9)) sti();
  return t;
}
