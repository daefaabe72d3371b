/* trap_entry.S: one small stub per vector, all joining one common path that saves the registers as a
 * struct trap_frame (include/kit/trap.h) and calls the platform's trap entry (kit_trap_entry: trap_dispatch
 * natively). The CPU pushes an error code for some exceptions only (SDM vol. 3, 6.13 and table 6-1: #DF, #TS,
 * #NP, #SS, #GP, #PF, #AC); the other stubs push a zero in its place so that every frame has the same layout.
 * trap_entry_stubs[] lists the stubs' addresses for the native IDT and for the paravirtual trap table: Xen's
 * bounce frame is the hardware's (EIP, CS, EFLAGS, [ESP, SS], error code for the same vectors; Xen's
 * create_bounce_frame), with the saved event mask in CS bits 16-23, which the PV entry strips. */

        .section .rodata
        .balign 4
        .globl trap_entry_stubs
trap_entry_stubs:

        .text
        .set vector, 0
        .rept 256
        .balign 8
1:
        .if !(vector == 8 || (vector >= 10 && vector <= 14) || vector == 17)
        pushl   $0                        /* no error code from the CPU: push one */
        .endif
        pushl   $vector
        jmp     trap_common
        .pushsection .rodata
        .long   1b
        .popsection
        .set vector, vector + 1
        .endr

trap_common:
        pushal
        push    %ds
        push    %es
        push    %fs
        push    %gs
        mov     %ss, %eax                 /* a trap from ring 3 arrives with ring 3's data segments; SS is
                                          * already the kernel's (the CPU loaded it from the TSS) */
        mov     %eax, %ds
        mov     %eax, %es
        cld                               /* the C ABI expects DF = 0 */
        push    %esp                      /* the frame's address: trap_dispatch(struct trap_frame *) */
        call    *kit_trap_entry
        add     $4, %esp
        pop     %gs
        pop     %fs
        pop     %es
        pop     %ds
        popal
        add     $8, %esp                  /* the vector and the error code */
        iret

        .section .note.GNU-stack, "", @progbits   /* no executable stack (silences ld) */
