// rings.h: what the rings kernel (kernel.c) and its user task (user.c) agree on.
#pragma once

enum {
  SYS_EXIT = 0,           // (status): ends the task
  SYS_WRITE = 1,          // (buffer, length): writes to the console
  SYS_NULL = 2,           // (): does nothing, for timing the round trip
  SYS_REPORT_CYCLES = 3,  // (calls, cycles low, cycles high): the task's timing, for the kernel to print
  SYS_COUNT
};

// Unmapped when the task starts; the kernel maps a page here on the first touch.
#define DEMAND_PAGE 0x40000000u
#define USER_STACK_TOP 0x80000000u
#define NULL_CALLS 1000
