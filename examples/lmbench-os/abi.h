// abi.h: the interface between lmbench-os's kernel and its programs: system-call numbers, flags and the
// structures both sides read (stat, the signal context), and the user address-space layout. System calls are
// `int 0x80` with the number in EAX and arguments in EBX, ECX, EDX, ESI, EDI; the result comes back in EAX,
// a negative errno on failure (Linux's i386 convention; errno values are Linux's).
#pragma once
#include <stdint.h>

enum {
  SYS_EXIT, SYS_FORK, SYS_EXEC, SYS_WAITPID, SYS_GETPID, SYS_GETPPID, SYS_READ, SYS_WRITE, SYS_OPEN, SYS_CLOSE,
  SYS_STAT, SYS_FSTAT, SYS_PIPE, SYS_KILL, SYS_SIGACTION, SYS_SIGRETURN, SYS_MMAP, SYS_MUNMAP, SYS_MPROTECT,
  SYS_YIELD, SYS_UNLINK, SYS_LSEEK, SYS_COUNT
};

enum { EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, E2BIG = 7, ENOEXEC = 8, EBADF = 9, ECHILD = 10,
       EAGAIN = 11, ENOMEM = 12, EFAULT = 14, EEXIST = 17, EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24,
       EFBIG = 27, ENOSPC = 28, ESPIPE = 29, EPIPE = 32, ENAMETOOLONG = 36, ENOSYS = 38 };

// open flags (Linux's values)
enum { O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_ACCMODE = 3, O_CREAT = 0100, O_TRUNC = 01000 };

enum { S_IFREG = 0100000, S_IFCHR = 0020000, S_IFIFO = 0010000 };
struct stat {
  uint32_t st_ino, st_mode, st_nlink, st_size, st_blocks;
};

// Signals: the numbers are Linux's; a handler is void handler(int sig, struct sigcontext *ctx), and may change
// ctx (its EIP, to skip a faulting instruction) before it returns into the kernel's sigreturn.
enum { SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGTERM = 15, SIGCHLD = 17, NSIG = 32 };
#define SIG_DFL ((uint32_t)0)
#define SIG_IGN ((uint32_t)1)
struct sigcontext {
  uint32_t edi, esi, ebp, ebx, edx, ecx, eax, eip, eflags, esp;
  uint32_t blocked;  // the signal mask to restore
  uint32_t fault_address, error;  // for SIGSEGV: CR2 and the #PF error code
};
// What the kernel pushes on the user stack to call a handler: the return address (the user-side trampoline
// that calls sigreturn), the handler's two arguments, then the saved context.
struct sigframe {
  uint32_t return_address, sig, ctx_pointer;
  struct sigcontext ctx;
};

// mmap (Linux's values)
enum { PROT_NONE = 0, PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4 };
enum { MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_ANONYMOUS = 0x20 };
struct mmap_args {
  uint32_t addr, length, prot, flags, fd, offset;
};

// waitpid status: exit code << 8, or the signal that ended the process (Linux's encoding).
#define WIFEXITED(s) (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WTERMSIG(s) ((s) & 0x7f)

// The user address space: every process's own pages lie in [USER_BASE, USER_TOP); below, every address space
// shares the kernel's directory entries (RAM identity-mapped, supervisor-only except the programs' code).
#define USER_BASE 0x40000000u
#define USER_DATA 0x40000000u    // the program's data segment (demand-zero, private)
#define USER_MMAP 0x50000000u    // mmap's first-fit area, up to USER_STACK_LOW
#define USER_STACK_LOW 0xbffc0000u  // 256 KiB of stack, demand-zero
#define USER_TOP 0xc0000000u     // the stack ends here

#define MAX_ARGS 8
#define PATH_MAX 32
