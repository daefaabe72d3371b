// signal.c: POSIX-style signals. sigaction installs a handler (or SIG_DFL / SIG_IGN); kill and the kernel's
// own faults (SIGSEGV) mark a signal pending; it is delivered on the way back to ring 3 (the kit's
// return-to-user hook): the kernel saves the interrupted registers in a struct sigframe on the user stack,
// whose return address is the programs' trampoline (usig_trampoline, which calls sigreturn), and resumes
// ring 3 in the handler with the signal blocked. sigreturn restores the saved registers (only the arithmetic
// flags from the user's copy of EFLAGS) and the mask. A default action ends the process, except for SIGCHLD.
#include "kernel.h"
#include "kit/string.h"

int32_t sig_action(int sig, uint32_t handler, uint32_t old_va) {
  if (sig <= 0 || sig >= NSIG || sig == SIGKILL) return -EINVAL;
  if (old_va) {
    if (!mm_user_ok(old_va, 4, true)) return -EFAULT;
    *(uint32_t *)old_va = current->sig_handler[sig];
  }
  current->sig_handler[sig] = handler;
  return 0;
}

void sig_send(struct proc *p, int sig) {
  p->sig_pending |= 1u << sig;
  if (p->state == P_SLEEPING && sig_unblocked_pending(p)) p->state = P_RUNNABLE;  // interrupts the sleep
}

// A signal the process cannot go on without (a fault): if it is blocked (a fault inside its own handler) or
// ignored, the default action is forced, as Linux's force_sig does; otherwise the faulting instruction would
// run again forever.
void sig_force(struct proc *p, int sig) {
  if ((p->sig_blocked & (1u << sig)) || p->sig_handler[sig] == SIG_IGN) {
    p->sig_blocked &= ~(1u << sig);
    p->sig_handler[sig] = SIG_DFL;
  }
  sig_send(p, sig);
}

int32_t sig_kill(int pid, int sig) {
  if (sig < 0 || sig >= NSIG) return -EINVAL;
  struct proc *p = proc_find(pid);
  if (!p) return -ESRCH;
  if (sig) sig_send(p, sig);
  return 0;
}

void sig_deliver(struct trap_frame *f) {
  for (;;) {
    uint32_t ready = current->sig_pending & ~(current->sig_blocked & ~(1u << SIGKILL));
    if (!ready) return;
    int sig = __builtin_ctz(ready);
    current->sig_pending &= ~(1u << sig);
    uint32_t h = sig == SIGKILL ? SIG_DFL : current->sig_handler[sig];
    if (h == SIG_IGN) continue;
    if (h == SIG_DFL) {
      if (sig == SIGCHLD) continue;
      proc_exit(sig);  // ended by the signal
    }
    uint32_t sp = (f->user_esp - sizeof(struct sigframe)) & ~3u;
    if (!mm_user_ok(sp, sizeof(struct sigframe), true)) proc_exit(SIGSEGV);
    struct sigframe *sf = (struct sigframe *)sp;
    sf->return_address = (uint32_t)usig_trampoline;
    sf->sig = (uint32_t)sig;
    sf->ctx_pointer = sp + __builtin_offsetof(struct sigframe, ctx);
    struct sigcontext *c = &sf->ctx;
    c->edi = f->edi, c->esi = f->esi, c->ebp = f->ebp, c->ebx = f->ebx;
    c->edx = f->edx, c->ecx = f->ecx, c->eax = f->eax;
    c->eip = f->eip, c->eflags = f->eflags, c->esp = f->user_esp;
    c->blocked = current->sig_blocked;
    c->fault_address = current->fault_address;
    c->error = current->fault_error;
    current->sig_blocked |= 1u << sig;
    f->eip = h;
    f->user_esp = sp;
    return;
  }
}

#define USER_FLAGS 0x0dd5u  // CF, PF, AF, ZF, SF, TF, DF, OF: what ring 3 may set (SDM vol. 1, 3.4.3)

int32_t sig_return(struct trap_frame *f, uint32_t ctx_va) {
  if (!mm_user_ok(ctx_va, sizeof(struct sigcontext), false)) proc_exit(SIGSEGV);
  const struct sigcontext *c = (const struct sigcontext *)ctx_va;
  f->edi = c->edi, f->esi = c->esi, f->ebp = c->ebp, f->ebx = c->ebx;
  f->edx = c->edx, f->ecx = c->ecx;
  f->eip = c->eip;
  f->user_esp = c->esp;
  f->eflags = (f->eflags & ~USER_FLAGS) | (c->eflags & USER_FLAGS);
  current->sig_blocked = c->blocked & ~(1u << SIGKILL);
  return (int32_t)c->eax;  // the system call's result is the interrupted EAX
}
