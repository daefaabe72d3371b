# A raw guest that crashes under paging at a linear address that is not its physical one: it maps linear
# 0x800000..0xBFFFFF to physical 0..4 MiB with a 4 MiB page (besides the identity map of the first 4 MiB),
# jumps to its own `ud2` through the high alias and, with no IDT, ends in a triple fault. The crash report
# must show `ud2`: the instruction read through the page tables, not the (zero) bytes at physical 0x9000xx.
        .code32
        .globl _start
_start:
        mov     $pd, %eax
        mov     %eax, %cr3
        mov     %cr4, %eax
        or      $0x10, %eax             # CR4.PSE: 4 MiB pages
        mov     %eax, %cr4
        mov     %cr0, %eax
        or      $0x80000000, %eax       # CR0.PG
        mov     %eax, %cr0
        mov     $(bad + 0x800000), %eax
        jmp     *%eax
bad:    ud2

        .balign 4096
pd:     .long   0x00000083              # linear 0..4 MiB -> physical 0 (P, RW, PS)
        .long   0
        .long   0x00000083              # linear 8..12 MiB -> physical 0
        .fill   1021, 4, 0
