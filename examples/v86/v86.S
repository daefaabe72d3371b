# v86: a virtual-8086 monitor in miniature. A multiboot ELF kernel (`ring1 run v86.elf`, or `qemu-system-i386
# -kernel v86.elf -debugcon stdio -device isa-debug-exit,iobase=0xf4,iosize=4`, which prints the same lines and
# exits with the same status): ring 0 sets
# up its GDT, IDT and a TSS whose I/O bitmap opens only port 0xE9, enters a 16-bit program in virtual-8086 mode
# by IRETD, and services it as a 386 monitor would: the program prints through port 0xE9 (allowed by the
# bitmap although IOPL is 0), then asks to exit with the DOS call INT 21h/AH=4Ch, which at IOPL 0 is #GP(0) to
# the monitor. The monitor decodes the INT at CS:IP from the V86 frame and ends the program by a hardware task
# switch (JMP to a second TSS), whose task reports and exits through isa-debug-exit.
        .intel_syntax noprefix
        .code32
        .set IDT, 0x180000
        .set TSS0, 0x181000           # the monitor's task: ring-0 stack and the I/O bitmap
        .set TSS1, 0x182000           # the exit task
        .set V86_SEG, 0x2000          # the V86 program runs at 2000:0000 (linear 0x20000)

        # Multiboot v1 header (flags 0: the loader takes the ELF's own layout), within the first 8 KiB.
        .p2align 2
        .long   0x1BADB002, 0, -0x1BADB002

        .globl _start
_start:
        lgdt    [gdt_desc]
        lidt    [idt_desc]
        jmp     0x08:reload
reload:
        mov     ax, 0x10
        mov     ds, ax
        mov     es, ax
        mov     ss, ax
        mov     fs, ax
        mov     gs, ax
        mov     esp, 0x90000

        # The monitor's TSS: SS0:ESP0 for interrupts from V86, and an I/O bitmap for ports 0-255 that
        # denies every port but 0xE9 (byte 29, bit 1), with the terminating 0xFF byte.
        mov     dword ptr [TSS0 + 4], 0x90000
        mov     dword ptr [TSS0 + 8], 0x10
        mov     word ptr [TSS0 + 0x66], 0x68
        mov     edi, TSS0 + 0x68
        mov     al, 0xFF
        mov     ecx, 33
        rep stosb
        mov     byte ptr [TSS0 + 0x68 + 29], 0xFD
        # The exit task's TSS: ring 0, flat, starting at exit_task with its own stack.
        mov     dword ptr [TSS1 + 0x20], offset exit_task
        mov     dword ptr [TSS1 + 0x24], 0x2
        mov     dword ptr [TSS1 + 0x38], 0x80000
        mov     dword ptr [TSS1 + 0x48], 0x10
        mov     dword ptr [TSS1 + 0x4C], 0x08
        mov     dword ptr [TSS1 + 0x50], 0x10
        mov     dword ptr [TSS1 + 0x54], 0x10
        mov     dword ptr [TSS1 + 0x58], 0x10
        mov     dword ptr [TSS1 + 0x5C], 0x10
        mov     ax, 0x18
        ltr     ax

        # #GP (vector 13): a 32-bit interrupt gate to the monitor's handler.
        mov     eax, offset gp_handler
        mov     edi, IDT + 13 * 8
        mov     word ptr [edi], ax
        mov     word ptr [edi + 2], 0x08
        mov     word ptr [edi + 4], 0x8E00
        shr     eax, 16
        mov     word ptr [edi + 6], ax

        # The V86 program, copied to 2000:0000.
        mov     esi, offset v86_start
        mov     edi, V86_SEG * 16
        mov     ecx, v86_end - v86_start
        rep movsb

        mov     esi, offset hello
        call    puts

        # Into virtual-8086 mode: IRETD with VM = 1 pops EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS.
        push    0                     # GS
        push    0                     # FS
        push    V86_SEG               # DS
        push    V86_SEG               # ES
        push    V86_SEG               # SS
        push    0xFFFE                # SP
        push    0x00020002            # EFLAGS: VM, IOPL 0, IF 0
        push    V86_SEG               # CS
        push    0                     # IP
        iretd

# #GP from V86 mode. The frame: error code, EIP, CS, EFLAGS, ESP, SS, ES, DS, FS, GS; DS is null here.
gp_handler:
        cmp     ah, 0x4C                      # the program's AX is still in EAX: AH = 4Ch, "exit"
        jne     unexpected
        mov     ax, 0x10
        mov     ds, ax
        movzx   eax, word ptr [esp + 8]       # CS
        shl     eax, 4
        add     eax, [esp + 4]                # + IP: the faulting instruction's linear address
        cmp     word ptr [eax], 0x21CD        # INT 21h?
        jne     unexpected
        mov     esi, offset monitor_msg
        call    puts
        jmp     0x20:0                        # a task switch: JMP to the exit task's TSS

unexpected:
        mov     esi, offset unexpected_msg
        call    puts
        mov     al, 3
        out     0xF4, al
        hlt

exit_task:
        str     ax
        cmp     ax, 0x20
        jne     unexpected
        mov     esi, offset exit_msg
        call    puts
        mov     al, 0
        out     0xF4, al                      # isa-debug-exit: status (0 << 1) | 1
        hlt

# Prints the NUL-terminated string at ESI on the 0xE9 debug console.
puts:
        lodsb
        test    al, al
        jz      1f
        out     0xE9, al
        jmp     puts
1:      ret

        .p2align 3
gdt:
        .quad   0
        .quad   0x00CF9A000000FFFF            # 0x08: ring-0 code, flat
        .quad   0x00CF92000000FFFF            # 0x10: ring-0 data, flat
        .quad   0x0000891810000088            # 0x18: TSS0, 32-bit available, limit 0x88 (bitmap included)
        .quad   0x0000891820000067            # 0x20: TSS1, 32-bit available
gdt_end:
gdt_desc:
        .word   gdt_end - gdt - 1
        .long   gdt
idt_desc:
        .word   0x7FF
        .long   IDT

hello:          .asciz "monitor: entering virtual-8086 mode at 2000:0000 with IOPL 0\n"
monitor_msg:    .asciz "monitor: #GP(0) on INT 21h/AH=4Ch from virtual-8086 mode; switching tasks\n"
exit_msg:       .asciz "exit task: running in its own TSS after a JMP task switch\n"
unexpected_msg: .asciz "monitor: unexpected fault\n"

# The 16-bit program (its offsets are relative to its segment: it is copied to 2000:0000).
        .code16
v86_start:
        mov     si, v86_msg - v86_start
1:      lodsb
        test    al, al
        jz      2f
        out     0xE9, al                      # IOPL 0, but the TSS bitmap opens port 0xE9
        jmp     1b
2:      mov     ax, 0x4C00
        int     0x21                          # IOPL-sensitive: #GP(0) to the monitor
        hlt
v86_msg:        .asciz "v86: hello from a 16-bit program in virtual-8086 mode\n"
v86_end:
