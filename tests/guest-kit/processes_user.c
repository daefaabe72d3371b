// processes_user.c: the two ring-3 tasks of processes.c. The first yields by a system call every 1000 steps;
// the second never does, so only the timer can take the CPU from it.
#include "kit/syscall.h"

volatile unsigned steps_yielding, steps_spinning;

void task_yielding(void) {
  for (;;)
    if (++steps_yielding % 1000 == 0) syscall0(0);
}

void task_spinning(void) {
  for (;;) steps_spinning++;
}
