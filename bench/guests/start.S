# Start of day shared by the speed-comparison guests (bench/speed-vs-qemu.sh): one multiboot ELF that
# `ring1 run` and `qemu-system-i386 -kernel` boot alike. It reads the iteration count from the command line's
# "iters=N" (decimal; the script pads N to a fixed width so that a zero-iteration run executes exactly the
# same start-up instructions), turns on 4 KiB identity paging over the first 16 MiB when assembled with
# PAGED=1, calls the loop file's bench_loop with ECX = N, and exits through isa-debug-exit (status 1 on both).
        .intel_syntax noprefix
        .code32

        # Multiboot v1 header (flags 0: the loader takes the ELF's own layout), within the first 8 KiB.
        .p2align 2
        .long   0x1BADB002, 0, -0x1BADB002

        .globl _start
_start:
        mov     esp, offset stack_top
        xor     ecx, ecx
        test    dword ptr [ebx], 4            # multiboot info flags bit 2: a command line at [ebx + 16]
        jz      parsed
        mov     esi, [ebx + 16]
find:   cmp     byte ptr [esi], 0
        je      parsed
        cmp     dword ptr [esi], 0x72657469   # "iter"
        jne     next
        cmp     word ptr [esi + 4], 0x3d73    # "s="
        je      digits_at
next:   inc     esi
        jmp     find
digits_at:
        add     esi, 6
digits: movzx   eax, byte ptr [esi]
        sub     eax, '0'
        cmp     eax, 9
        ja      parsed
        imul    ecx, ecx, 10
        add     ecx, eax
        inc     esi
        jmp     digits
parsed:
        mov     [iterations], ecx

.if PAGED
        # Four page tables mapping 0-16 MiB one to one (present, writable), the page directory pointing at
        # them, then CR3 and CR0.PG (SDM vol. 3, 4.3: 32-bit paging).
        mov     edi, offset page_tables
        mov     eax, 3
        mov     ecx, 4096
map:    mov     [edi], eax
        add     eax, 4096
        add     edi, 4
        dec     ecx
        jnz     map
        mov     edi, offset page_dir
        xor     eax, eax
        mov     ecx, 1024
        rep stosd
        mov     edi, offset page_dir
        mov     eax, offset page_tables + 3
        mov     ecx, 4
dir:    mov     [edi], eax
        add     eax, 4096
        add     edi, 4
        dec     ecx
        jnz     dir
        mov     eax, offset page_dir
        mov     cr3, eax
        mov     eax, cr0
        or      eax, 0x80000000
        mov     cr0, eax
.endif

        mov     ecx, [iterations]
        call    bench_loop
        xor     eax, eax
        out     0xf4, eax                     # isa-debug-exit: (0 << 1) | 1 = 1 on both machines
        hlt

        .bss
        .p2align 12
page_dir:    .space 4096
page_tables: .space 4 * 4096
        .globl buf
buf:         .space 2 * 4096                  # the loops' data, on pages of its own (none holds code)
             .space 4096
stack_top:
iterations:  .long 0
