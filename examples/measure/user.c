// user.c (measure example): the ring-3 task. It brackets its own operations with the measurement ports,
// which answer in ring 3 too (no I/O permission is needed: docs/experiment.md): a null system call (int 0x80;
// under the hypervisor the direct gate to ring 1), and a demand page fault (a store to an unmapped page that
// the kernel maps: under the hypervisor a bounce, then update_va_mapping).
#include "kit/measure.h"
#include "kit/syscall.h"
#include "measure_example.h"

void user_main(void) {
  for (int i = 0; i < SAMPLES; i++) {
    measure_begin("null call");
    syscall0(SYS_NULL);
    measure_end("null call");
  }
  for (uint32_t i = 0; i < SAMPLES; i++) {
    measure_begin("page fault");
    *(volatile uint32_t *)(FAULT_REGION + i * 4096) = i;
    measure_end("page fault");
  }
  syscall1(SYS_EXIT, 0);
}
