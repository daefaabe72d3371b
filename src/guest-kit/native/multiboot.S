/* multiboot.S: the multiboot v1 header and the kernel's first instructions. A multiboot loader (QEMU -kernel,
 * ring1 run) enters _start in 32-bit protected mode with flat 4 GiB segments, paging off, interrupts off, EAX
 * holding the magic 0x2BADB002 and EBX the physical address of the multiboot information structure; ESP is
 * undefined, so the first thing to do is to set up a stack (multiboot spec v0.6.96, 3.2 "Machine state"). */
        .set MB_MAGIC,       0x1BADB002   /* header magic (spec 3.1.2) */
        .set MB_PAGE_ALIGN,  1 << 0       /* load modules on page boundaries */
        .set MB_MEMORY_INFO, 1 << 1       /* pass mem_lower/mem_upper and the memory map */
        .set MB_FLAGS,       MB_PAGE_ALIGN | MB_MEMORY_INFO

        .section .multiboot, "a"
        .balign 4
        .long MB_MAGIC
        .long MB_FLAGS
        .long -(MB_MAGIC + MB_FLAGS)      /* magic + flags + checksum must be 0 (mod 2^32) */

        .text
        .globl _start
_start:
        mov     $kit_boot_stack + 16384, %esp   /* platform.c */
        xor     %ebp, %ebp                /* a zero frame pointer ends backtraces here */
        pushl   $0                        /* EFLAGS: start from a known state (IF, DF and IOPL clear) */
        popfl
        push    %ebx                      /* the multiboot information structure */
        push    %eax                      /* the magic value the loader left */
        call    native_start_of_day       /* checks the magic, sets up the machine, runs kmain, exits */
1:      cli
        hlt
        jmp     1b

        .section .note.GNU-stack, "", @progbits   /* no executable stack (silences ld) */
