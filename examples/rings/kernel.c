// rings: a ring-0 kernel and a ring-3 task, the privilege structure the paravirtual guest will later squeeze
// into rings 1 and 3. The kernel opens `int 0x80` to ring 3, handles page faults, and runs two user tasks: one
// that makes system calls (timing them) and takes a page fault the kernel resolves by mapping a fresh page,
// and one that reads kernel memory and is ended for it. It prints what each trap showed it.
#include "kit/console.h"
#include "kit/div64.h"
#include "kit/kit.h"
#include "kit/paging.h"
#include "kit/user.h"
#include "kit/x86.h"
#include "rings.h"

void user_main(void);
void user_snoop(void);

static int32_t sys_exit(struct trap_frame *f) { user_exit((int32_t)f->ebx); }

static int32_t sys_write(struct trap_frame *f) {
  if (!user_range_ok(f->ebx, f->ecx, false)) return -14;  // -EFAULT: not the task's memory
  plat_console_write((const char *)f->ebx, f->ecx);
  return (int32_t)f->ecx;
}

static int32_t sys_null(struct trap_frame *f) {
  (void)f;
  return 0;
}

static int32_t sys_report_cycles(struct trap_frame *f) {
  uint32_t calls = f->ebx;
  uint64_t cycles = (uint64_t)f->edx << 32 | f->ecx;
  uint64_t per_call = cycles * 100;  // in hundredths of a cycle
  div64_u32(&per_call, calls);
  uint32_t hundredths = div64_u32(&per_call, 100);
  printf("kernel: %u null system calls from ring %u took %llu cycles: %llu.%02u cycles per call\n", calls,
         frame_ring(f), cycles, per_call, hundredths);
  return 0;
}

static const syscall_fn syscalls[SYS_COUNT] = {
    [SYS_EXIT] = sys_exit, [SYS_WRITE] = sys_write, [SYS_NULL] = sys_null, [SYS_REPORT_CYCLES] = sys_report_cycles};

static void on_page_fault(struct trap_frame *f) {
  uint32_t va = plat_fault_address();
  printf("kernel: page fault: CR2=%08x error=%x (%s, %s, %s) from ring %u at EIP %08x\n", va, f->error,
         f->error & PF_PRESENT ? "protection" : "not present", f->error & PF_WRITE ? "write" : "read",
         f->error & PF_USER ? "user" : "supervisor", frame_ring(f), f->eip);
  if (frame_ring(f) != 3) panic("page fault in the kernel");
  if ((va & PAGE_MASK) == DEMAND_PAGE && !(f->error & PF_PRESENT)) {
    page_map(DEMAND_PAGE, frame_alloc(), PTE_W | PTE_U);
    printf("kernel: mapped a fresh page at %08x; restarting the store\n", DEMAND_PAGE);
    return;
  }
  printf("kernel: not the task's memory; ending the task\n");
  user_exit(-14);
}

int kmain(void) {
  printf("rings: kernel in ring %u, starting a user task in ring 3\n", current_ring());
  syscalls_install(syscalls, SYS_COUNT);
  plat_set_trap(VEC_PF, on_page_fault, false);

  uint32_t stack = user_stack_map(USER_STACK_TOP, 2);
  int32_t status = user_run(user_main, stack);
  printf("kernel: the task exited with status %d\n", status);

  status = user_run(user_snoop, stack);
  printf("kernel: the second task ended with status %d\n", status);
  return 0;
}
