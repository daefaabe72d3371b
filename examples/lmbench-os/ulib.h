// ulib.h: the programs' side of lmbench-os: one inline wrapper per system call (kit/syscall.h's int 0x80
// helpers) and the few library functions the programs share (ulib.c, in the user image). Programs keep no
// writable globals: the user image is read-only to ring 3, and every process's state lives on its stack, in
// its data segment (USER_DATA) or in memory it maps.
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "abi.h"
#include "kit/syscall.h"

static inline __attribute__((noreturn)) void u_exit(int status) {
  syscall1(SYS_EXIT, (uint32_t)status);
  __builtin_unreachable();
}
static inline int u_fork(void) { return syscall0(SYS_FORK); }
static inline int u_exec(const char *path, const char *const *argv) {
  return syscall2(SYS_EXEC, (uint32_t)path, (uint32_t)argv);
}
static inline int u_waitpid(int pid, int *status) { return syscall2(SYS_WAITPID, (uint32_t)pid, (uint32_t)status); }
static inline int u_getpid(void) { return syscall0(SYS_GETPID); }
static inline int u_getppid(void) { return syscall0(SYS_GETPPID); }
static inline int u_read(int fd, void *buf, uint32_t n) { return syscall3(SYS_READ, (uint32_t)fd, (uint32_t)buf, n); }
static inline int u_write(int fd, const void *buf, uint32_t n) {
  return syscall3(SYS_WRITE, (uint32_t)fd, (uint32_t)buf, n);
}
static inline int u_open(const char *path, int flags) { return syscall2(SYS_OPEN, (uint32_t)path, (uint32_t)flags); }
static inline int u_close(int fd) { return syscall1(SYS_CLOSE, (uint32_t)fd); }
static inline int u_stat(const char *path, struct stat *st) { return syscall2(SYS_STAT, (uint32_t)path, (uint32_t)st); }
static inline int u_pipe(int fds[2]) { return syscall1(SYS_PIPE, (uint32_t)fds); }
static inline int u_kill(int pid, int sig) { return syscall2(SYS_KILL, (uint32_t)pid, (uint32_t)sig); }
static inline int u_sigaction(int sig, void (*handler)(int, struct sigcontext *)) {
  return syscall3(SYS_SIGACTION, (uint32_t)sig, (uint32_t)handler, 0);
}
static inline int u_sigdefault(int sig) { return syscall3(SYS_SIGACTION, (uint32_t)sig, SIG_DFL, 0); }
static inline void *u_mmap(uint32_t length, uint32_t prot, uint32_t flags, int fd) {
  struct mmap_args a = {0, length, prot, flags, (uint32_t)fd, 0};
  return (void *)syscall1(SYS_MMAP, (uint32_t)&a);
}
static inline int u_munmap(void *addr, uint32_t length) { return syscall2(SYS_MUNMAP, (uint32_t)addr, length); }
static inline int u_mprotect(void *addr, uint32_t length, uint32_t prot) {
  return syscall3(SYS_MPROTECT, (uint32_t)addr, length, prot);
}
static inline int u_unlink(const char *path) { return syscall1(SYS_UNLINK, (uint32_t)path); }
static inline bool u_failed(const void *mmap_result) { return (uint32_t)mmap_result >= (uint32_t)-4095; }

// ulib.c
int u_strcmp(const char *a, const char *b);
void u_print(const char *s);                                  // to fd 1
// Appends to a line: text left-aligned in width, or a number right-aligned in width.
struct line {
  char buf[128];
  uint32_t len;
};
void line_text(struct line *l, const char *s, uint32_t width);
void line_number(struct line *l, uint64_t v, uint32_t width);
void line_write(struct line *l);                              // writes it to fd 1 with a newline
void u_sort(uint32_t *v, uint32_t n);
unsigned u_atou(const char *s);
