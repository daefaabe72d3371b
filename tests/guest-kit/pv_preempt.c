// pv_preempt: long hypercalls are preemptible (Xen's hypercall_create_continuation, MMU_UPDATE_PREEMPTED,
// multicall's own continuation). With the command line "huge" it makes one multicall of 10,000 mmu_update
// calls of 131,072 valid requests each (1.3 billion requests, about half a minute of host time in one guest
// instruction before continuations), so that an instruction or cycle limit must stop it between pieces.
// Without it, it checks that a preempted call still looks like one call: results and done counts of an
// mmu_update of 10,000 requests, of one failing at request 9,000, and of a multicall of three such batches.

#include "kit/console.h"
#include "kit/kit.h"
#include "kit/platform.h"
#include "kit/string.h"
#include "kit/xen.h"

#define HUGE_REQUESTS 131072u
#define HUGE_CALLS 10000u

static struct mmu_update reqs[HUGE_REQUESTS];
static multicall_entry_t calls[HUGE_CALLS];

static inline int HYPERVISOR_multicall(multicall_entry_t *list, unsigned n) {
  return (int)KIT_HYPERCALL2(__HYPERVISOR_multicall, list, n);
}

// Request i sets the M2P entry of one of the domain's own frames to what it is: valid, and changes nothing.
static void fill(unsigned n) {
  for (unsigned i = 0; i < n; i++) {
    uint32_t pfn = 0x100 + (i & 0xff);
    reqs[i].ptr = ((uint64_t)pfn_to_mfn(pfn) << 12) | MMU_MACHPHYS_UPDATE;
    reqs[i].val = pfn;
  }
}

static void mmu_update_call(multicall_entry_t *e, struct mmu_update *list, unsigned count, unsigned *done) {
  e->op = __HYPERVISOR_mmu_update;
  e->args[0] = (unsigned long)list;
  e->args[1] = count;
  e->args[2] = (unsigned long)done;
  e->args[3] = DOMID_SELF;
}

int kmain(void) {
  if (!plat_is_pv()) {
    printf("pv_preempt: run me with --pv\n");
    return 1;
  }
  if (strcmp(kit_boot.cmdline, "huge") == 0) {
    fill(HUGE_REQUESTS);
    for (unsigned i = 0; i < HUGE_CALLS; i++) mmu_update_call(&calls[i], reqs, HUGE_REQUESTS, 0);
    printf("one multicall of %u mmu_update calls of %u requests\n", HUGE_CALLS, HUGE_REQUESTS);
    int rc = HYPERVISOR_multicall(calls, HUGE_CALLS);
    printf("multicall returned %d\n", rc);
    return 0;
  }

  fill(10000);
  unsigned done = 12345;
  int rc = HYPERVISOR_mmu_update(reqs, 10000, &done, DOMID_SELF);
  printf("mmu_update of 10000 requests: rc %d, %u done\n", rc, done);

  struct mmu_update good = reqs[9000];
  reqs[9000].ptr = MMU_MACHPHYS_UPDATE;  // machine frame 0 is not the domain's: -EINVAL
  done = 12345;
  rc = HYPERVISOR_mmu_update(reqs, 10000, &done, DOMID_SELF);
  printf("mmu_update of 10000 requests, request 9000 bad: rc %d, %u done\n", rc, done);
  reqs[9000] = good;

  unsigned dones[3] = {7, 7, 7};
  for (unsigned i = 0; i < 3; i++) mmu_update_call(&calls[i], reqs, 5000 + i, &dones[i]);
  rc = HYPERVISOR_multicall(calls, 3);
  printf("multicall of 3 mmu_update calls of 5000-5002 requests: rc %d\n", rc);
  for (unsigned i = 0; i < 3; i++)
    printf("  call %u: result %d, %u done\n", i, (int)calls[i].result, dones[i]);
  return 0;
}
