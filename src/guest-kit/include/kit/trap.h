// trap.h: the register frame every trap handler receives, and the dispatcher's handler table. Native entry
// stubs (native/trap_entry.S) build the frame from what the CPU pushed (SDM vol. 3, 6.12.1, figure 6-4) plus
// the general and segment registers; a handler may change it (e.g. EAX for a system call's result), and the
// return to the interrupted code restores it.
#pragma once
#include <stdint.h>

#include "kit/platform.h"

struct trap_frame {
  uint32_t gs, fs, es, ds;
  uint32_t edi, esi, ebp, esp_at_pusha, ebx, edx, ecx, eax;  // PUSHA order
  uint32_t vector, error;  // error is 0 for vectors without an error code
  uint32_t eip, cs, eflags;
  uint32_t user_esp, user_ss;  // pushed by the CPU only on a trap from an outer ring: check frame_ring()
};

// The ring the trap came from: the RPL of the interrupted CS.
static inline unsigned frame_ring(const struct trap_frame *f) { return f->cs & 3; }

// Exception vectors (SDM vol. 3, table 6-1) the kit names.
enum {
  VEC_DE = 0, VEC_DB = 1, VEC_BP = 3, VEC_UD = 6, VEC_DF = 8, VEC_GP = 13, VEC_PF = 14,
  VEC_IRQ0 = 0x20,     // the PIC is remapped to 0x20-0x2F, above the exceptions
  VEC_SYSCALL = 0x80,  // int 0x80, as Linux
};

// #PF error code bits (SDM vol. 3, 4.7).
enum { PF_PRESENT = 1, PF_WRITE = 2, PF_USER = 4, PF_RESERVED = 8 };

// Called by the platform's entry code for every trap; runs the installed handler or panics with the frame.
void trap_dispatch(struct trap_frame *frame);
// The dispatcher's table (plat_set_trap fills it; kernels call plat_set_trap, not this).
void trap_set_handler(unsigned vector, trap_handler handler);
// trap_entry.S: the entry stub of each vector (for the IDT or the trap table), and where their common path
// sends the frame (the platform's choice; trap_dispatch natively).
extern const uint32_t trap_entry_stubs[256];
extern void (*kit_trap_entry)(struct trap_frame *frame);
// A short name for an exception vector ("#PF"), or "" past the architectural ones.
const char *trap_name(unsigned vector);
