# pv_block: a PV kernel that waits for an event that can never come. It stops Xen's default periodic timer
# (VCPUOP_stop_periodic_timer), sets no other and blocks (SCHEDOP_block): nothing can wake it, so the run ends
# with the domain blocked, as a native HLT with interrupts off ends it.
        .include "xen_notes.inc"

        .text
        .globl _start
_start:
        mov     $7, %ebx                # vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL)
        xor     %ecx, %ecx
        xor     %edx, %edx
        call    hypercall_page + 24 * 32
        mov     $1, %ebx                # sched_op(SCHEDOP_block)
        call    hypercall_page + 29 * 32
        ud2

        .section .text.hypercall, "ax"
        .balign 4096
hypercall_page:
        .fill 4096, 1, 0xcc
