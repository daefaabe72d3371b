// crt.c: how a program starts and how a signal handler returns, on the user side. exec leaves the stack as if
// ucrt_start(main, argc, argv) had been called; the kernel's signal frame returns from a handler into
// usig_trampoline with the stack at [sig, ctx], and the trampoline hands ctx to sigreturn.
#include "ulib.h"

void ucrt_start(int (*main)(int, char **), int argc, char **argv) { u_exit(main(argc, argv)); }

__asm__(
    "  .text\n"
    "  .globl usig_trampoline\n"
    "usig_trampoline:\n"
    "  mov 4(%esp), %ebx\n"        // ctx
    "  mov $15, %eax\n"            // SYS_SIGRETURN
    "  int $0x80\n"
    "  ud2\n");                    // sigreturn does not return here
_Static_assert(SYS_SIGRETURN == 15, "usig_trampoline's system-call number");
