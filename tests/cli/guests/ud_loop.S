# ud_loop: a guest whose #UD handler is itself UD2. After the setup no instruction ever retires: each UD2
# faults, and the delivery of #UD lands on the next UD2. Only a limit that counts deliveries as steps (or
# the debugger) can end it; a limit on retired instructions alone never would.
        .intel_syntax noprefix
        .code32
        .globl _start
_start:
        lgdt    [gdtr]
        mov     eax, offset handler             # IDT[6]: a 32-bit interrupt gate to `handler`, DPL 0
        mov     word ptr [idt + 6*8], ax
        mov     word ptr [idt + 6*8 + 2], 0x08
        mov     word ptr [idt + 6*8 + 4], 0x8E00
        shr     eax, 16
        mov     word ptr [idt + 6*8 + 6], ax
        lidt    [idtr]
        .globl handler
handler:
        ud2                                     # the first #UD, and every one after it

        .align 8
gdt:    .quad 0
        .quad 0x00CF9A000000FFFF                # 0x08: flat ring-0 code
        .quad 0x00CF92000000FFFF                # 0x10: flat data
gdtr:   .word 3*8 - 1
        .long gdt
idt:    .fill 7, 8, 0
idtr:   .word 7*8 - 1
        .long idt
