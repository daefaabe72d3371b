// sensitive: the Xen paper's first argument, run. An unmodified kernel uses instructions that are sensitive but
// unprivileged (POPF, SGDT, SIDT, SMSW, PUSH CS): natively, in ring 0, each does what the kernel means; under
// the hypervisor (`--pv`), in ring 1, each still runs without a trap, but POPF silently keeps IF, SGDT and SIDT
// give the hypervisor's tables, SMSW its CR0, and PUSH CS shows ring 1. The kernel prints what it saw; ring1's
// report (`--trace sensitive`, the "sensitive" section) names every one of them.
#include "kit/console.h"
#include "kit/kit.h"
#include "kit/x86.h"

#define EFLAGS_IF (1u << 9)

struct __attribute__((packed)) table_register {
  uint16_t limit;
  uint32_t base;
};

static void write_eflags(uint32_t v) { __asm__ volatile("pushl %0; popfl" ::"r"(v) : "memory", "cc"); }

int kmain(void) {
  const unsigned ring = current_ring();
  printf("sensitive: the kernel runs in ring %u\n", ring);

  // "Disable interrupts" the way a kernel that believes it owns ring 0 may: POPF with IF flipped.
  const uint32_t before = read_eflags();
  write_eflags(before ^ EFLAGS_IF);
  const uint32_t after = read_eflags();
  write_eflags(before);
  const int if_changed = ((before ^ after) & EFLAGS_IF) != 0;
  printf("popf: IF was %u, asked for %u, got %u: %s\n", (before & EFLAGS_IF) ? 1u : 0u,
         (before & EFLAGS_IF) ? 0u : 1u, (after & EFLAGS_IF) ? 1u : 0u,
         if_changed ? "as asked" : "silently ignored, and no trap");

  // Find the GDT and IDT the way a kernel that loaded them may: SGDT and SIDT.
  struct table_register gdtr, idtr;
  __asm__ volatile("sgdt %0" : "=m"(gdtr));
  __asm__ volatile("sidt %0" : "=m"(idtr));
  const int high = gdtr.base >= 0xfc000000u;
  printf("sgdt: GDT at 0x%08x, limit 0x%04x%s\n", gdtr.base, gdtr.limit,
         high ? ": the hypervisor's table, not this kernel's" : "");
  printf("sidt: IDT at 0x%08x, limit 0x%04x%s\n", idtr.base, idtr.limit,
         idtr.base >= 0xfc000000u ? ": the hypervisor's table, not this kernel's" : "");

  // SMSW: CR0's low word, readable at any ring (MOV from CR0 is not, outside ring 0).
  uint16_t msw;
  __asm__ volatile("smsw %0" : "=r"(msw));
  printf("smsw: PE=%u MP=%u EM=%u TS=%u\n", msw & 1u, (msw >> 1) & 1u, (msw >> 2) & 1u, (msw >> 3) & 1u);

  // PUSH CS: the selector's RPL is the ring the kernel really runs in.
  uint32_t cs;
  __asm__ volatile("push %%cs; pop %0" : "=r"(cs));
  printf("push cs: RPL %u%s\n", cs & 3u, (cs & 3u) ? ": the kernel can tell it is not in ring 0" : "");

  printf("sensitive: %s\n", ring == 0 ? "every instruction did what the kernel meant"
                                      : "nothing trapped, so no hypervisor could have fixed these up");
  return 0;
}
