// exec.c: exec of the programs linked into the image. A path names an inode of kind I_PROGRAM (the file
// system's /bin), whose program table entry gives the code (shared by every process, in the user image) and
// the size of its data segment. exec builds a fresh address space (a new page directory: pinned and
// validated under the hypervisor), switches to it, frees the old one, and starts the program at ucrt_start
// with the arguments on its new stack: [0 (return address), main, argc, argv] above the strings.
#include "kernel.h"
#include "kit/console.h"
#include "kit/paging.h"
#include "kit/string.h"

#define ARG_BYTES 256

// Replaces current's program; argv holds argc strings packed in args. The caller checked everything.
static void exec_into(struct trap_frame *f, const struct program *prog, int argc, const char *args, uint32_t args_len) {
  struct proc old = *current;  // the old space's directory and regions, to free once the new one is loaded
  current->pd = mm_new_space();
  memset(current->vma, 0, sizeof current->vma);
  mm_add_vma(current, USER_DATA, USER_DATA + prog->data_pages * PAGE_SIZE, PROT_READ | PROT_WRITE, V_ANON);
  mm_add_vma(current, USER_STACK_LOW, USER_TOP, PROT_READ | PROT_WRITE, V_ANON);
  if (mm_directory_freed()) mm_flush_all();  // a freed directory's frame may be this one (mm.c)
  sched_load_pd(current->pd);
  if (old.pd) mm_destroy_space(&old);

  // The stack: strings at the top, then argv[], then what ucrt_start reads as its arguments.
  uint32_t top = USER_TOP, strings = (top - args_len) & ~3u;
  uint32_t argv_at = strings - 4 * (uint32_t)(argc + 1);
  uint32_t sp = argv_at - 16;
  if (!mm_user_ok(sp, top - sp, true)) panic("exec: cannot map the new stack");
  memcpy((void *)strings, args, args_len);
  uint32_t *argv = (uint32_t *)argv_at;
  for (int i = 0, at = 0; i < argc; i++) {
    argv[i] = strings + (uint32_t)at;
    at += (int)strlen(args + at) + 1;
  }
  argv[argc] = 0;
  uint32_t *frame = (uint32_t *)sp;
  frame[0] = 0;
  frame[1] = (uint32_t)prog->main;
  frame[2] = (uint32_t)argc;
  frame[3] = argv_at;

  const char *base = prog->path;
  for (const char *s = prog->path; *s; s++)
    if (*s == '/') base = s + 1;
  memset(current->name, 0, sizeof current->name);
  memcpy(current->name, base, strlen(base) < sizeof current->name - 1 ? strlen(base) : sizeof current->name - 1);
  for (int s = 0; s < NSIG; s++)
    if (current->sig_handler[s] != SIG_IGN) current->sig_handler[s] = SIG_DFL;

  memset(f, 0, sizeof *f);
  f->ds = f->es = f->fs = f->gs = f->user_ss = plat_user_ds;
  f->cs = plat_user_cs;
  f->eflags = 0x202;  // IF: the timer preempts ring 3
  f->eip = (uint32_t)ucrt_start;
  f->user_esp = sp;
}

static const struct program *find_program(const char *path) {
  struct inode *ip = fs_lookup(path);
  if (!ip) return 0;
  if (ip->kind != I_PROGRAM) return 0;
  return &programs[ip->program];
}

int32_t do_exec(struct trap_frame *f, uint32_t path_va, uint32_t argv_va) {
  char path[PATH_MAX];
  if (!copy_path(path, path_va)) return -EFAULT;
  struct inode *ip = fs_lookup(path);
  if (!ip) return -ENOENT;
  if (ip->kind != I_PROGRAM) return -ENOEXEC;
  char args[ARG_BYTES];
  uint32_t len = 0;
  int argc = 0;
  for (;; argc++) {
    if (!mm_user_ok(argv_va + 4 * (uint32_t)argc, 4, false)) return -EFAULT;
    uint32_t s = ((const uint32_t *)argv_va)[argc];
    if (!s) break;
    if (argc == MAX_ARGS) return -E2BIG;
    for (;; s++, len++) {
      if (len == ARG_BYTES) return -E2BIG;
      if (!mm_user_ok(s, 1, false)) return -EFAULT;
      if (!(args[len] = *(const char *)s)) break;
    }
    len++;
  }
  exec_into(f, &programs[ip->program], argc, args, len);
  return 0;
}

int32_t exec_first(const char *path, const char *const *argv) {
  const struct program *prog = find_program(path);
  if (!prog) return -ENOENT;
  char args[ARG_BYTES];
  uint32_t len = 0;
  int argc = 0;
  for (; argv[argc]; argc++) {
    uint32_t n = strlen(argv[argc]) + 1;
    if (argc == MAX_ARGS || len + n > ARG_BYTES) return -E2BIG;
    memcpy(args + len, argv[argc], n);
    len += n;
  }
  exec_into(user_frame(current), prog, argc, args, len);
  return 0;
}
