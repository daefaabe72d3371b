// sched.c: a round-robin scheduler over the process table. Processes run until they block (a pipe, waitpid)
// or until the timer (the PIT natively, VIRQ_TIMER under the hypervisor, both counted by the kit) has ticked
// since they were picked, which is checked on every return to ring 3 (the kit's return-to-user hook). A switch
// loads the next address space (a CR3 write natively, MMUEXT_NEW_BASEPTR under the hypervisor: the paper's
// base-pointer hypercall) and the kernel stack ring 3 traps onto (TSS.ESP0, or stack_switch), then swaps
// kernel stacks. procs[0] is the idle context, kmain's own: it runs only when nothing else can and keeps
// whatever address space was loaded (every one maps the kernel).
#include "kernel.h"
#include "kit/console.h"
#include "kit/paging.h"

struct proc procs[NPROC];
struct proc *current = &procs[0];
static uint32_t loaded_pd;  // the page directory in CR3

void sched_init(unsigned hz) {
  loaded_pd = kernel_pd;
  procs[0].state = P_RUNNABLE;
  procs[0].pid = 0;
  plat_timer_start(hz);
}

static void switch_to(struct proc *next) {
  struct proc *prev = current;
  current = next;
  next->slice_tick = plat_timer_ticks();
  if (next != &procs[0]) {
    if (next->pd != loaded_pd) {
      plat_write_cr3(next->pd);
      loaded_pd = next->pd;
    }
    plat_set_kernel_stack((uint32_t)(next->kstack + KSTACK_SIZE));
  }
  ctx_switch(&prev->ksp, next->ksp);
}

void schedule(void) {
  unsigned start = (unsigned)(current - procs);
  struct proc *next = &procs[0];
  for (unsigned i = 1; i <= NPROC; i++) {
    struct proc *p = &procs[(start + i) % NPROC];
    if (p != &procs[0] && p->state == P_RUNNABLE) {
      next = p;
      break;
    }
  }
  if (next == current) {
    current->slice_tick = plat_timer_ticks();
    return;
  }
  switch_to(next);
}

void sleep_on(const void *channel) {
  current->wait_channel = channel;
  current->state = P_SLEEPING;
  schedule();
  current->wait_channel = 0;
}

void wakeup(const void *channel) {
  for (unsigned i = 1; i < NPROC; i++)
    if (procs[i].state == P_SLEEPING && procs[i].wait_channel == channel) procs[i].state = P_RUNNABLE;
}

// The kit calls this before every return to ring 3 (kit/processes.h), interrupts held off.
void sched_user_return(struct trap_frame *f) {
  if (plat_timer_ticks() != current->slice_tick) schedule();  // the time slice is over
  if (sig_unblocked_pending(current)) sig_deliver(f);
}

uint32_t sched_loaded_pd(void) { return loaded_pd; }
void sched_load_pd(uint32_t pd) {
  plat_write_cr3(pd);
  loaded_pd = pd;
}

void sched_idle_loop(struct proc *init) {
  while (init->state != P_ZOMBIE) {
    schedule();
    if (init->state == P_ZOMBIE) break;
    bool runnable = false;
    for (unsigned i = 1; i < NPROC; i++) runnable |= procs[i].state == P_RUNNABLE;
    // Nothing here waits for a device: when every process sleeps, none can ever be woken.
    if (!runnable) panic("every process is asleep: deadlock");
  }
}
