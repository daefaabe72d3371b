// kit_test: the guest kit tested from inside a guest, on ring1. Each CHECK compares what a kit function
// produced with what the C standard (or the SDM, for the paging bits) says it must; the guest prints every
// failure and exits with the number of failures, so the CTest case expects status (0 << 1) | 1 = 1.
#include "kit/console.h"
#include "kit/div64.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/platform.h"
#include "kit/string.h"
#include "kit/user.h"
#include "kit/x86.h"

static int failures;

#define CHECK(cond)                                               \
  do {                                                            \
    if (!(cond)) {                                                \
      printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);      \
      failures++;                                                 \
    }                                                             \
  } while (0)

// snprintf(fmt, ...) must produce exactly want (and return its length).
#define CHECK_FORMAT(want, ...)                                                      \
  do {                                                                               \
    char buf[64];                                                                    \
    int n = snprintf(buf, sizeof buf, __VA_ARGS__);                                  \
    if (strcmp(buf, want) != 0 || n != (int)strlen(want)) {                          \
      printf("FAIL %s:%d: got \"%s\" (%d), want \"%s\"\n", __FILE__, __LINE__, buf, n, want); \
      failures++;                                                                    \
    }                                                                                \
  } while (0)

static void test_format(void) {
  CHECK_FORMAT("42 -42 0", "%d %i %d", 42, -42, 0);
  CHECK_FORMAT("-2147483648", "%d", (int)0x80000000);
  CHECK_FORMAT("4294967295", "%u", 0xffffffffu);
  CHECK_FORMAT("ff FF 0", "%x %X %x", 255, 255, 0);
  CHECK_FORMAT("18446744073709551615", "%llu", ~0ull);
  CHECK_FORMAT("-9223372036854775808", "%lld", (long long)0x8000000000000000ull);
  CHECK_FORMAT("123456789abcdef0", "%llx", 0x123456789abcdef0ull);
  CHECK_FORMAT("-5 5", "%ld %lu", -5l, 5ul);
  CHECK_FORMAT("0x1000", "%p", (void *)0x1000);
  CHECK_FORMAT("[   42][42   ][00042]", "[%5d][%-5d][%05d]", 42, 42, 42);
  CHECK_FORMAT("[-0042][  -42]", "[%05d][%5d]", -42, -42);
  CHECK_FORMAT("[0000beef]", "[%08x]", 0xbeef);
  CHECK_FORMAT("[  hi][hi  ][x]", "[%4s][%-4s][%c]", "hi", "hi", 'x');
  CHECK_FORMAT("100%", "%d%%", 100);
  // Through variables, so that GCC's format checking lets the two mistakes below be made.
  const char *volatile null_string = 0, *volatile unknown_conversion = "%q";
  CHECK_FORMAT("(null)", "%s", null_string);
  CHECK_FORMAT("%q", unknown_conversion);

  char small[4];
  CHECK(snprintf(small, sizeof small, "%d", 123456) == 6);  // the untruncated length
  CHECK(strcmp(small, "123") == 0);                         // truncated, and terminated
}

static void test_div64(void) {
  uint64_t n = 0x123456789abcdef0ull;
  uint32_t r = div64_u32(&n, 1000000007u);
  CHECK(n == 1311768458ull && r == 281411114u);  // 1311768458 * 1000000007 + 281411114 = 0x123456789abcdef0
}

static void test_string(void) {
  char buf[16] = "abcdef";
  memmove(buf + 2, buf, 4);  // overlapping, forwards
  CHECK(memcmp(buf, "ababcd", 6) == 0);
  memmove(buf, buf + 2, 4);  // overlapping, backwards
  CHECK(memcmp(buf, "abcdcd", 6) == 0);
  CHECK(strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0 && strcmp("x", "x") == 0);
  CHECK(strncmp("abcx", "abcy", 3) == 0 && strncmp("ab", "abc", 3) < 0);
  CHECK(strlen(strcpy(buf, "ring1")) == 5);
  memset(buf, 'z', 3);
  CHECK(memcmp(buf, "zzzg1", 5) == 0);
}

static void test_paging(void) {
  // Start of day: paging and write protection on, page 0 unmapped, kernel text read-only, RAM identity-mapped.
  // (Control registers are readable in ring 0 only; on Xen the kit's own tables are read-only to it.)
  if (!plat_is_pv()) {
    CHECK((read_cr0() & 0x80010000u) == 0x80010000u);
    CHECK(read_cr3() == kernel_pd);
  } else {
    CHECK(current_ring() == 1);
    CHECK((page_entry(kernel_pd) & (PTE_P | PTE_W)) == PTE_P);
  }
  CHECK(!(page_entry(0) & PTE_P));
  CHECK((page_entry((uint32_t)kmain) & (PTE_P | PTE_W)) == PTE_P);
  CHECK((page_entry((uint32_t)&failures) & (PTE_P | PTE_W | PTE_U)) == (PTE_P | PTE_W));
  CHECK((page_entry(kit_boot.ram_end - PAGE_SIZE) & PAGE_MASK) == kit_boot.ram_end - PAGE_SIZE);

  // A new mapping is visible at once (page_map drops the stale translation), and goes away with page_unmap.
  uint32_t a = frame_alloc(), b = frame_alloc();
  CHECK(a != b && !(a & ~PAGE_MASK));
  *(uint32_t *)a = 0xaaaa;
  *(uint32_t *)b = 0xbbbb;
  const uint32_t va = 0x50000000u;
  page_map(va, a, PTE_W);
  CHECK(*(volatile uint32_t *)va == 0xaaaa);
  page_map(va, b, PTE_W);
  CHECK(*(volatile uint32_t *)va == 0xbbbb);
  CHECK((page_entry(va) & (PAGE_MASK | PTE_P | PTE_W | PTE_U)) == (b | PTE_P | PTE_W));
  page_unmap(va);
  CHECK(!(page_entry(va) & PTE_P));
  CHECK(!user_range_ok(va, 4, false));

  // A freed frame is handed out again, zeroed.
  frame_free(b);
  CHECK(frame_alloc() == b && *(uint32_t *)b == 0);

  uint32_t top = user_stack_map(0x60000000u, 2);
  CHECK(user_range_ok(top - 2 * PAGE_SIZE, 2 * PAGE_SIZE, true));
  CHECK(!user_range_ok(top - 2 * PAGE_SIZE, 2 * PAGE_SIZE + 1, false));
  CHECK(!user_range_ok((uint32_t)&failures, 4, false));  // kernel data: not the user's
  CHECK(!user_range_ok(0xfffffff0u, 0x20, false));         // wraps around
}

// The platform timer: IRQ 0 from the PIT through the remapped PIC natively, VIRQ_TIMER from Xen's periodic
// timer under the hypervisor, counted by the kit's handler. The wait is race-free: test with interrupts off,
// then plat_idle (STI; HLT, whose interrupt shadow keeps the tick from landing between the two; or
// SCHEDOP_block, which unmasks and checks for events at once).
static void test_timer(void) {
  plat_timer_start(1000);
  uint64_t start = plat_cycles();
  for (;;) {
    plat_irq_disable();
    if (plat_timer_ticks() >= 3) break;
    plat_idle();
  }
  CHECK(plat_timer_ticks() == 3);
  printf("kit_test: 3 timer ticks at 1000 Hz took %llu cycles\n", plat_cycles() - start);
}

int kmain(void) {
  test_format();
  test_div64();
  test_string();
  test_paging();
  test_timer();
  printf("kit_test: %d failure%s\n", failures, failures == 1 ? "" : "s");
  return failures;
}
