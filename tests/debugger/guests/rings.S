# A small protected-mode guest for the debugger and tracer tests: it sets up a GDT, a TSS, an IDT and
# identity paging of the first 4 MiB (user-accessible), drops to ring 3 with IRET, writes a variable (the
# watchpoint test), makes a system call with INT 0x80 (its handler counts calls and IRETs back), then
# touches the unmapped address 0x00800000: the #PF handler stores CR2 and halts with IF = 0 (exit 0).
# Raw binary loaded at 0x100000 (`ring1 run rings.bin --load-addr 0x100000`); its tables live at fixed
# addresses below 1 MiB so no descriptor needs a base split at assembly time.
        .code32
        .equ TSS,        0x00090000
        .equ IDT,        0x00091000
        .equ PD,         0x00092000
        .equ PT0,        0x00093000
        .equ VARS,       0x00094000     # watched (+0), syscalls (+4), saved_cr2 (+8)
        .equ KSTACK_TOP, 0x00080000     # ESP0 in the TSS
        .equ USTACK_TOP, 0x00070000
        .equ UNMAPPED,   0x00800000

        .globl _start
_start:
        lgdt    gdt_desc
        ljmp    $0x08, $reload
reload:
        mov     $0x10, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %ax, %ss
        mov     %ax, %fs
        mov     %ax, %gs
        mov     $KSTACK_TOP, %esp

        # TSS: SS0:ESP0 for the ring 3 -> 0 stack switch; no I/O bitmap.
        movl    $KSTACK_TOP, TSS+4
        movl    $0x10, TSS+8
        movw    $104, TSS+102
        mov     $0x28, %ax
        ltr     %ax

        # IDT: #PF (14) and INT 0x80 (a DPL 3 interrupt gate, so ring 3 may use it).
        mov     $pf_handler, %eax
        mov     $14, %ecx
        mov     $0x8E00, %edx
        call    set_gate
        mov     $syscall_handler, %eax
        mov     $0x80, %ecx
        mov     $0xEE00, %edx
        call    set_gate
        lidt    idt_desc

        # Paging: PDE 0 -> PT0, which maps 0..4 MiB one to one, present, writable, user.
        mov     $PT0, %edi
        xor     %ecx, %ecx
1:      mov     %ecx, %eax
        shl     $12, %eax
        or      $7, %eax
        mov     %eax, (%edi,%ecx,4)
        inc     %ecx
        cmp     $1024, %ecx
        jne     1b
        movl    $(PT0 + 7), PD
        mov     $PD, %eax
        mov     %eax, %cr3
        mov     %cr0, %eax
        or      $0x80000000, %eax
        mov     %eax, %cr0
        invlpg  VARS                    # a flush the trace test can see
        mov     $0x41, %al
        out     %al, $0x80              # a port write the trace test can see (port 0x80: POST codes)

        # To ring 3: SS, ESP, EFLAGS, CS, EIP.
        push    $0x23
        push    $USTACK_TOP
        pushf
        push    $0x1B
        push    $user_entry
        iret

# EAX = handler, ECX = vector, EDX = type/DPL bits of the gate's high word.
set_gate:
        lea     IDT(,%ecx,8), %edi
        mov     %eax, %ebx
        and     $0xFFFF, %ebx
        or      $0x00080000, %ebx
        mov     %ebx, (%edi)
        mov     %eax, %ebx
        and     $0xFFFF0000, %ebx
        or      %edx, %ebx
        mov     %ebx, 4(%edi)
        ret

        .globl syscall_handler
syscall_handler:
        incl    VARS+4
        iret

        .globl pf_handler
pf_handler:
        mov     %cr2, %eax
        mov     %eax, VARS+8
        cli
        hlt

        .globl user_entry
user_entry:
        mov     $0x23, %ax              # IRET to ring 3 nulled DS and ES (their DPL 0 < CPL 3)
        mov     %ax, %ds
        mov     %ax, %es
        movl    $0x1234, VARS           # the watchpoint test's write
        mov     $1, %eax
        .globl do_syscall
do_syscall:
        int     $0x80
        .globl after_syscall
after_syscall:
        mov     VARS+4, %ebx
        .globl touch_unmapped
touch_unmapped:
        mov     UNMAPPED, %eax          # #PF: CR2 = 0x00800000
        jmp     .

        .p2align 3
gdt:
        .quad   0                       # null
        .quad   0x00CF9A000000FFFF      # 0x08 ring 0 code, flat
        .quad   0x00CF92000000FFFF      # 0x10 ring 0 data, flat
        .quad   0x00CFFA000000FFFF      # 0x18 ring 3 code, flat
        .quad   0x00CFF2000000FFFF      # 0x20 ring 3 data, flat
        .quad   0x0000890900000067      # 0x28 32-bit TSS at 0x00090000, limit 103
gdt_end:
gdt_desc:
        .word   gdt_end - gdt - 1
        .long   gdt
idt_desc:
        .word   256 * 8 - 1
        .long   IDT
