// processes.c: kit/processes.h from inside a guest. Two ring-3 tasks share one kernel stack; the kernel keeps
// each one's registers as a struct trap_frame and switches by swapping frames in the return-to-user hook: at a
// system call (the yielding task's) and when the timer has ticked (the spinning task gets no other chance).
// The first task enters ring 3 through kit_trap_return from a frame the kernel built. Natively the hook runs
// after the PIC's end of interrupt; under the hypervisor after the direct system call and after the event
// upcall, whose frame the kit completes. The run ends after six switches of each kind.
#include "kit/console.h"
#include "kit/paging.h"
#include "kit/processes.h"
#include "kit/string.h"
#include "kit/user.h"

void task_yielding(void);
void task_spinning(void);
extern volatile unsigned steps_yielding, steps_spinning;

static struct trap_frame saved[2];
static int running;
static bool yielded;
static uint64_t last_tick;
static unsigned by_syscall, by_timer, hook_calls, not_ring3;

static void on_syscall(struct trap_frame *f) {
  (void)f;
  yielded = true;
}

static void hook(struct trap_frame *f) {
  hook_calls++;
  if ((f->cs & 3) != 3) not_ring3++;
  uint64_t now = plat_timer_ticks();
  if (!yielded && now == last_tick) return;
  if (yielded) by_syscall++;
  else by_timer++;
  yielded = false;
  last_tick = now;
  uint32_t cs_high = f->cs & ~0xffffu;  // the saved event mask of an upcall frame stays with the frame
  saved[running] = *f;
  running ^= 1;
  *f = saved[running];
  f->cs = (f->cs & 0xffff) | cs_high;
  if (by_syscall >= 6 && by_timer >= 6) {
    printf("processes: 6 switches at system calls and 6 at timer ticks; the hook saw ring 3 every time: %s\n",
           not_ring3 ? "no" : "yes");
    printf("processes: both tasks ran: %s\n", steps_yielding && steps_spinning ? "yes" : "no");
    plat_exit(not_ring3 || !steps_yielding || !steps_spinning);
  }
}

static void task_frame(struct trap_frame *f, void (*entry)(void), uint32_t stack) {
  memset(f, 0, sizeof *f);
  f->ds = f->es = f->fs = f->gs = f->user_ss = plat_user_ds;
  f->cs = plat_user_cs;
  f->eflags = 0x202;
  f->eip = (uint32_t)entry;
  f->user_esp = stack;
}

static uint8_t kernel_stack[8192] __attribute__((aligned(16)));

int kmain(void) {
  plat_set_trap(VEC_SYSCALL, on_syscall, true);
  task_frame(&saved[0], task_yielding, user_stack_map(0x40010000, 1));
  task_frame(&saved[1], task_spinning, user_stack_map(0x40020000, 1));
  kit_set_user_return(hook);
  plat_set_kernel_stack((uint32_t)(kernel_stack + sizeof kernel_stack));
  plat_timer_start(1000);
  last_tick = plat_timer_ticks();
  // The first entry: the frame goes where a trap from ring 3 would put it, at the top of the kernel stack.
  struct trap_frame *top = (struct trap_frame *)(kernel_stack + sizeof kernel_stack) - 1;
  *top = saved[0];
  kit_trap_return(top);
}
