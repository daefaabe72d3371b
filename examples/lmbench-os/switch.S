/* switch.S: switching kernel stacks. ctx_switch saves the callee-saved registers (the C ABI's: EBP, EBX, ESI,
 * EDI) on the old process's kernel stack, stores its stack pointer, loads the next one's and pops the same
 * registers back: everything else the caller of schedule() needs is on its own stack already. A process
 * that has never run has a stack prepared by proc_start, whose first "return" lands in ctx_first_entry. */
        .text
        .globl ctx_switch
/* void ctx_switch(uint32_t *save_esp, uint32_t new_esp) */
ctx_switch:
        mov     4(%esp), %eax
        mov     8(%esp), %ecx
        push    %ebp
        push    %ebx
        push    %esi
        push    %edi
        mov     %esp, (%eax)
        mov     %ecx, %esp
        pop     %edi
        pop     %esi
        pop     %ebx
        pop     %ebp
        ret

        .globl ctx_first_entry
ctx_first_entry:
        call    proc_first_run            /* does not return: enters ring 3 */

        .section .note.GNU-stack, "", @progbits
