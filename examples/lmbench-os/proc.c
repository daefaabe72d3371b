// proc.c: the process table's life cycle. A process has a pid, a parent, an address space of its own (mm.c),
// open files, signal state and a kernel stack whose top holds its registers while it is in the kernel. It
// ends with exit (or a fatal signal) as a zombie holding its status until its parent's waitpid collects it and
// frees its address space and slot; children of an exiting process go to init (pid 1).
#include "kernel.h"
#include "kit/console.h"
#include "kit/processes.h"
#include "kit/string.h"

static uint8_t kstacks[NPROC][KSTACK_SIZE] __attribute__((aligned(16)));
static int next_pid = 1;

struct proc *proc_alloc(void) {
  for (unsigned i = 1; i < NPROC; i++) {
    struct proc *p = &procs[i];
    if (p->state != P_UNUSED) continue;
    memset(p, 0, sizeof *p);
    p->state = P_SLEEPING;  // not runnable until proc_start
    p->pid = next_pid++;
    p->kstack = kstacks[i];
    return p;
  }
  return 0;
}

void proc_free(struct proc *p) { p->state = P_UNUSED; }

struct proc *proc_find(int pid) {
  for (unsigned i = 1; i < NPROC; i++)
    if (procs[i].state != P_UNUSED && procs[i].state != P_ZOMBIE && procs[i].pid == pid) return &procs[i];
  return 0;
}

// Below the user frame: what ctx_switch pops (EDI, ESI, EBX, EBP) and its return address.
void proc_start(struct proc *p) {
  uint32_t *sp = (uint32_t *)user_frame(p);
  *--sp = (uint32_t)ctx_first_entry;
  for (int i = 0; i < 4; i++) *--sp = 0;
  p->ksp = (uint32_t)sp;
  p->state = P_RUNNABLE;
}

void proc_first_run(void) __attribute__((noreturn));
void proc_first_run(void) {
  if (current->pid == 1 && init_argv) {  // init: its program, exec'd in its own context
    if (exec_first(init_argv[0], init_argv) < 0) panic("cannot exec %s", init_argv[0]);
    init_argv = 0;
  }
  kit_trap_return(user_frame(current));
}

void fds_close_all(struct proc *p) {
  for (int i = 0; i < NFD; i++)
    if (p->fd[i]) {
      file_put(p->fd[i]);
      p->fd[i] = 0;
    }
}

void proc_exit(int status) {
  struct proc *p = current;
  if (p == &procs[0]) panic("the idle context exited");
  fds_close_all(p);
  for (unsigned i = 1; i < NPROC; i++) {
    struct proc *c = &procs[i];
    if (c->state == P_UNUSED || c->ppid != p->pid) continue;
    if (c->state == P_ZOMBIE) {  // nobody will wait for it now
      mm_destroy_space(c);
      proc_free(c);
    } else {
      c->ppid = 1;
    }
  }
  p->exit_status = status;
  p->state = P_ZOMBIE;
  struct proc *parent = proc_find(p->ppid);
  if (parent) wakeup(parent);
  schedule();
  panic("a zombie ran again");
}

int proc_waitpid(int pid, uint32_t status_va) {
  if (status_va && !mm_user_ok(status_va, 4, true)) return -EFAULT;
  for (;;) {
    bool have = false;
    for (unsigned i = 1; i < NPROC; i++) {
      struct proc *c = &procs[i];
      if (c->state == P_UNUSED || c->ppid != current->pid || (pid != -1 && c->pid != pid)) continue;
      have = true;
      if (c->state != P_ZOMBIE) continue;
      if (status_va) *(uint32_t *)status_va = (uint32_t)c->exit_status;
      int r = c->pid;
      mm_destroy_space(c);
      proc_free(c);
      return r;
    }
    if (!have) return -ECHILD;
    if (sig_unblocked_pending(current)) return -EINTR;
    sleep_on(current);
  }
}
