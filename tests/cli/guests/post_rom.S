# post_rom: a 64 KiB ROM for --bios. The reset vector (offset 0xFFF0, physical 0xFFFFFFF0) jumps to
# F000:0000 in the low alias; the code writes two POST codes to port 0xE9, a line to COM1, and halts with
# interrupts off.
        .code16
        .section .text
        .globl _start
_start:
        mov     $0x11, %al
        out     %al, $0xE9
        mov     $0x3F8, %dx
        mov     $msg, %si
1:      cs lodsb
        test    %al, %al
        jz      2f
        out     %al, %dx
        jmp     1b
2:      mov     $0x22, %al
        out     %al, $0xE9
        cli
        hlt
msg:    .asciz  "ROM ok\n"

        .org    0xFFF0
reset:  ljmp    $0xF000, $_start
        .org    0x10000
