// pv_pagetables.h: what the pv-pagetables kernel (kernel.c) and its user task (user.c) agree on.
#pragma once

enum {
  SYS_EXIT = 0,    // (status): ends the task
  SYS_NULL = 1,    // (): does nothing, for timing the round trip
  SYS_REPORT = 2,  // (what, cycles low, cycles high): a timing for the kernel to print; what is REPORT_*
  SYS_COUNT
};
enum { REPORT_SYSCALL, REPORT_FAULT };

#define NULL_CALLS 1000
#define FAULT_PAGES 64
#define FAULT_REGION 0x50000000u  // unmapped when the task starts; each first store faults
#define USER_STACK_TOP 0x80000000u
