# hello_multiboot: the smallest multiboot kernel that talks to the PC platform. It checks the multiboot
# magic, programs COM1 (8N1, divisor 1), prints a greeting and its command line over the UART, a line over
# port 0xE9, and leaves through isa-debug-exit with value 0x21 (exit status 0x43 = 67).
        .intel_syntax noprefix
        .code32
        .set MB_MAGIC, 0x1BADB002
        .set MB_FLAGS, 0x00000003            # page-align modules, memory information
        .set COM1, 0x3F8

        .section .text
        .align 4
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)

        .globl _start
_start:
        mov     esp, 0x90000
        cmp     eax, 0x2BADB002
        jne     bad
        mov     edx, COM1 + 3
        mov     al, 0x80                     # DLAB
        out     dx, al
        mov     edx, COM1
        mov     al, 1                        # divisor 1: 115200 baud
        out     dx, al
        inc     edx
        xor     al, al
        out     dx, al
        mov     edx, COM1 + 3
        mov     al, 0x03                     # 8N1, DLAB off
        out     dx, al
        lea     esi, hello
        call    puts
        mov     esi, [ebx + 16]              # multiboot_info.cmdline
        call    puts
        mov     al, '\n'
        call    putc
        lea     esi, e9msg
e9:     lodsb
        test    al, al
        jz      done
        out     0xE9, al
        jmp     e9
done:
        mov     al, 0x21
        out     0xF4, al
        hlt
bad:
        mov     al, 0x7F
        out     0xF4, al
        hlt

# puts: the NUL-terminated string at ESI to COM1.
puts:   lodsb
        test    al, al
        jz      1f
        call    putc
        jmp     puts
1:      ret

# putc: AL to COM1, once the transmitter holding register is empty (LSR bit 5).
putc:   mov     ah, al
        mov     edx, COM1 + 5
2:      in      al, dx
        test    al, 0x20
        jz      2b
        mov     edx, COM1
        mov     al, ah
        out     dx, al
        ret

        .section .rodata
hello:  .asciz  "hello from COM1: "
e9msg:  .asciz  "and from port 0xE9\n"
