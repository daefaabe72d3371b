// native.h: what the native platform's files share among themselves (not part of the kit's interface).
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "kit/platform.h"

// native/trap_entry.S: the entry stub of each vector.
extern const uint32_t trap_entry_stubs[256];

// native/descriptors.c
void descriptors_init(void);
void descriptors_set_gate(unsigned vector, bool user_callable);

// native/pic.c: the 8259A pair, remapped to vectors 0x20-0x2F and all lines masked.
void pic_init(void);
// Routes IRQ line irq (0-15) to handler and unmasks it; the PIC gets its end-of-interrupt after the handler.
void pic_set_irq(unsigned irq, trap_handler handler);

// native/uart16550.c: COM1.
void uart_init(void);
void uart_write(const char *s, unsigned n);
