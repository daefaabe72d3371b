# pv_hello: the smallest Xen PV kernel. Its ELF notes (xen/include/public/elfnote.h) make ring1 boot it under
# the hypervisor: entered in ring 1 with ESI = start_info, it prints through console_io via the hypercall
# page the domain builder filled, checks start_info's magic, prints through its console ring too, and shuts
# the domain down with the reason given on its command line ("crash" crashes it).
        .include "xen_notes.inc"

        .text
        .globl _start
_start:
        mov     %esi, start_info
        # console_io(CONSOLEIO_write, len, msg)
        mov     $0, %ebx
        mov     $hello_len, %ecx
        mov     $hello, %edx
        call    hypercall_page + 18 * 32
        # start_info.magic begins "xen-3.0-x86_32"
        mov     start_info, %esi
        cmpl    $0x2d6e6578, (%esi)     # "xen-"
        jne     bad
        # The console ring (start_info.console.domU.mfn): find its pfn through the M2P, which guests read at
        # 0xFC000000, and its virtual address from VIRT_BASE; write one line and advance out_prod.
        mov     52(%esi), %eax          # console mfn
        mov     0xFC000000(,%eax,4), %eax   # its pfn
        shl     $12, %eax
        add     $0xC0000000, %eax
        lea     1024(%eax), %edi        # out[]
        mov     $ring_msg, %esi
        mov     $ring_len, %ecx
        rep movsb
        movl    $ring_len, 3084(%eax)   # out_prod
        # sched_op(SCHEDOP_shutdown, &reason)
        mov     $2, %ebx
        mov     $reason, %ecx
        mov     start_info, %esi
        cmpb    $'c', 80(%esi)          # cmd_line starts with 'c': ask for a crash
        jne     1f
        movl    $3, reason
1:      call    hypercall_page + 29 * 32
bad:    ud2

        .data
start_info: .long 0
reason:     .long 0
hello:      .ascii "hello from a PV guest in ring 1\n"
        .set hello_len, . - hello
ring_msg:   .ascii "and from its console ring\n"
        .set ring_len, . - ring_msg

        .section .text.hypercall, "ax"
        .balign 4096
hypercall_page:
        .fill 4096, 1, 0xcc
