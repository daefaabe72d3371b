// native.h: what the native platform's files share among themselves (not part of the kit's interface).
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "kit/platform.h"

// native/descriptors.c
void descriptors_init(void);
void descriptors_set_gate(unsigned vector, bool user_callable);
void descriptors_set_kernel_stack(uint32_t esp0);  // TSS.ESP0

// native/pic.c: the 8259A pair, remapped to vectors 0x20-0x2F and all lines masked.
void pic_init(void);
// Routes IRQ line irq (0-15) to handler and unmasks it; the PIC gets its end-of-interrupt after the handler.
void pic_set_irq(unsigned irq, trap_handler handler);

// native/pit.c: the platform timer.
void pit_timer_start(unsigned hz);
uint64_t pit_timer_ticks(void);

// native/uart16550.c: COM1.
void uart_init(void);
void uart_write(const char *s, unsigned n);
