// suite.c: the lmbench-style suite, run as lmbench-os's first process (ring 3). Every row repeats one
// operation, each repetition bracketed with measure_begin/measure_end (kit/measure.h: ring1's measurement
// ports, when the run has them) and timed with RDTSC (ring1's modelled cycles); it prints the minimum and the
// median (the middle sample; the upper middle one for an even count) per row. The rows and what they time are
// described in docs/lmbench-os.md; their names are the region names of ring1's report.
#include "kit/div64.h"
#include "kit/measure.h"
#include "kit/x86.h"
#include "ulib.h"

#define SAMPLES ((uint32_t *)USER_DATA)  // the data segment: 32 pages, 32768 samples
#define MAX_SAMPLES 16384
#define HANDLED ((volatile uint32_t *)(USER_DATA + 0x10000))  // signals the handlers saw

struct suite {
  unsigned reps, forks, rounds, mmap_kb, fault_pages;
  bool ports;  // the measurement ports answer from ring 3
  uint32_t n;  // samples of the current row
};

static inline void begin(const struct suite *s, const char *row) {
  if (s->ports) measure_begin(row);
}
static inline void end(const struct suite *s, const char *row) {
  if (s->ports) measure_end(row);
}
static void record(struct suite *s, uint64_t cycles) {
  if (s->n < MAX_SAMPLES) SAMPLES[s->n++] = cycles > 0xffffffffu ? 0xffffffffu : (uint32_t)cycles;
}

// Prints the row: its name, the number of samples, the minimum and the median.
static void report(struct suite *s, const char *row) {
  u_sort(SAMPLES, s->n);
  struct line l;
  l.len = 0;
  line_text(&l, row, 16);
  line_number(&l, s->n, 8);
  line_number(&l, s->n ? SAMPLES[0] : 0, 12);
  line_number(&l, s->n ? SAMPLES[s->n / 2] : 0, 12);
  line_write(&l);
  s->n = 0;
}

static void fail(const char *what) {
  u_print("suite: ");
  u_print(what);
  u_print("\n");
  u_exit(1);
}

#define FILE_PATH "/tmp/lmbench"
#define MAP_PATH "/tmp/lmbench.map"

// --- System calls, files, signals (lat_syscall, lat_sig) -----------------------------------------------
static void on_usr1(int sig, struct sigcontext *ctx) {
  (void)sig;
  (void)ctx;
  (*HANDLED)++;
}

static void syscall_rows(struct suite *s) {
  for (unsigned i = 0; i < s->reps; i++) {
    begin(s, "null call");
    uint64_t t0 = rdtsc();
    u_getppid();
    uint64_t t1 = rdtsc();
    end(s, "null call");
    record(s, t1 - t0);
  }
  report(s, "null call");

  // lmbench's "null I/O" column: the mean of a one-byte read from /dev/zero and a one-byte write to /dev/null.
  int null_fd = u_open("/dev/null", O_WRONLY), zero_fd = u_open("/dev/zero", O_RDONLY);
  if (null_fd < 0 || zero_fd < 0) fail("cannot open /dev/null and /dev/zero");
  char byte = 'x';
  for (unsigned i = 0; i < s->reps; i++) {
    begin(s, "null I/O");
    uint64_t t0 = rdtsc();
    u_read(zero_fd, &byte, 1);
    u_write(null_fd, &byte, 1);
    uint64_t t1 = rdtsc();
    end(s, "null I/O");
    record(s, (t1 - t0) / 2);
  }
  u_close(null_fd);
  u_close(zero_fd);
  report(s, "null I/O");

  int fd = u_open(FILE_PATH, O_RDWR | O_CREAT | O_TRUNC);
  if (fd < 0 || u_write(fd, "lmbench-os\n", 11) != 11) fail("cannot write " FILE_PATH);
  u_close(fd);
  struct stat st;
  for (unsigned i = 0; i < s->reps; i++) {
    begin(s, "stat");
    uint64_t t0 = rdtsc();
    int r = u_stat(FILE_PATH, &st);
    uint64_t t1 = rdtsc();
    end(s, "stat");
    if (r < 0 || st.st_size != 11) fail("stat gave the wrong size");
    record(s, t1 - t0);
  }
  report(s, "stat");

  for (unsigned i = 0; i < s->reps; i++) {
    begin(s, "open/close");
    uint64_t t0 = rdtsc();
    int f = u_open(FILE_PATH, O_RDONLY);
    u_close(f);
    uint64_t t1 = rdtsc();
    end(s, "open/close");
    if (f < 0) fail("open failed");
    record(s, t1 - t0);
  }
  report(s, "open/close");

  for (unsigned i = 0; i < s->reps; i++) {
    begin(s, "sig inst");
    uint64_t t0 = rdtsc();
    u_sigaction(SIGUSR1, on_usr1);
    uint64_t t1 = rdtsc();
    end(s, "sig inst");
    record(s, t1 - t0);
  }
  report(s, "sig inst");

  int self = u_getpid();
  *HANDLED = 0;
  for (unsigned i = 0; i < s->reps; i++) {
    begin(s, "sig hndl");
    uint64_t t0 = rdtsc();
    u_kill(self, SIGUSR1);  // delivered on the way back from kill: handler, then sigreturn
    uint64_t t1 = rdtsc();
    end(s, "sig hndl");
    record(s, t1 - t0);
  }
  if (*HANDLED != s->reps) fail("the SIGUSR1 handler did not run once per kill");
  report(s, "sig hndl");
}

// --- Processes (lat_proc) ----------------------------------------------------------------------------------
static void proc_row(struct suite *s, const char *row, const char *path, const char *const *argv) {
  for (unsigned i = 0; i < s->forks; i++) {
    int status = -1;
    begin(s, row);
    uint64_t t0 = rdtsc();
    int pid = u_fork();
    if (pid == 0) {
      if (path) u_exec(path, argv);
      u_exit(path ? 127 : 0);
    }
    int w = u_waitpid(pid, &status);
    uint64_t t1 = rdtsc();
    end(s, row);
    if (pid < 0 || w != pid || status != 0) fail("a child failed");
    record(s, t1 - t0);
  }
  report(s, row);
}

static void proc_rows(struct suite *s) {
  static const char *const hello[] = {"hello", 0};
  static const char *const sh[] = {"sh", "-c", "hello", 0};
  proc_row(s, "fork", 0, 0);
  proc_row(s, "exec", "/bin/hello", hello);
  proc_row(s, "sh", "/bin/sh", sh);
}

// --- Context switches (lat_ctx) -----------------------------------------------------------------------------
// Each process sums its own working set between receiving the token and passing it on.
static uint32_t sum(const uint32_t *ws, uint32_t words) {
  uint32_t total = 0;
  for (uint32_t i = 0; i < words; i++) total += ws[i];
  return total;
}

static uint32_t *working_set(uint32_t bytes) {
  if (!bytes) return 0;
  uint32_t *ws = u_mmap(bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  if (u_failed(ws)) fail("cannot map a working set");
  for (uint32_t i = 0; i < bytes / 4; i++) ws[i] = i;  // its own pages
  return ws;
}

#define MAX_CTX_PROCS 16

static void ctx_row(struct suite *s, const char *row, unsigned procs, uint32_t kb) {
  uint32_t bytes = kb * 1024, words = bytes / 4;
  volatile uint32_t sink = 0;
  uint32_t token = 0;

  // The overhead: the same pipe traffic and summing in one process, with no switch.
  int self[2];
  if (u_pipe(self) < 0) fail("pipe");
  uint32_t *ws = working_set(bytes);
  uint64_t overhead = ~0ull;
  for (unsigned r = 0; r <= s->rounds; r++) {
    uint64_t t0 = rdtsc();
    u_write(self[1], &token, 4);
    u_read(self[0], &token, 4);
    sink += sum(ws, words);
    uint64_t t1 = rdtsc();
    if (r && t1 - t0 < overhead) overhead = t1 - t0;  // the first pass warms up
  }
  u_close(self[0]);
  u_close(self[1]);
  if (ws) u_munmap(ws, bytes);

  // The ring: process i reads pipe i and writes pipe i + 1; the suite is process 0.
  int pipes[MAX_CTX_PROCS][2];
  for (unsigned i = 0; i < procs; i++)
    if (u_pipe(pipes[i]) < 0) fail("pipe");
  for (unsigned i = 1; i < procs; i++) {
    int pid = u_fork();
    if (pid < 0) fail("fork");
    if (pid) continue;
    unsigned next = (i + 1) % procs;
    for (unsigned j = 0; j < procs; j++) {
      if (j != i) u_close(pipes[j][0]);
      if (j != next) u_close(pipes[j][1]);
    }
    uint32_t *mine = working_set(bytes);
    while (u_read(pipes[i][0], &token, 4) == 4) {
      sink += sum(mine, words);
      u_write(pipes[next][1], &token, 4);
    }
    u_exit(0);
  }
  for (unsigned j = 0; j < procs; j++) {
    if (j != 0) u_close(pipes[j][0]);
    if (j != 1 % procs) u_close(pipes[j][1]);
  }
  ws = working_set(bytes);
  for (unsigned r = 0; r <= s->rounds; r++) {
    if (r) begin(s, row);  // the first round warms up (every child's first read): neither timed nor bracketed
    uint64_t t0 = rdtsc();
    u_write(pipes[1 % procs][1], &token, 4);
    if (u_read(pipes[0][0], &token, 4) != 4) fail("the token was lost");
    sink += sum(ws, words);
    uint64_t t1 = rdtsc();
    if (!r) continue;
    end(s, row);
    uint64_t per_switch = t1 - t0;
    div64_u32(&per_switch, procs);
    record(s, per_switch > overhead ? per_switch - overhead : 0);
  }
  u_close(pipes[0][0]);
  u_close(pipes[1 % procs][1]);  // end of file travels round the ring
  for (unsigned i = 1; i < procs; i++)
    if (u_waitpid(-1, 0) < 0) fail("waitpid");
  if (ws) u_munmap(ws, bytes);
  report(s, row);
}

static void ctx_rows(struct suite *s) {
  ctx_row(s, "ctxsw 2p/0K", 2, 0);
  ctx_row(s, "ctxsw 2p/16K", 2, 16);
  ctx_row(s, "ctxsw 2p/64K", 2, 64);
  ctx_row(s, "ctxsw 8p/16K", 8, 16);
  ctx_row(s, "ctxsw 8p/64K", 8, 64);
  ctx_row(s, "ctxsw 16p/16K", 16, 16);
  ctx_row(s, "ctxsw 16p/64K", 16, 64);
}

// --- Memory (lat_mmap, lat_sig prot, lat_pagefault) ---------------------------------------------------------
static int make_file(const char *path, uint32_t bytes) {
  int fd = u_open(path, O_RDWR | O_CREAT | O_TRUNC);
  if (fd < 0) fail("cannot create a file");
  char block[256];
  for (uint32_t i = 0; i < sizeof block; i++) block[i] = (char)i;
  for (uint32_t done = 0; done < bytes; done += sizeof block)
    if (u_write(fd, block, sizeof block) != (int)sizeof block) fail("cannot write a file");
  return fd;
}

// The store the protection-fault handler skips: `mov %eax, (%ecx)`, two bytes (89 01).
#define STORE_LENGTH 2
static void on_segv(int sig, struct sigcontext *ctx) {
  (void)sig;
  (*HANDLED)++;
  ctx->eip += STORE_LENGTH;
}

static void memory_rows(struct suite *s) {
  uint32_t bytes = s->mmap_kb * 1024;
  int fd = make_file(MAP_PATH, bytes);
  volatile uint32_t sink = 0;
  for (unsigned i = 0; i < s->reps; i++) {
    begin(s, "mmap lat");
    uint64_t t0 = rdtsc();
    const uint32_t *p = u_mmap(bytes, PROT_READ, MAP_SHARED, fd);
    if (u_failed(p)) fail("mmap failed");
    for (uint32_t off = 0; off < bytes; off += 4096) sink += p[off / 4];
    u_munmap((void *)p, bytes);
    uint64_t t1 = rdtsc();
    end(s, "mmap lat");
    record(s, t1 - t0);
  }
  u_close(fd);
  report(s, "mmap lat");

  uint32_t *page = u_mmap(4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
  if (u_failed(page)) fail("mmap failed");
  page[0] = 1;
  if (u_mprotect(page, 4096, PROT_READ) < 0) fail("mprotect failed");
  u_sigaction(SIGSEGV, on_segv);
  *HANDLED = 0;
  for (unsigned i = 0; i < s->reps; i++) {
    begin(s, "prot fault");
    uint64_t t0 = rdtsc();
    __asm__ volatile("movl %%eax, (%%ecx)" ::"a"(2), "c"(page) : "memory");
    uint64_t t1 = rdtsc();
    end(s, "prot fault");
    record(s, t1 - t0);
  }
  if (*HANDLED != s->reps || page[0] != 1) fail("the protection fault was not caught once per store");
  u_sigdefault(SIGSEGV);
  u_munmap(page, 4096);
  report(s, "prot fault");

  uint32_t fault_bytes = s->fault_pages * 4096;
  fd = make_file(FILE_PATH, fault_bytes);
  for (unsigned r = 0; r < s->reps && s->n + s->fault_pages <= MAX_SAMPLES; r++) {
    const uint32_t *p = u_mmap(fault_bytes, PROT_READ, MAP_SHARED, fd);
    if (u_failed(p)) fail("mmap failed");
    for (uint32_t off = 0; off < fault_bytes; off += 4096) {
      begin(s, "page fault");
      uint64_t t0 = rdtsc();
      sink += p[off / 4];
      uint64_t t1 = rdtsc();
      end(s, "page fault");
      record(s, t1 - t0);
    }
    u_munmap((void *)p, fault_bytes);
  }
  u_close(fd);
  report(s, "page fault");
}

// Whether the measurement ports answer from ring 3: a child tries one reset. Without them (a ring1 that has no
// measurement device) the OUT is a #GP and the child ends by SIGSEGV.
static bool ports_available(void) {
  int pid = u_fork();
  if (pid == 0) {
    measure_reset();
    u_exit(0);
  }
  int status = -1;
  return pid > 0 && u_waitpid(pid, &status) == pid && status == 0;
}

int suite_main(int argc, char **argv) {
  if (argc != 6) fail("usage: suite REPS FORKS ROUNDS MMAP_KB FAULT_PAGES");
  struct suite s = {.reps = u_atou(argv[1]), .forks = u_atou(argv[2]), .rounds = u_atou(argv[3]),
                    .mmap_kb = u_atou(argv[4]), .fault_pages = u_atou(argv[5]), .ports = false, .n = 0};
  s.ports = ports_available();
  u_print(s.ports ? "lmbench-os suite: modelled cycles per operation (RDTSC); measurement ports on\n"
                  : "lmbench-os suite: modelled cycles per operation (RDTSC); measurement ports absent\n");
  struct line l;
  l.len = 0;
  line_text(&l, "row", 16);
  line_text(&l, " samples", 8);
  line_text(&l, "         min", 12);
  line_text(&l, "      median", 12);
  line_write(&l);
  syscall_rows(&s);
  proc_rows(&s);
  ctx_rows(&s);
  memory_rows(&s);
  return 0;
}
