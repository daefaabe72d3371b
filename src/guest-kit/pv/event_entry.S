/* event_entry.S: the paravirtual kit's two callbacks (set_callbacks). Xen enters the event callback in ring 1
 * with upcalls masked and its bounce frame on the stack: EIP, CS (the saved mask in bits 16-23), EFLAGS, and
 * ESP, SS when it interrupted ring 3 (XEN-REFERENCE.md 2.8). The kit saves the registers, runs pv_do_upcall
 * (events.c) and leaves through the iret hypercall, whose stub pushes EAX: Xen pops EAX, EIP, CS, EFLAGS (and
 * ESP, SS) and restores the upcall mask from the saved IF, which an IRET in ring 1 could not do. */
        .text
        .globl hypervisor_callback
hypervisor_callback:
        pushal
        cld
        call    pv_do_upcall
        popal
        jmp     hypercall_page + 23 * 32       /* __HYPERVISOR_iret */

/* The failsafe callback: Xen could not return to the guest (a bad segment in the frame). Its frame is DS,
 * ES, FS, GS, EIP, CS, EFLAGS from the stack pointer up; the kit reports it and stops. */
        .globl failsafe_callback
failsafe_callback:
        mov     %esp, %eax
        push    %eax
        call    pv_failsafe

        .section .note.GNU-stack, "", @progbits
