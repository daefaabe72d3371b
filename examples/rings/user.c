// user.c: the rings example's user task, built from USER_SOURCES so that it lives on user pages and runs in
// ring 3. It only executes its own code and the inline system-call wrappers: the kit's library is on
// supervisor pages, where a ring-3 fetch is a page fault.
#include "kit/syscall.h"
#include "kit/x86.h"
#include "rings.h"

static void write(const char *s) { syscall2(SYS_WRITE, (uint32_t)s, user_strlen(s)); }

void user_main(void) {
  char ring[] = {(char)('0' + current_ring()), '\n', 0};
  write("user: hello from ring ");
  write(ring);

  // The round trip of a system call that does nothing: INT 0x80 through the DPL-3 gate, the kit's entry stub
  // and dispatcher, and IRET back to ring 3, timed with RDTSC (the modelled cycle count) over many calls.
  uint64_t start = rdtsc();
  for (int i = 0; i < NULL_CALLS; i++) syscall0(SYS_NULL);
  uint64_t cycles = rdtsc() - start;
  syscall3(SYS_REPORT_CYCLES, NULL_CALLS, (uint32_t)cycles, (uint32_t)(cycles >> 32));

  // A store to a page that is not mapped yet: #PF, the kernel maps a page, the store is restarted.
  volatile uint32_t *demand = (volatile uint32_t *)DEMAND_PAGE;
  write("user: writing to the unmapped page at 0x40000000\n");
  *demand = 0x600d;
  write(*demand == 0x600d ? "user: the store went through and reads back\n" : "user: the store was lost\n");

  syscall1(SYS_EXIT, 7);
}

// A second task that reads a kernel page: a protection fault the kernel answers by ending the task.
void user_snoop(void) {
  write("user: reading kernel memory at 0x100000\n");
  volatile uint32_t word = *(volatile uint32_t *)0x100000;
  (void)word;
  write("user: read kernel memory!\n");
  syscall1(SYS_EXIT, 0);
}
