# hlt_unwakeable: STI; HLT with the PIT's channel 0 ticking, but with no way for its IRQ 0 to reach the CPU
# (assembled with --defsym CASE=0: the PIC is never initialised; 1: IRQ 0 masked in the IMR; 2: the first
# tick's handler returns without an EOI, so IRQ 0 stays in service and holds off every later tick). Nothing
# can wake the CPU, and the run must end there, saying why, instead of waiting through ticks forever.
        .intel_syntax noprefix
        .code32
        .globl _start
_start:
        lgdt    [gdtr]
        mov     eax, offset tick                # IDT[0x20]: a 32-bit interrupt gate to `tick`
        mov     word ptr [idt + 0x20*8], ax
        mov     word ptr [idt + 0x20*8 + 2], 0x08
        mov     word ptr [idt + 0x20*8 + 4], 0x8E00
        shr     eax, 16
        mov     word ptr [idt + 0x20*8 + 6], ax
        lidt    [idtr]
        .if CASE != 0
        mov     al, 0x11                        # ICW1: edge-triggered, cascade, ICW4 follows
        out     0x20, al
        mov     al, 0x20                        # ICW2: IRQ 0-7 at vectors 0x20-0x27
        out     0x21, al
        mov     al, 0x04                        # ICW3: the slave on IR2
        out     0x21, al
        mov     al, 0x01                        # ICW4: 8086 mode, normal EOI
        out     0x21, al
        .if CASE == 1
        mov     al, 0x01                        # OCW1: IRQ 0 masked
        .else
        mov     al, 0x00
        .endif
        out     0x21, al
        .endif
        mov     al, 0x34                        # PIT channel 0, LSB then MSB, mode 2 (rate generator)
        out     0x43, al
        mov     al, 0x00                        # count 0x10000: about 55 ms a tick
        out     0x40, al
        out     0x40, al
        sti
        hlt                                     # CASE 2: woken by the first tick
        .globl second_hlt
second_hlt:
        hlt
        jmp     second_hlt

tick:   inc     dword ptr [ticks]               # no EOI
        iretd

        .align 8
ticks:  .long 0
gdt:    .quad 0
        .quad 0x00CF9A000000FFFF                # 0x08: flat ring-0 code
        .quad 0x00CF92000000FFFF                # 0x10: flat data
gdtr:   .word 3*8 - 1
        .long gdt
idt:    .fill 0x21, 8, 0
idtr:   .word 0x21*8 - 1
        .long idt
