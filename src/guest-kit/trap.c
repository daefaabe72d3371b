// trap.c: the one C dispatcher every vector goes through. Handlers are looked up in a table indexed by vector;
// a trap with no handler is a kernel bug or a guest that forgot to install one, so it panics with the frame
// (vector, error code, where it came from, and CR2 for a page fault).
#include "kit/trap.h"

#include "kit/console.h"

static trap_handler handlers[256];

void trap_set_handler(unsigned vector, trap_handler handler) { handlers[vector & 0xff] = handler; }

const char *trap_name(unsigned vector) {
  static const char *const names[] = {"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "CSO",
                                      "#TS", "#NP", "#SS", "#GP", "#PF", "",    "#MF", "#AC", "#MC", "#XM"};
  return vector < sizeof names / sizeof names[0] ? names[vector] : "";
}

void trap_dispatch(struct trap_frame *f) {
  trap_handler h = handlers[f->vector & 0xff];
  if (h) {
    h(f);
    return;
  }
  static int reporting;
  if (reporting++) plat_exit(KIT_EXIT_PANIC);  // a trap while reporting one: printing is what fails
  printf("unhandled trap: vector %u %s, error 0x%x, at %04x:%08x from ring %u\n", f->vector, trap_name(f->vector),
         f->error, f->cs, f->eip, frame_ring(f));
  if (f->vector == VEC_PF) printf("  page fault address (CR2) %08x\n", plat_fault_address());
  printf("  eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x ebp=%08x\n", f->eax, f->ebx, f->ecx, f->edx,
         f->esi, f->edi, f->ebp);
  panic("no handler for vector %u", f->vector);
}
