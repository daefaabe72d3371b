// user.c: system calls and user stacks (see include/kit/user.h). The system-call trap handler reads the number
// and arguments from the saved registers and writes the result back into the saved EAX, which the return
// to ring 3 restores.
#include "kit/user.h"

#include "kit/paging.h"
#include "kit/platform.h"

static const syscall_fn *syscall_table;
static unsigned syscall_count;

static void syscall_trap(struct trap_frame *f) {
  syscall_fn fn = f->eax < syscall_count ? syscall_table[f->eax] : 0;
  f->eax = fn ? (uint32_t)fn(f) : (uint32_t)SYSCALL_ENOSYS;
}

void syscalls_install(const syscall_fn *table, unsigned count) {
  syscall_table = table;
  syscall_count = count;
  plat_set_trap(VEC_SYSCALL, syscall_trap, true);
}

bool user_range_ok(uint32_t va, uint32_t len, bool write) {
  if (va + len < va) return false;  // wraps around the address space
  uint32_t need = PTE_P | PTE_U | (write ? PTE_W : 0);
  for (uint32_t page = va & PAGE_MASK; len && page < va + len; page += PAGE_SIZE)
    if ((page_entry(page) & need) != need) return false;
  return true;
}

uint32_t user_stack_map(uint32_t stack_top, unsigned pages) {
  for (unsigned i = 1; i <= pages; i++) page_map(stack_top - i * PAGE_SIZE, frame_alloc(), PTE_W | PTE_U);
  return stack_top;
}
