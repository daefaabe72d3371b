// pv-pagetables: the paper's memory-management costs, measured from inside a kit kernel that runs natively
// (ring 0, privileged instructions) or under ring1's Xen-style hypervisor (ring 1, hypercalls), the same
// image both ways. For N pages and each mmu_update batch size it builds an address space (a new page
// directory sharing the kernel's mappings, N pages mapped in it: on Xen, N validated entry updates sent B
// per hypercall) and tears it down again; it switches between two address spaces (a CR3 load, or
// MMUEXT_NEW_BASEPTR, followed by touching 16 pages, which an untagged TLB has to walk again); and a ring-3
// task times null system calls and demand page faults. Every figure is modelled cycles per operation from
// RDTSC, two decimals. The command line may pick one configuration: "pages=N batch=B" (any N from 1 to 1024,
// any B from 1 to 2048, either alone); anything else is refused with a message and exit status 2.
#include "kit/console.h"
#include "kit/div64.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/string.h"
#include "kit/user.h"
#include "kit/x86.h"
#include "pv_pagetables.h"

void user_main(void);

#define SPACE_REGION 0x40000000u  // where each new address space maps its N pages
#define MAX_PAGES 1024
#define MAX_BATCH 2048  // the kit's PV platform sends at most this many updates per mmu_update
#define SWITCHES 64     // context switches timed (each way)
#define WORKING_SET 16  // pages touched after each switch

static uint32_t frames[MAX_PAGES];
static uint8_t kernel_buffer[WORKING_SET * PAGE_SIZE] __attribute__((aligned(4096)));
static volatile uint32_t sink;

// cycles / n with two decimals, right-aligned in width columns (the kit's printf takes no '*' width).
static void print_per_op(uint64_t cycles, uint32_t n, int width) {
  uint64_t q = cycles * 100;
  div64_u32(&q, n);
  uint32_t hundredths = div64_u32(&q, 100);
  char buf[32];
  int len = snprintf(buf, sizeof buf, "%llu.%02u", q, hundredths);
  for (; len < width; len++) putchar(' ');
  printf("%s", buf);
}

// "name=N" on the command line: 1 with *out = N, 0 if absent, -1 if N is not a number.
static int arg(const char *name, unsigned *out) {
  const char *s = kit_boot.cmdline;
  size_t n = strlen(name);
  for (; *s; s++) {
    if ((s == kit_boot.cmdline || s[-1] == ' ') && strncmp(s, name, n) == 0 && s[n] == '=') {
      unsigned v = 0, digits = 0;
      for (s += n + 1; *s >= '0' && *s <= '9' && digits < 9; s++, digits++) v = v * 10 + (unsigned)(*s - '0');
      *out = v;
      return digits && (*s == 0 || *s == ' ') ? 1 : -1;
    }
  }
  return 0;
}

// Builds and tears down an address space of n pages with batch size b; prints one table row.
static void build_and_tear_down(unsigned n, unsigned b) {
  for (unsigned i = 0; i < n; i++) frames[i] = frame_alloc();
  plat_set_mmu_batch(b);
  uint64_t t0 = plat_cycles();
  uint32_t pd = space_create();
  uint64_t t1 = plat_cycles();
  for (unsigned i = 0; i < n; i++) space_map(pd, SPACE_REGION + i * PAGE_SIZE, frames[i], PTE_W | PTE_U);
  plat_mmu_flush();
  uint64_t t2 = plat_cycles();
  for (unsigned i = 0; i < n; i++) space_unmap(pd, SPACE_REGION + i * PAGE_SIZE);
  space_destroy(pd);
  uint64_t t3 = plat_cycles();
  plat_set_mmu_batch(1);
  for (unsigned i = 0; i < n; i++) frame_free(frames[i]);
  printf("  %5u %5u", n, b);
  print_per_op(t2 - t1, n, 12);  // per page-table update
  printf("%14llu", t2 - t0);      // the whole build
  print_per_op(t3 - t2, n, 12);  // per page torn down
  printf("\n");
}

static void touch(uint32_t base) {
  for (unsigned i = 0; i < WORKING_SET; i++) sink = *(volatile uint32_t *)(base + i * PAGE_SIZE);
}

// SWITCHES round trips between the kernel's address space and one of WORKING_SET pages, touching the
// working set after every switch.
static void context_switches(void) {
  uint32_t pd = space_create();
  for (unsigned i = 0; i < WORKING_SET; i++) {
    frames[i] = frame_alloc();
    space_map(pd, SPACE_REGION + i * PAGE_SIZE, frames[i], PTE_W);
  }
  plat_mmu_flush();
  plat_write_cr3(pd);  // warm: every page mapped and walked once
  touch(SPACE_REGION);
  plat_write_cr3(kernel_pd);
  touch((uint32_t)kernel_buffer);
  uint64_t t0 = plat_cycles();
  for (unsigned k = 0; k < SWITCHES; k++) {
    plat_write_cr3(pd);
    touch(SPACE_REGION);
    plat_write_cr3(kernel_pd);
    touch((uint32_t)kernel_buffer);
  }
  uint64_t t1 = plat_cycles();
  space_destroy(pd);
  for (unsigned i = 0; i < WORKING_SET; i++) frame_free(frames[i]);
  printf("  context switch (new page directory, then %u pages touched):", WORKING_SET);
  print_per_op(t1 - t0, 2 * SWITCHES, 10);
  printf("\n");
}

static int32_t sys_exit(struct trap_frame *f) { user_exit((int32_t)f->ebx); }
static int32_t sys_null(struct trap_frame *f) {
  (void)f;
  return 0;
}
static int32_t sys_report(struct trap_frame *f) {
  uint64_t cycles = (uint64_t)f->edx << 32 | f->ecx;
  if (f->ebx == REPORT_SYSCALL) {
    printf("  null system call (int 0x80 from ring 3):");
    print_per_op(cycles, NULL_CALLS, 29);
  } else {
    printf("  page fault (ring 3 store, page mapped by the kernel):");
    print_per_op(cycles, FAULT_PAGES, 16);
  }
  printf("\n");
  return 0;
}
static const syscall_fn syscalls[SYS_COUNT] = {[SYS_EXIT] = sys_exit, [SYS_NULL] = sys_null, [SYS_REPORT] = sys_report};

static void on_page_fault(struct trap_frame *f) {
  uint32_t va = plat_fault_address();
  if (frame_ring(f) != 3 || va < FAULT_REGION || va >= FAULT_REGION + FAULT_PAGES * PAGE_SIZE)
    panic("unexpected page fault at %08x (error %x, ring %u, EIP %08x)", va, f->error, frame_ring(f), f->eip);
  page_map(va & PAGE_MASK, frame_alloc(), PTE_W | PTE_U);
}

int kmain(void) {
  static const unsigned all_pages[] = {256, 1024}, all_batches[] = {1, 8, 64, 512};
  unsigned only_pages = 0, only_batch = 0;
  const int has_pages = arg("pages", &only_pages), has_batch = arg("batch", &only_batch);
  if (has_pages < 0 || has_batch < 0 || (has_pages && (only_pages == 0 || only_pages > MAX_PAGES)) ||
      (has_batch && (only_batch == 0 || only_batch > MAX_BATCH))) {
    printf("pv-pagetables: pages=N takes 1..%u and batch=B 1..%u (command line '%s')\n", MAX_PAGES, MAX_BATCH,
           kit_boot.cmdline);
    return 2;
  }
  const unsigned *pages = all_pages, *batches = all_batches;
  unsigned n_pages = sizeof all_pages / sizeof all_pages[0], n_batches = sizeof all_batches / sizeof all_batches[0];
  if (has_pages) pages = &only_pages, n_pages = 1;
  if (has_batch) batches = &only_batch, n_batches = 1;
  printf("pv-pagetables on %s, kernel in ring %u: modelled cycles per operation (RDTSC)\n", kit_plat->name,
         current_ring());
  printf("  %5s %5s %12s %14s %12s\n", "pages", "batch", "map/page", "build total", "unmap/page");
  for (unsigned p = 0; p < n_pages; p++)
    for (unsigned b = 0; b < n_batches; b++) build_and_tear_down(pages[p], batches[b]);
  context_switches();

  syscalls_install(syscalls, SYS_COUNT);
  plat_set_trap(VEC_PF, on_page_fault, false);
  int32_t status = user_run(user_main, user_stack_map(USER_STACK_TOP, 2));
  if (status != 0) printf("the user task ended with status %d\n", status);
  return status;
}
