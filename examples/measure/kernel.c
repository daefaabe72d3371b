// measure: the measurement ports (kit/measure.h) in use, natively and under the hypervisor from one image.
// Each operation is bracketed with measure_begin/measure_end, SAMPLES times, and ring1 adds up what each
// sample cost in its report's "regions" (every counter: instructions, cycles by ring, TLB lookups, misses and
// flushes by cause, walks, hypercalls, bounces). The kernel measures building an address space of
// `pages=N` pages at `batch=B` page-table updates per hypercall (a paravirtual guest's mmu_update batch), and
// an address-space switch with a working set; its ring-3 task measures a null system call and a demand page
// fault from ring 3 itself, since the ports answer in every ring. `ring1 experiment` runs it in every
// configuration (docs/experiment.md) until the lmbench-style suite replaces it as the default.
#include "kit/console.h"
#include "kit/kit.h"
#include "kit/measure.h"
#include "kit/paging.h"
#include "kit/string.h"
#include "kit/user.h"
#include "kit/x86.h"
#include "measure_example.h"

void user_main(void);

#define SPACE_REGION 0x40000000u
#define MAX_PAGES 1024
#define MAX_BATCH 2048  // the kit's PV platform sends at most this many updates per mmu_update
#define WORKING_SET 16

static uint32_t frames[MAX_PAGES];
static uint8_t kernel_buffer[WORKING_SET * PAGE_SIZE] __attribute__((aligned(4096)));
static volatile uint32_t sink;

// "name=N" on the command line: N, `fallback` if absent, or ~0u if the value is not a number.
static unsigned arg(const char *name, unsigned fallback) {
  const char *s = kit_boot.cmdline;
  size_t n = strlen(name);
  for (; *s; s++) {
    if ((s == kit_boot.cmdline || s[-1] == ' ') && strncmp(s, name, n) == 0 && s[n] == '=') {
      unsigned v = 0, digits = 0;
      for (s += n + 1; *s >= '0' && *s <= '9' && digits < 9; s++, digits++) v = v * 10 + (unsigned)(*s - '0');
      return digits && (*s == 0 || *s == ' ') ? v : ~0u;
    }
  }
  return fallback;
}

static void touch(uint32_t base) {
  for (unsigned i = 0; i < WORKING_SET; i++) sink = *(volatile uint32_t *)(base + i * PAGE_SIZE);
}

static void build_spaces(unsigned pages, unsigned batch) {
  for (unsigned i = 0; i < pages; i++) frames[i] = frame_alloc();
  plat_set_mmu_batch(batch);
  for (unsigned k = 0; k < SAMPLES; k++) {
    measure_begin("build space");
    uint32_t pd = space_create();
    for (unsigned i = 0; i < pages; i++) space_map(pd, SPACE_REGION + i * PAGE_SIZE, frames[i], PTE_W | PTE_U);
    plat_mmu_flush();
    measure_end("build space");
    for (unsigned i = 0; i < pages; i++) space_unmap(pd, SPACE_REGION + i * PAGE_SIZE);
    space_destroy(pd);
  }
  plat_set_mmu_batch(1);
  for (unsigned i = 0; i < pages; i++) frame_free(frames[i]);
}

static void switch_spaces(void) {
  uint32_t pd = space_create();
  for (unsigned i = 0; i < WORKING_SET; i++) {
    frames[i] = frame_alloc();
    space_map(pd, SPACE_REGION + i * PAGE_SIZE, frames[i], PTE_W);
  }
  plat_mmu_flush();
  plat_write_cr3(pd);
  touch(SPACE_REGION);
  plat_write_cr3(kernel_pd);
  touch((uint32_t)kernel_buffer);
  for (unsigned k = 0; k < SAMPLES; k++) {
    measure_begin("space switch");
    plat_write_cr3(pd);
    touch(SPACE_REGION);
    plat_write_cr3(kernel_pd);
    touch((uint32_t)kernel_buffer);
    measure_end("space switch");
  }
  space_destroy(pd);
  for (unsigned i = 0; i < WORKING_SET; i++) frame_free(frames[i]);
}

static int32_t sys_exit(struct trap_frame *f) { user_exit((int32_t)f->ebx); }
static int32_t sys_null(struct trap_frame *f) {
  (void)f;
  return 0;
}
static const syscall_fn syscalls[SYS_COUNT] = {[SYS_EXIT] = sys_exit, [SYS_NULL] = sys_null};

static void on_page_fault(struct trap_frame *f) {
  uint32_t va = plat_fault_address();
  if (frame_ring(f) != 3 || va < FAULT_REGION || va >= FAULT_REGION + SAMPLES * PAGE_SIZE)
    panic("unexpected page fault at %08x (error %x, ring %u, EIP %08x)", va, f->error, frame_ring(f), f->eip);
  page_map(va & PAGE_MASK, frame_alloc(), PTE_W | PTE_U);
}

int kmain(void) {
  unsigned pages = arg("pages", 256), batch = arg("batch", 64);
  if (pages == 0 || pages > MAX_PAGES || batch == 0 || batch > MAX_BATCH) {
    printf("measure: pages=N takes 1..%u and batch=B 1..%u (got '%s')\n", MAX_PAGES, MAX_BATCH, kit_boot.cmdline);
    return 2;
  }
  printf("measure on %s, kernel in ring %u: %u samples per region, %u pages at batch %u\n", kit_plat->name,
         current_ring(), SAMPLES, pages, batch);
  // The smallest region: what a bracket itself costs (the end's OUT and the instruction loading its name).
  for (unsigned k = 0; k < SAMPLES; k++) {
    measure_begin("empty");
    measure_end("empty");
  }
  build_spaces(pages, batch);
  switch_spaces();
  syscalls_install(syscalls, SYS_COUNT);
  plat_set_trap(VEC_PF, on_page_fault, false);
  int32_t status = user_run(user_main, user_stack_map(USER_STACK_TOP, 2));
  if (status != 0) printf("the user task ended with status %d\n", status);
  printf("measure: done\n");
  return status;
}
