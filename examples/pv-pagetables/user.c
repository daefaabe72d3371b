// user.c: the pv-pagetables user task, in ring 3: times null system calls (int 0x80, which on Xen takes the
// direct gate to ring 1 without entering the hypervisor) and page faults (a store to each of FAULT_PAGES
// unmapped pages, which the kernel answers by mapping a page: on Xen, a bounce through the hypervisor and an
// update_va_mapping hypercall, the paper's "two entries into Xen"), and reports the cycles to the kernel.
#include "kit/syscall.h"
#include "kit/x86.h"
#include "pv_pagetables.h"

static void report(uint32_t what, uint64_t cycles) { syscall3(SYS_REPORT, what, (uint32_t)cycles, (uint32_t)(cycles >> 32)); }

void user_main(void) {
  uint64_t start = rdtsc();
  for (int i = 0; i < NULL_CALLS; i++) syscall0(SYS_NULL);
  report(REPORT_SYSCALL, rdtsc() - start);

  start = rdtsc();
  for (uint32_t i = 0; i < FAULT_PAGES; i++) *(volatile uint32_t *)(FAULT_REGION + i * 4096) = i;
  report(REPORT_FAULT, rdtsc() - start);

  syscall1(SYS_EXIT, 0);
}
