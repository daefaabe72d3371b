# Spins forever in ring 0 counting in EAX: the guest for Ctrl-C and for attaching to a running machine.
        .code32
        .globl _start
_start:
        xor     %eax, %eax
        .globl spin
spin:
        inc     %eax
        jmp     spin
