// tlb-flush: what a CR3 reload costs the code that runs after it. For N = 1, 4, 16, 64, 256 pages: touch each
// page once (to fill the TLB), time a second pass (all hits, if N pages fit), reload CR3 with its own value,
// and time a third pass. On x86 the reload drops every non-global translation (SDM vol. 3, 4.10.4.1), so the
// third pass walks the page tables again; with `ring1 run --tlb tagged` entries are tagged with their address
// space, the reload drops nothing, and the two passes cost the same. Times are RDTSC, the modelled cycles.
#include "kit/console.h"
#include "kit/div64.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/platform.h"
#include "kit/x86.h"

#define REGION 0x40000000u  // N pages mapped here, each to its own frame
#define MAX_PAGES 256

static volatile uint32_t sink;

// One load from each of the first n pages; returns the cycles it took. Not inlined, so that every pass runs
// the very same instructions and only the TLB differs between them.
static __attribute__((noinline)) uint64_t touch(unsigned n) {
  uint64_t start = rdtsc();
  for (unsigned i = 0; i < n; i++) sink = *(volatile uint32_t *)(REGION + i * PAGE_SIZE);
  return rdtsc() - start;
}

// Prints cycles / n with two decimals (no floating point in the kit).
static void print_per_access(int64_t cycles, unsigned n) {
  uint64_t per_access = (cycles < 0 ? -(uint64_t)cycles : (uint64_t)cycles) * 100;  // hundredths of a cycle
  div64_u32(&per_access, n);
  uint32_t hundredths = div64_u32(&per_access, 100);
  printf("  %s%6llu.%02u", cycles < 0 ? "-" : " ", per_access, hundredths);
}

int kmain(void) {
  for (unsigned i = 0; i < MAX_PAGES; i++) page_map(REGION + i * PAGE_SIZE, frame_alloc(), PTE_W);

  // What a pass costs beyond its loads (the calls, the RDTSCs): subtracted from every timing below. Measured
  // warm, as the passes below are (on ring1 the two are equal; on QEMU or hardware the first is not).
  touch(0);
  uint64_t overhead = touch(0);

  printf("tlb-flush: cycles per access (RDTSC, loop included) to N pages, before and after a CR3 reload\n");
  printf("  %3s%12s%12s%12s\n", "N", "before", "after", "extra");
  static const unsigned sizes[] = {1, 4, 16, 64, 256};
  for (unsigned k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    unsigned n = sizes[k];
    touch(n);
    uint64_t before = touch(n) - overhead;
    plat_write_cr3(kernel_pd);  // a CR3 reload (plat_flush_tlb would drop every address space's entries)
    uint64_t after = touch(n) - overhead;
    printf("  %3u", n);
    print_per_access(before, n);
    print_per_access(after, n);
    print_per_access((int64_t)(after - before), n);
    printf("\n");
  }
  return 0;
}
