/* user_entry.S: entering ring 3 and coming back. user_run saves the kernel's callee-saved registers, makes
 * its own stack pointer the one ring 3 traps onto (plat_set_kernel_stack, by kit_user_enter), and IRETs to
 * the user task: an IRET whose return CS has RPL 3 pops EIP, CS, EFLAGS, then ESP and SS, and drops to CPL 3
 * (SDM vol. 3, 6.12.1 and IRET in vol. 2; from ring 1, as a paravirtual kernel runs, the same). user_exit,
 * called from a handler running on that trap stack, throws the trap frame away by restoring the saved stack
 * pointer, and returns from user_run. */
        .text
        .globl user_run
/* int32_t user_run(void (*entry)(void), uint32_t stack) */
user_run:
        pushfl                            /* the kernel's IF, restored when the task ends */
        push    %ebp
        push    %ebx
        push    %esi
        push    %edi
        mov     %esp, user_saved_esp
        push    %esp
        call    kit_user_enter            /* traps from ring 3 land just below the saved registers */
        add     $4, %esp

        mov     24(%esp), %eax            /* entry (5 saves and the return address above it) */
        mov     28(%esp), %ecx            /* user stack */
        movzwl  plat_user_ds, %edx
        mov     %edx, %ds
        mov     %edx, %es
        mov     %edx, %fs
        mov     %edx, %gs
        push    %edx                      /* SS */
        push    %ecx                      /* ESP */
        pushl   $0x202                    /* EFLAGS: IF = 1, IOPL = 0 (no port access in ring 3) */
        movzwl  plat_user_cs, %edx
        push    %edx                      /* CS, RPL 3 */
        push    %eax                      /* EIP */
        xor     %eax, %eax                /* no kernel values leak into ring 3 */
        xor     %ebx, %ebx
        xor     %ecx, %ecx
        xor     %edx, %edx
        xor     %esi, %esi
        xor     %edi, %edi
        xor     %ebp, %ebp
        iret

        .globl user_exit
/* void user_exit(int32_t status) */
user_exit:
        call    kit_user_leave            /* the platform's hook (paravirtual: the kernel's event mask back) */
        mov     4(%esp), %eax
        mov     user_saved_esp, %esp
        movzwl  plat_kernel_ds, %edx      /* the trap entry loaded DS and ES; FS and GS may still be ring 3's */
        mov     %edx, %fs
        mov     %edx, %gs
        pop     %edi
        pop     %esi
        pop     %ebx
        pop     %ebp
        popfl
        ret

        .bss
        .balign 4
user_saved_esp:
        .long 0

        .section .note.GNU-stack, "", @progbits   /* no executable stack (silences ld) */
