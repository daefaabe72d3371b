// selftest.c: /bin/selftest, the OS's own checks from ring 3 (run with --cmdline "run=selftest"): one line per
// behaviour, "ok" or "FAILED: why", and the number of failures as the exit status. It covers what the suite
// relies on without checking: copy-on-write, exec's errors, pipes' end of file and EPIPE, signals between
// processes and by default action, the file system, mmap's sharing, munmap, mprotect, and preemption by the
// timer (two processes that each spin until the other has run can only both finish if the timer switches).
#include "ulib.h"

#define DATA ((volatile uint32_t *)USER_DATA)
#define FAILURES (DATA[0])

static void check(bool ok, const char *what, const char *why) {
  u_print("selftest: ");
  u_print(what);
  u_print(ok ? ": ok\n" : ": FAILED: ");
  if (!ok) {
    u_print(why);
    u_print("\n");
    FAILURES++;
  }
}

// Runs fn in a child and returns its waitpid status.
static int in_child(void (*fn)(void)) {
  int pid = u_fork();
  if (pid == 0) {
    fn();
    u_exit(0);
  }
  int status = -1;
  if (pid < 0 || u_waitpid(pid, &status) != pid) return -1;
  return status;
}

static void exits_7(void) { u_exit(7); }
static void writes_cow(void) {
  DATA[1] = 222;
  u_exit(DATA[1] == 222 ? 0 : 1);
}
static void store_to_code(void) { *(volatile uint32_t *)(uint32_t)u_print = 0; }
static void on_usr1(int sig, struct sigcontext *ctx) {
  (void)ctx;
  DATA[2] = (uint32_t)sig;
}
static void faulting_handler(int sig, struct sigcontext *ctx) {
  (void)sig;
  (void)ctx;
  *(volatile uint32_t *)0x100000 = 0;  // kernel memory: a second SIGSEGV while the first is handled
}
static void faults_in_its_handler(void) {
  u_sigaction(SIGSEGV, faulting_handler);
  *(volatile uint32_t *)0x100000 = 0;
}
static void ignores_segv_and_faults(void) {
  u_sigaction(SIGSEGV, (void (*)(int, struct sigcontext *))SIG_IGN);
  *(volatile uint32_t *)0x100000 = 0;
}
static void waits_for_usr1(void) {
  u_sigaction(SIGUSR1, on_usr1);
  int fds[2];
  u_pipe(fds);
  u_write(1, "", 0);
  int r = u_read(fds[0], &fds, 4);  // nobody writes: only the signal ends the wait
  u_exit(r == -EINTR && DATA[2] == SIGUSR1 ? 0 : 1);
}

static void processes(void) {
  int status = in_child(exits_7);
  check(WIFEXITED(status) && WEXITSTATUS(status) == 7, "exit status through waitpid", "not 7");
  check(u_waitpid(-1, 0) == -ECHILD, "waitpid without children", "not ECHILD");
  DATA[1] = 111;
  status = in_child(writes_cow);
  check(status == 0 && DATA[1] == 111, "copy-on-write after fork", "a write crossed between processes");
  status = in_child(store_to_code);
  check(!WIFEXITED(status) && WTERMSIG(status) == SIGSEGV, "programs' code is read-only", "the store went through");
  static const char *const no_args[] = {"x", 0};
  check(u_exec("/bin/nothere", no_args) == -ENOENT, "exec of a missing file", "not ENOENT");
  check(u_exec("/dev/null", no_args) == -ENOEXEC, "exec of a device", "not ENOEXEC");
  static const char *const sh_ok[] = {"sh", "-c", "hello", 0}, *const sh_missing[] = {"sh", "-c", "nothere", 0};
  int pid = u_fork();
  if (pid == 0) u_exec("/bin/sh", sh_ok);
  u_waitpid(pid, &status);
  check(status == 0, "sh -c hello", "not exit status 0");
  pid = u_fork();
  if (pid == 0) u_exec("/bin/sh", sh_missing);
  u_waitpid(pid, &status);
  check(WIFEXITED(status) && WEXITSTATUS(status) == 127, "sh -c of a missing program", "not 127");
}

static void pipes_and_signals(void) {
  int fds[2];
  check(u_pipe(fds) == 0, "pipe", "failed");
  int pid = u_fork();
  if (pid == 0) {
    u_close(fds[0]);
    u_write(fds[1], "hello, pipe", 11);
    u_exit(0);
  }
  u_close(fds[1]);
  char buf[16];
  int n = u_read(fds[0], buf, sizeof buf);
  int eof = u_read(fds[0], buf, sizeof buf);
  u_waitpid(pid, 0);
  check(n == 11 && buf[7] == 'p' && eof == 0, "pipe data, then end of file", "wrong data or no end of file");
  u_close(fds[0]);

  u_pipe(fds);
  u_close(fds[0]);
  u_sigaction(SIGPIPE, (void (*)(int, struct sigcontext *))SIG_IGN);
  check(u_write(fds[1], "x", 1) == -EPIPE, "write with no reader", "not EPIPE");
  u_sigdefault(SIGPIPE);
  u_close(fds[1]);

  pid = u_fork();
  if (pid == 0) waits_for_usr1();
  for (int i = 0; i < 3; i++) syscall0(SYS_YIELD);  // let the child block in its read
  u_kill(pid, SIGUSR1);
  int status = -1;
  u_waitpid(pid, &status);
  check(status == 0, "a signal interrupts a blocked read and runs the handler", "no EINTR or no handler");
  check(u_kill(99999, SIGUSR1) == -ESRCH, "kill of a missing process", "not ESRCH");
  status = in_child(faults_in_its_handler);
  check(!WIFEXITED(status) && WTERMSIG(status) == SIGSEGV, "a fault inside the SIGSEGV handler ends the process",
        "not ended by SIGSEGV");
  status = in_child(ignores_segv_and_faults);
  check(!WIFEXITED(status) && WTERMSIG(status) == SIGSEGV, "an ignored SIGSEGV from a fault still ends the process",
        "not ended by SIGSEGV");
}

static void files(void) {
  int fd = u_open("/tmp/self", O_RDWR | O_CREAT | O_TRUNC);
  check(fd >= 0 && u_write(fd, "0123456789", 10) == 10, "create and write", "failed");
  syscall3(SYS_LSEEK, (uint32_t)fd, 4, 0);
  char buf[8];
  check(u_read(fd, buf, 3) == 3 && buf[0] == '4' && buf[2] == '6', "lseek and read", "wrong bytes");
  struct stat st;
  check(u_stat("/tmp/self", &st) == 0 && st.st_size == 10 && (st.st_mode & S_IFREG), "stat", "wrong size or mode");
  check(u_unlink("/tmp/self") == 0 && u_stat("/tmp/self", &st) == -ENOENT, "unlink", "still there");
  syscall3(SYS_LSEEK, (uint32_t)fd, 0, 0);
  check(u_read(fd, buf, 2) == 2 && buf[1] == '1', "an unlinked file stays readable while open", "data gone");
  u_close(fd);
  check(u_open("/tmp/none", O_RDONLY) == -ENOENT, "open of a missing file", "not ENOENT");
  check(u_read(42, buf, 1) == -EBADF, "read of a closed descriptor", "not EBADF");
  int zero = u_open("/dev/zero", O_RDONLY);
  check(u_read(zero, (void *)0x100000, 1) == -EFAULT, "read into kernel memory", "not EFAULT");
  check(u_read(zero, buf, 4) == 4 && buf[3] == 0, "read of /dev/zero", "not zeros");
  u_close(zero);
}

static void faults_after_munmap(void) {
  uint32_t *p = u_mmap(4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  p[0] = 1;
  u_munmap(p, 4096);
  (void)*(volatile uint32_t *)p;
}
static void faults_on_prot_none(void) {
  uint32_t *p = u_mmap(8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  p[1024] = 5;
  u_mprotect(p + 1024, 4096, PROT_NONE);
  (void)p[0];  // the first page still readable
  (void)*(volatile uint32_t *)(p + 1024);
}

// The first child maps a page and exits; the second, whose page directory reuses the first's frame, has nothing
// mapped there and must fault (a tagged TLB keyed by the directory would still hold the dead process's
// translation unless the kernel dropped it).
static void maps_a_page(void) {
  uint32_t *p = u_mmap(4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  p[0] = 111;
  u_exit(p == (uint32_t *)USER_MMAP ? 0 : 1);
}
static void reads_unmapped(void) { (void)*(volatile uint32_t *)USER_MMAP; }

static void memory(void) {
  int first = in_child(maps_a_page), second = in_child(reads_unmapped);
  check(first == 0 && !WIFEXITED(second) && WTERMSIG(second) == SIGSEGV, "a new process never sees a dead one's pages",
        "the dead process's page was still reachable");
  int fd = u_open("/tmp/map", O_RDWR | O_CREAT | O_TRUNC);
  for (int i = 0; i < 2; i++) u_write(fd, "abcdefgh", 8);
  syscall3(SYS_LSEEK, (uint32_t)fd, 8192 - 1, 0);
  u_write(fd, "!", 1);  // two pages
  char *shared = u_mmap(8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
  char *private = u_mmap(8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
  check(!u_failed(shared) && !u_failed(private) && shared[2] == 'c' && private[8191] == '!', "mmap of a file",
        "wrong contents");
  shared[0] = 'S';
  private[1] = 'P';
  char buf[2];
  syscall3(SYS_LSEEK, (uint32_t)fd, 0, 0);
  u_read(fd, buf, 2);
  check(buf[0] == 'S' && buf[1] == 'b' && private[0] == 'S', "MAP_SHARED writes reach the file, MAP_PRIVATE's do not",
        "wrong sharing");
  int status = in_child(faults_after_munmap);
  check(!WIFEXITED(status) && WTERMSIG(status) == SIGSEGV, "access after munmap", "no SIGSEGV");
  status = in_child(faults_on_prot_none);
  check(!WIFEXITED(status) && WTERMSIG(status) == SIGSEGV, "mprotect PROT_NONE", "no SIGSEGV");
  u_munmap(shared, 8192);
  u_munmap(private, 8192);
  u_close(fd);
}

// Each child marks its flag in a shared mapping, then spins until the other's is set.
static void spin_until(volatile uint32_t *mine, volatile uint32_t *other) {
  *mine = 1;
  while (!*other) {
  }
}

static void preemption(void) {
  int fd = u_open("/tmp/flags", O_RDWR | O_CREAT | O_TRUNC);
  u_write(fd, "\0\0\0\0\0\0\0\0", 8);
  volatile uint32_t *flags = u_mmap(4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
  int a = u_fork();
  if (a == 0) {
    spin_until(&flags[0], &flags[1]);
    u_exit(0);
  }
  int b = u_fork();
  if (b == 0) {
    spin_until(&flags[1], &flags[0]);
    u_exit(0);
  }
  int sa = -1, sb = -1;
  u_waitpid(a, &sa);
  u_waitpid(b, &sb);
  check(sa == 0 && sb == 0, "the timer preempts spinning processes", "a child failed");
  u_close(fd);
}

int selftest_main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  FAILURES = 0;
  check(u_getpid() == 1 && u_getppid() == 0, "init is pid 1", "wrong pid");
  processes();
  pipes_and_signals();
  files();
  memory();
  preemption();
  return (int)FAILURES;
}
