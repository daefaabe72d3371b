// lmbench-os: a small multi-process operating system built with the guest kit, booting natively (kernel in
// ring 0) or under ring1's hypervisor (--pv: kernel in ring 1), the same image both ways, and running an
// lmbench-style suite (suite.c) as its first process. See docs/lmbench-os.md. kmain reads the command line,
// sets up the subsystems, starts init (pid 1: /bin/suite with the settings as arguments) and idles until it
// exits; init's exit status is the run's.
#include "kernel.h"
#include "kit/console.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/processes.h"
#include "kit/string.h"

struct settings settings = {.hz = 100, .reps = 10, .fork_reps = 4, .ctx_rounds = 6, .mmap_kb = 64,
                            .fault_pages = 16, .batch = 2048};
const char *const *init_argv;
static bool selftest;  // run=selftest: init runs /bin/selftest instead of the suite

static const struct {
  const char *key;
  unsigned *value;
  unsigned min, max;
  const char *what;
} options[] = {
    {"reps", &settings.reps, 1, 500, "repetitions of each cheap row"},
    {"forks", &settings.fork_reps, 1, 100, "repetitions of fork, exec and sh"},
    {"rounds", &settings.ctx_rounds, 1, 200, "token rounds of each context-switch row"},
    {"mmap", &settings.mmap_kb, 4, 1024, "KiB mapped by the mmap row"},
    {"pages", &settings.fault_pages, 1, 256, "pages faulted in by the page-fault row"},
    {"hz", &settings.hz, 10, 1000, "timer ticks per second (the scheduler's time slice)"},
    {"batch", &settings.batch, 1, 2048, "page-table updates per mmu_update under the hypervisor"},
};

// "key=N" words; natively the loader puts the image's path first (a word without '='), which is skipped.
static bool parse_cmdline(const char *s) {
  bool first = true;
  while (*s) {
    while (*s == ' ') s++;
    if (!*s) break;
    const char *word = s;
    while (*s && *s != ' ') s++;
    uint32_t len = (uint32_t)(s - word);
    const char *eq = word;
    while (eq < s && *eq != '=') eq++;
    bool skip = first && eq == s && !plat_is_pv();
    first = false;
    if (skip) continue;
    if (eq - word == 3 && strncmp(word, "run", 3) == 0) {  // the one option that is not a number
      if ((uint32_t)(s - eq - 1) == 5 && strncmp(eq + 1, "suite", 5) == 0) selftest = false;
      else if ((uint32_t)(s - eq - 1) == 8 && strncmp(eq + 1, "selftest", 8) == 0) selftest = true;
      else {
        printf("lmbench-os: bad value for run: expected run=suite or run=selftest\n");
        return false;
      }
      continue;
    }
    unsigned i = 0, n = sizeof options / sizeof options[0];
    for (; i < n; i++)
      if (strlen(options[i].key) == (uint32_t)(eq - word) && strncmp(options[i].key, word, (uint32_t)(eq - word)) == 0) break;
    char shown[48];
    uint32_t m = len < sizeof shown - 1 ? len : sizeof shown - 1;
    memcpy(shown, word, m);
    shown[m] = 0;
    if (i == n || eq == s) {
      printf("lmbench-os: unknown argument \"%s\"; expected run=suite|selftest or key=N with key one of:", shown);
      for (unsigned j = 0; j < n; j++) printf(" %s", options[j].key);
      printf("\n");
      return false;
    }
    uint64_t v = 0;
    const char *d = eq + 1;
    for (; d < s && *d >= '0' && *d <= '9' && v <= 0xffffffffu; d++) v = v * 10 + (uint32_t)(*d - '0');
    if (d == eq + 1 || d != s || v < options[i].min || v > options[i].max) {
      printf("lmbench-os: bad value in \"%s\": %s must be a number from %u to %u (%s)\n", shown,
             options[i].key, options[i].min, options[i].max, options[i].what);
      return false;
    }
    *options[i].value = (unsigned)v;
  }
  return true;
}

static void decimal(char *out, unsigned v) { snprintf(out, 12, "%u", v); }

int kmain(void) {
  if (!parse_cmdline(kit_boot.cmdline)) return 2;
  mm_init();
  fs_init();
  syscall_init();
  plat_set_mmu_batch(settings.batch);
  kit_set_user_return(sched_user_return);

  static char args[5][12];
  decimal(args[0], settings.reps);
  decimal(args[1], settings.fork_reps);
  decimal(args[2], settings.ctx_rounds);
  decimal(args[3], settings.mmap_kb);
  decimal(args[4], settings.fault_pages);
  static const char *argv[] = {"/bin/suite", args[0], args[1], args[2], args[3], args[4], 0};
  static const char *const selftest_argv[] = {"/bin/selftest", 0};
  init_argv = selftest ? selftest_argv : argv;

  struct proc *init = proc_alloc();
  memcpy(init->name, "init", 5);
  init->pd = mm_new_space();  // empty: replaced by the exec at its first run
  int console = fs_open("/dev/console", O_RDWR);  // fd 0 of the idle context, then init's 0, 1 and 2
  struct file *cons = current->fd[console];
  current->fd[console] = 0;
  for (int fd = 0; fd < 3; fd++) {
    init->fd[fd] = cons;
    if (fd) cons->refs++;
  }
  proc_start(init);

  sched_init(settings.hz);
  sched_idle_loop(init);
  int status = init->exit_status;
  if (!WIFEXITED(status)) {
    printf("lmbench-os: init ended by signal %d\n", WTERMSIG(status));
    return 128 + WTERMSIG(status);
  }
  return WEXITSTATUS(status);
}
