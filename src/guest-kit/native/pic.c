// pic.c: the two cascaded 8259A interrupt controllers of the PC. At power-on their vectors overlap the CPU's
// exceptions (IRQ 0-7 on 0x08-0x0F), so start of day reprograms them to 0x20-0x2F and masks every line; a
// line is unmasked when a handler is installed for it. Initialisation words as in the 8259A data sheet (ICW1-
// ICW4); the end of interrupt is a non-specific EOI (OCW2 = 0x20) to the slave first if the IRQ came through it.
#include "kit/trap.h"
#include "kit/x86.h"
#include "native/native.h"

enum { PIC1_CMD = 0x20, PIC1_DATA = 0x21, PIC2_CMD = 0xa0, PIC2_DATA = 0xa1, EOI = 0x20 };

static trap_handler irq_handlers[16];
static uint16_t irq_mask = 0xffff;

static void write_mask(void) {
  outb(PIC1_DATA, irq_mask & 0xff);
  outb(PIC2_DATA, irq_mask >> 8);
}

// Every IRQ vector lands here: the line's handler, then the end of interrupt.
static void irq_trap(struct trap_frame *f) {
  unsigned irq = f->vector - VEC_IRQ0;
  if (irq_handlers[irq]) irq_handlers[irq](f);
  if (irq >= 8) outb(PIC2_CMD, EOI);
  outb(PIC1_CMD, EOI);
}

void pic_init(void) {
  outb(PIC1_CMD, 0x11);      // ICW1: edge triggered, cascade, ICW4 follows
  outb(PIC2_CMD, 0x11);
  outb(PIC1_DATA, VEC_IRQ0);  // ICW2: vector base of IRQ 0-7
  outb(PIC2_DATA, VEC_IRQ0 + 8);
  outb(PIC1_DATA, 1 << 2);   // ICW3: the slave hangs off the master's IRQ 2
  outb(PIC2_DATA, 2);        // ICW3: the slave's cascade identity
  outb(PIC1_DATA, 0x01);     // ICW4: 8086 mode, normal EOI
  outb(PIC2_DATA, 0x01);
  write_mask();
  for (unsigned irq = 0; irq < 16; irq++) trap_set_handler(VEC_IRQ0 + irq, irq_trap);
}

void pic_set_irq(unsigned irq, trap_handler handler) {
  irq_handlers[irq] = handler;
  irq_mask &= ~(1u << irq);
  if (irq >= 8) irq_mask &= ~(1u << 2);  // the cascade line carries the slave's requests
  write_mask();
}
