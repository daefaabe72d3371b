// kernel.h: what lmbench-os's kernel subsystems share: the process, its memory regions and open files, and
// each subsystem's entry points (one file per subsystem: proc, sched, mm, fork, exec, pipe, signal, fs,
// syscall, programs). The kernel runs in ring 0 natively and ring 1 under the hypervisor, on the kit's
// platform interface, with interrupts (events) held off whenever it runs.
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "abi.h"
#include "kit/trap.h"

#define NPROC 40
#define NFD 40
#define NVMA 12
#define KSTACK_SIZE 8192

// --- Files (fs.c, pipe.c) ---------------------------------------------------------------------------------
enum inode_kind { I_FREE, I_FILE, I_NULL, I_ZERO, I_CONSOLE, I_PROGRAM };
#define FILE_MAX_PAGES 256  // 1 MiB per file
struct inode {
  enum inode_kind kind;
  char name[PATH_MAX];
  uint32_t size, npages;
  int program;  // I_PROGRAM: index into programs[]
  int refs;     // open files and mappings (a removed file lives until the last goes)
  bool linked;  // still in the directory
  uint32_t pages[FILE_MAX_PAGES];  // physical frames of the data, 0 where nothing was written
};
struct pipe;
enum file_kind { F_INODE, F_PIPE_READ, F_PIPE_WRITE };
struct file {
  int refs;
  enum file_kind kind;
  struct inode *inode;
  struct pipe *pipe;
  uint32_t offset;
  int flags;
};

// --- Memory (mm.c) ----------------------------------------------------------------------------------------
enum vma_kind { V_ANON, V_FILE };
struct vma {
  uint32_t start, end;  // page-aligned; end exclusive; start == end: unused
  uint32_t prot;        // PROT_READ | PROT_WRITE
  enum vma_kind kind;
  bool shared;          // V_FILE with MAP_SHARED: the file's own frames, written in place
  struct inode *file;
  uint32_t offset;      // file offset of start
};

// --- Processes (proc.c, sched.c) --------------------------------------------------------------------------
enum proc_state { P_UNUSED, P_RUNNABLE, P_SLEEPING, P_ZOMBIE };
struct proc {
  enum proc_state state;
  int pid, ppid;
  uint32_t pd;                 // page directory (physical)
  uint32_t ksp;                // saved kernel stack pointer while switched out
  uint8_t *kstack;             // KSTACK_SIZE bytes; the trap frame from ring 3 lies at its top
  const void *wait_channel;    // what a sleeping process waits for
  uint64_t slice_tick;         // the timer tick at which it was last picked
  int exit_status;             // waitpid encoding
  struct file *fd[NFD];
  struct vma vma[NVMA];
  uint32_t sig_pending, sig_blocked;
  uint32_t sig_handler[NSIG];
  uint32_t fault_address, fault_error;  // of the last SIGSEGV
  char name[16];
};
extern struct proc procs[NPROC];
extern struct proc *current;

// The trap frame of a process's last entry from ring 3 (at the top of its kernel stack).
static inline struct trap_frame *user_frame(struct proc *p) {
  return (struct trap_frame *)(p->kstack + KSTACK_SIZE) - 1;
}

// proc.c
struct proc *proc_alloc(void);
void proc_free(struct proc *p);
struct proc *proc_find(int pid);
void proc_start(struct proc *p);  // p's first run: enter ring 3 from its user_frame
void proc_exit(int status) __attribute__((noreturn));
int proc_waitpid(int pid, uint32_t status_va);
void fds_close_all(struct proc *p);

// sched.c
void sched_init(unsigned hz);
void schedule(void);                  // run another runnable process (or idle) if there is one
void sleep_on(const void *channel);   // current sleeps until wakeup(channel) (or a signal: check after)
void wakeup(const void *channel);
void sched_user_return(struct trap_frame *f);  // the kit's return-to-user hook
void sched_idle_loop(struct proc *init);       // kmain's: idles until init is a zombie
void ctx_switch(uint32_t *save_esp, uint32_t new_esp);  // switch.S
void ctx_first_entry(void);                             // switch.S: a new process's first stack frame
uint32_t sched_loaded_pd(void);                         // the page directory in CR3
void sched_load_pd(uint32_t pd);                        // loads it (exec)

// mm.c
void mm_init(void);
uint32_t mm_new_space(void);
bool mm_directory_freed(void);  // since the last mm_flush_all: a new directory must not be loaded before one
void mm_flush_all(void);        // every address space's TLB entries
void mm_destroy_space(struct proc *p);  // p->pd must not be current
uint32_t *mm_pte(uint32_t pd, uint32_t va, bool create);
struct vma *mm_find_vma(struct proc *p, uint32_t va);
struct vma *mm_add_vma(struct proc *p, uint32_t start, uint32_t end, uint32_t prot, enum vma_kind kind);
bool mm_fault(struct proc *p, uint32_t va, bool write);  // false: the access is not allowed
bool mm_user_ok(uint32_t va, uint32_t len, bool write);  // and faults the pages in
int32_t mm_mmap(const struct mmap_args *a);
int32_t mm_munmap(uint32_t addr, uint32_t len);
int32_t mm_mprotect(uint32_t addr, uint32_t len, uint32_t prot);
void frame_ref(uint32_t pa);
void frame_unref(uint32_t pa);
unsigned frame_refs(uint32_t pa);
void mm_page_fault(struct trap_frame *f);

// fork.c, exec.c
int32_t do_fork(struct trap_frame *f);
int32_t do_exec(struct trap_frame *f, uint32_t path_va, uint32_t argv_va);
int32_t exec_first(const char *path, const char *const *argv);  // init's exec, at its first run

// fs.c
void fs_init(void);
struct inode *fs_lookup(const char *path);
struct file *file_alloc(void);
void file_put(struct file *f);
int fd_install(struct proc *p, struct file *f);
struct file *fd_get(int fd);
int32_t fs_open(const char *path, int flags);
int32_t fs_read(struct file *f, uint32_t buf, uint32_t n);
int32_t fs_write(struct file *f, uint32_t buf, uint32_t n);
int32_t fs_stat(struct inode *ip, uint32_t st_va);
int32_t fs_unlink(const char *path);
uint32_t fs_file_frame(struct inode *ip, uint32_t page_index);  // allocated on demand
void inode_put(struct inode *ip);
struct inode *fs_create_program(const char *path, int program);

// pipe.c
int32_t pipe_create(uint32_t fds_va);
int32_t pipe_read(struct pipe *p, uint32_t buf, uint32_t n);
int32_t pipe_write(struct pipe *p, uint32_t buf, uint32_t n);
void pipe_close(struct pipe *p, bool writer);

// signal.c
int32_t sig_action(int sig, uint32_t handler, uint32_t old_va);
int32_t sig_kill(int pid, int sig);
int32_t sig_return(struct trap_frame *f, uint32_t ctx_va);
void sig_deliver(struct trap_frame *f);  // on the way back to ring 3
void sig_send(struct proc *p, int sig);
void sig_force(struct proc *p, int sig);  // for faults: never blocked or ignored
static inline bool sig_unblocked_pending(const struct proc *p) { return p->sig_pending & ~p->sig_blocked; }

// syscall.c
void syscall_init(void);
bool copy_path(char *dst, uint32_t src_va);

// programs.c: the programs linked into the image (their code in USER_SOURCES)
struct program {
  const char *path;
  int (*main)(int argc, char **argv);
  uint32_t data_pages;  // the size of its data segment at USER_DATA
};
extern const struct program programs[];
extern const unsigned program_count;
void ucrt_start(void);          // user side: calls main(argc, argv) then exit
void usig_trampoline(void);     // user side: sigreturn after a handler

// main.c: the command line's settings
struct settings {
  unsigned hz, reps, fork_reps, ctx_rounds, mmap_kb, fault_pages, batch;
};
extern struct settings settings;
extern const char *const *init_argv;  // init's program and arguments, exec'd at its first run
