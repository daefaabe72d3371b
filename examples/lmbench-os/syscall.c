// syscall.c: the system-call table, entered by `int 0x80` through the kit's gate (natively a DPL-3 interrupt
// gate; under the hypervisor Xen's direct trap gate to ring 1, so a system call never enters the hypervisor).
// Arguments come from the saved EBX, ECX, EDX; pointers are checked (and their pages faulted in) before the
// kernel touches them, in the caller's own address space. The other traps from ring 3 land here too: page
// faults go to mm.c, and the exceptions a program can cause become signals.
#include "kernel.h"
#include "kit/console.h"

typedef int32_t (*syscall_fn)(struct trap_frame *f);

// Checks each page the string reaches once, at its first byte there (as strncpy_from_user does in effect).
bool copy_path(char *dst, uint32_t src_va) {
  for (uint32_t i = 0; i < PATH_MAX; i++) {
    if ((i == 0 || ((src_va + i) & 0xfff) == 0) && !mm_user_ok(src_va + i, 1, false)) return false;
    if (!(dst[i] = *(const char *)(src_va + i))) return true;
  }
  return false;  // too long
}

static int32_t sys_exit(struct trap_frame *f) { proc_exit((int)((f->ebx & 0xff) << 8)); }
static int32_t sys_fork(struct trap_frame *f) { return do_fork(f); }
static int32_t sys_exec(struct trap_frame *f) { return do_exec(f, f->ebx, f->ecx); }
static int32_t sys_waitpid(struct trap_frame *f) { return proc_waitpid((int)f->ebx, f->ecx); }
static int32_t sys_getpid(struct trap_frame *f) {
  (void)f;
  return current->pid;
}
static int32_t sys_getppid(struct trap_frame *f) {
  (void)f;
  return current->ppid;
}

static int32_t sys_read(struct trap_frame *f) {
  struct file *file = fd_get((int)f->ebx);
  if (!file) return -EBADF;
  if (file->kind == F_PIPE_READ) return pipe_read(file->pipe, f->ecx, f->edx);
  if (file->kind == F_PIPE_WRITE) return -EBADF;
  return fs_read(file, f->ecx, f->edx);
}
static int32_t sys_write(struct trap_frame *f) {
  struct file *file = fd_get((int)f->ebx);
  if (!file) return -EBADF;
  if (file->kind == F_PIPE_WRITE) return pipe_write(file->pipe, f->ecx, f->edx);
  if (file->kind == F_PIPE_READ) return -EBADF;
  return fs_write(file, f->ecx, f->edx);
}

static int32_t sys_open(struct trap_frame *f) {
  char path[PATH_MAX];
  if (!copy_path(path, f->ebx)) return -EFAULT;
  return fs_open(path, (int)f->ecx);
}
static int32_t sys_close(struct trap_frame *f) {
  struct file *file = fd_get((int)f->ebx);
  if (!file) return -EBADF;
  current->fd[f->ebx] = 0;
  file_put(file);
  return 0;
}
static int32_t sys_stat(struct trap_frame *f) {
  char path[PATH_MAX];
  if (!copy_path(path, f->ebx)) return -EFAULT;
  struct inode *ip = fs_lookup(path);
  return ip ? fs_stat(ip, f->ecx) : -ENOENT;
}
static int32_t sys_fstat(struct trap_frame *f) {
  struct file *file = fd_get((int)f->ebx);
  if (!file) return -EBADF;
  if (file->kind != F_INODE) {
    if (!mm_user_ok(f->ecx, sizeof(struct stat), true)) return -EFAULT;
    struct stat *st = (struct stat *)f->ecx;
    st->st_ino = 0, st->st_mode = S_IFIFO | 0600, st->st_nlink = 1, st->st_size = 0, st->st_blocks = 0;
    return 0;
  }
  return fs_stat(file->inode, f->ecx);
}
static int32_t sys_unlink(struct trap_frame *f) {
  char path[PATH_MAX];
  if (!copy_path(path, f->ebx)) return -EFAULT;
  return fs_unlink(path);
}
static int32_t sys_lseek(struct trap_frame *f) {
  struct file *file = fd_get((int)f->ebx);
  if (!file) return -EBADF;
  if (file->kind != F_INODE) return -ESPIPE;
  int32_t base = f->edx == 0 ? 0 : f->edx == 1 ? (int32_t)file->offset : f->edx == 2 ? (int32_t)file->inode->size : -1;
  if (base < 0 || base + (int32_t)f->ecx < 0) return -EINVAL;
  file->offset = (uint32_t)(base + (int32_t)f->ecx);
  return (int32_t)file->offset;
}
static int32_t sys_pipe(struct trap_frame *f) { return pipe_create(f->ebx); }
static int32_t sys_kill(struct trap_frame *f) { return sig_kill((int)f->ebx, (int)f->ecx); }
static int32_t sys_sigaction(struct trap_frame *f) { return sig_action((int)f->ebx, f->ecx, f->edx); }
static int32_t sys_sigreturn(struct trap_frame *f) { return sig_return(f, f->ebx); }
static int32_t sys_mmap(struct trap_frame *f) {
  if (!mm_user_ok(f->ebx, sizeof(struct mmap_args), false)) return -EFAULT;
  struct mmap_args a = *(const struct mmap_args *)f->ebx;
  return mm_mmap(&a);
}
static int32_t sys_munmap(struct trap_frame *f) { return mm_munmap(f->ebx, f->ecx); }
static int32_t sys_mprotect(struct trap_frame *f) { return mm_mprotect(f->ebx, f->ecx, f->edx); }
static int32_t sys_yield(struct trap_frame *f) {
  (void)f;
  schedule();
  return 0;
}

static const syscall_fn table[SYS_COUNT] = {
    [SYS_EXIT] = sys_exit,         [SYS_FORK] = sys_fork,         [SYS_EXEC] = sys_exec,
    [SYS_WAITPID] = sys_waitpid,   [SYS_GETPID] = sys_getpid,     [SYS_GETPPID] = sys_getppid,
    [SYS_READ] = sys_read,         [SYS_WRITE] = sys_write,       [SYS_OPEN] = sys_open,
    [SYS_CLOSE] = sys_close,       [SYS_STAT] = sys_stat,         [SYS_FSTAT] = sys_fstat,
    [SYS_PIPE] = sys_pipe,         [SYS_KILL] = sys_kill,         [SYS_SIGACTION] = sys_sigaction,
    [SYS_SIGRETURN] = sys_sigreturn, [SYS_MMAP] = sys_mmap,       [SYS_MUNMAP] = sys_munmap,
    [SYS_MPROTECT] = sys_mprotect, [SYS_YIELD] = sys_yield,       [SYS_UNLINK] = sys_unlink,
    [SYS_LSEEK] = sys_lseek,
};

static void on_syscall(struct trap_frame *f) {
  // Under the hypervisor the direct gate leaves events unmasked; the kernel runs with them held off, as it
  // does natively behind its interrupt gates.
  if (plat_is_pv()) plat_irq_disable();
  uint32_t n = f->eax;
  f->eax = (uint32_t)(n < SYS_COUNT ? table[n](f) : -ENOSYS);
}

// An exception a program caused: a signal to it (SIGSEGV for #GP, SIGILL for #UD, SIGFPE for #DE); in the
// kernel, a bug.
static void on_exception(struct trap_frame *f) {
  if (frame_ring(f) != 3)
    panic("kernel exception %u at %08x (error %x, pid %d)", f->vector, f->eip, f->error, current->pid);
  current->fault_address = f->eip;
  current->fault_error = f->error;
  sig_force(current, f->vector == VEC_UD ? 4 : f->vector == VEC_DE ? 8 : SIGSEGV);
}

void syscall_init(void) {
  plat_set_trap(VEC_SYSCALL, on_syscall, true);
  plat_set_trap(VEC_PF, mm_page_fault, false);
  plat_set_trap(VEC_GP, on_exception, false);
  plat_set_trap(VEC_UD, on_exception, false);
  plat_set_trap(VEC_DE, on_exception, false);
}
