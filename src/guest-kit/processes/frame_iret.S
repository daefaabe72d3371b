/* frame_iret.S: the two entries of kit/processes.h that need assembly. kit_frame_iret loads the stack pointer
 * with a struct trap_frame and leaves through it as trap_entry.S's common path does (segment registers,
 * POPA, vector and error code dropped, IRET). kit_upcall_framed is the paravirtual event callback for
 * process kernels: it completes Xen's bounce frame (EIP, CS with the saved event mask in bits 16-23, EFLAGS,
 * and ESP, SS from ring 3) into a struct trap_frame, with vector KIT_VEC_UPCALL and error 0, so that the
 * return-to-user hook sees the interrupted registers as it does for any trap, and leaves through the iret
 * hypercall, which restores the event mask (an IRET in ring 1 could not; XEN-REFERENCE.md 2.8). */
        .text
        .globl kit_frame_iret
/* void kit_frame_iret(struct trap_frame *frame), noreturn */
kit_frame_iret:
        mov     4(%esp), %esp
        pop     %gs
        pop     %fs
        pop     %es
        pop     %ds
        popal
        add     $8, %esp                  /* the vector and the error code */
        iret

        .globl kit_upcall_framed
kit_upcall_framed:
        pushl   $0                        /* error code */
        pushl   $0x100                    /* KIT_VEC_UPCALL: past the 256 vectors */
        pushal
        push    %ds
        push    %es
        push    %fs
        push    %gs
        mov     %ss, %eax                 /* ring 1's data segment, as trap_entry.S */
        mov     %eax, %ds
        mov     %eax, %es
        cld
        push    %esp
        call    kit_upcall_frame
        add     $4, %esp
        pop     %gs
        pop     %fs
        pop     %es
        pop     %ds
        popal
        add     $8, %esp
        jmp     hypercall_page + 23 * 32  /* __HYPERVISOR_iret: pops EAX (its stub pushes it), EIP, CS, EFLAGS... */

        .section .note.GNU-stack, "", @progbits
