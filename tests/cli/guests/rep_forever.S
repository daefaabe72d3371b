# rep_forever: a REP string instruction of 0xFFFFFFFF elements (assembled with --defsym OP=0 for STOSB,
# 1 for LODSB, 2 for MOVSB). Uninterrupted it would run for minutes of host time inside one instruction; a
# limit must land between two elements, as an interrupt would, with the registers at that element.
        .intel_syntax noprefix
        .code32
        .globl _start
_start:
        mov     ecx, 0xFFFFFFFF
        mov     esi, 0x200000
        mov     edi, 0x300000
        cld
        .globl string_op
string_op:
        .if OP == 0
        rep stosb
        .elseif OP == 1
        rep lodsb
        .else
        rep movsb
        .endif
        hlt
