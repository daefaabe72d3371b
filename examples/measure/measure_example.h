// measure_example.h: what the measure kernel (kernel.c) and its user task (user.c) agree on.
#pragma once

enum { SYS_EXIT = 0, SYS_NULL = 1, SYS_COUNT };

#define SAMPLES 16                // samples of every region
#define FAULT_REGION 0x50000000u  // unmapped when the task starts; each first store faults
#define USER_STACK_TOP 0x80000000u
