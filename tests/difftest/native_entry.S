// Native entry for ring1-difftest: difftest_native_call(State* st /*rdi*/, void* code /*rsi*/).
// Loads EAX..EDI (not ESP) and the status flags + DF from *st, calls the generated code (which ends in RET
// and never touches RSP or R8-R15), stores the registers and EFLAGS back, and clears DF before returning
// to C++. State layout: u32 gpr[8] (EAX ECX EDX EBX ESP EBP ESI EDI), u32 eflags (offset 32).
// Test scaffolding only: no instruction semantics live here.
        .text
        .globl  difftest_native_call
        .type   difftest_native_call, @function
difftest_native_call:
        push    %rbx
        push    %rbp
        push    %r12
        push    %r13
        push    %r14
        push    %r15
        mov     %rdi, %r12
        mov     %rsi, %r13
        mov     32(%r12), %eax
        and     $0xCD5, %eax            // CF PF AF ZF SF DF OF only (never TF or AC)
        or      $0x2, %eax
        push    %rax
        popfq
        mov     0(%r12), %eax
        mov     4(%r12), %ecx
        mov     8(%r12), %edx
        mov     12(%r12), %ebx
        mov     20(%r12), %ebp
        mov     24(%r12), %esi
        mov     28(%r12), %edi
        call    *%r13
        pushfq
        mov     %eax, 0(%r12)
        mov     %ecx, 4(%r12)
        mov     %edx, 8(%r12)
        mov     %ebx, 12(%r12)
        mov     %ebp, 20(%r12)
        mov     %esi, 24(%r12)
        mov     %edi, 28(%r12)
        pop     %rax
        mov     %eax, 32(%r12)
        cld
        pop     %r15
        pop     %r14
        pop     %r13
        pop     %r12
        pop     %rbp
        pop     %rbx
        ret
        .size   difftest_native_call, .-difftest_native_call
        .section .note.GNU-stack,"",@progbits
