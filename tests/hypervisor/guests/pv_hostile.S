# pv_hostile: a PV kernel that tries what Xen forbids, one attempt per output line ("name rc=N"), and a few
# things it allows. The hypervisor must answer each with Xen's error code (EINVAL 22, EFAULT 14, as negative
# numbers) or a bounced fault, never crash or hang ring1, and leave the guest running to the end.
        .include "xen_notes.inc"

        .set VIRT, 0xC0000000
        .set EINVAL, 22
        # hc NR: the hypercall through its page; arguments already in EBX, ECX, EDX, ESI.
        .macro hc nr
        call    hypercall_page + \nr * 32
        .endm
        # update_req: mmu_update of the one request at `req` for this domain (DOMID_SELF), done count in `done`.
        .macro update_req
        mov     $req, %ebx
        mov     $1, %ecx
        mov     $done, %edx
        mov     $0x7ff0, %esi
        hc      1
        .endm
        .text
        .globl _start
_start:
        mov     %esi, si_ptr
        mov     68(%esi), %eax          # mfn_list (virtual)
        mov     %eax, mfn_list
        mov     60(%esi), %eax          # pt_base: the page directory (virtual)
        mov     %eax, pd_va
        call    va_to_mfn
        mov     %eax, pd_mfn
        inc     %eax                    # the builder puts the first L1 right after the directory
        mov     %eax, l1_mfn
        mov     36(%esi), %eax          # shared_info (machine address)
        shr     $12, %eax
        inc     %eax                    # the first of the hypervisor's frames
        mov     %eax, hv_mfn

        # The trap table: #PF and #GP to handlers that report and skip the faulting 6-byte instruction.
        mov     $traps, %ebx
        hc      0
        mov     $0xe021, %ebx           # stack_switch(FLAT_RING1_SS, this stack)
        mov     %esp, %ecx
        hc      3

        # 1. A direct write to the page directory, mapped read-only: a #PF, bounced to the guest.
        mov     pd_va, %ebx
        movl    $0, (%ebx)              # 6 bytes: c7 03 00 00 00 00

        # 2. mmu_update mapping the page directory writable: EINVAL.
        mov     l1_mfn, %eax
        shl     $12, %eax
        add     $0x300 * 4, %eax        # the L1 slot of VIRT + 0x300000
        mov     %eax, req + 0
        mov     pd_mfn, %eax
        shl     $12, %eax
        or      $3, %eax                # present, writable
        mov     %eax, req + 8
        update_req
        mov     $s_pt_writable, %edx
        call    report

        # 3. mmu_update into the hypervisor's page-directory slots (1008 and up): EINVAL.
        mov     pd_mfn, %eax
        shl     $12, %eax
        add     $1008 * 4, %eax
        mov     %eax, req + 0
        mov     l1_mfn, %eax
        shl     $12, %eax
        or      $1, %eax
        mov     %eax, req + 8
        update_req
        mov     $s_hv_slot, %edx
        call    report

        # 4. update_va_mapping of an address in the hypervisor's 64 MB: EINVAL.
        mov     $0xFC000000, %ebx
        mov     l1_mfn, %ecx
        shl     $12, %ecx
        or      $1, %ecx
        mov     $0, %edx
        hc      14
        mov     $s_uvm_hv, %edx
        call    report

        # 5. Mapping a frame the hypervisor owns: EINVAL.
        mov     l1_mfn, %eax
        shl     $12, %eax
        add     $0x300 * 4, %eax
        mov     %eax, req + 0
        mov     hv_mfn, %eax
        shl     $12, %eax
        or      $1, %eax
        mov     %eax, req + 8
        update_req
        mov     $s_hv_frame, %edx
        call    report

        # 6. A batch of three whose second request is bad: EINVAL, and done = 1 (the first applied).
        mov     l1_mfn, %eax
        shl     $12, %eax
        add     $0x300 * 4, %eax
        mov     %eax, batch + 0
        mov     %eax, batch + 32
        mov     $0x300, %eax
        call    pfn_to_mfn
        shl     $12, %eax
        or      $0x21, %eax             # present, accessed, read-only
        mov     %eax, batch + 8
        mov     %eax, batch + 40
        mov     pd_mfn, %eax
        shl     $12, %eax
        add     $1008 * 4, %eax
        mov     %eax, batch + 16
        movl    $1, batch + 24
        mov     $batch, %ebx
        mov     $3, %ecx
        mov     $done, %edx
        mov     $0x7ff0, %esi
        hc      1
        mov     $s_batch, %edx
        call    report
        mov     done, %eax
        mov     $s_batch_done, %edx
        call    report

        # 7. Pinning the page directory a second time: EINVAL.
        movl    $1, op + 0              # MMUEXT_PIN_L2_TABLE
        mov     pd_mfn, %eax
        mov     %eax, op + 4
        mov     $op, %ebx
        mov     $1, %ecx
        mov     $done, %edx
        mov     $0x7ff0, %esi
        hc      26
        mov     $s_double_pin, %edx
        call    report

        # 8. Wild pointers and huge counts: EFAULT.
        mov     $0xFC000000, %ebx       # mmu_update's request list in the hypervisor's range
        mov     $1, %ecx
        mov     $0, %edx
        mov     $0x7ff0, %esi
        hc      1
        mov     $s_wild_reqs, %edx
        call    report
        mov     $req, %ebx              # a count that runs the list into the hypervisor's range
        mov     $0x10000000, %ecx
        mov     $0, %edx
        mov     $0x7ff0, %esi
        hc      1
        mov     $s_huge_count, %edx
        call    report
        mov     $0, %ebx                # console_io from the hypervisor's private memory
        mov     $4, %ecx
        mov     $0xFC400000, %edx
        hc      18
        mov     $s_wild_console, %edx
        call    report
        mov     $0xFFFFFFF0, %ebx       # set_trap_table that wraps
        hc      0
        mov     $s_wild_traps, %edx
        call    report
        mov     $0xFC000000, %ebx       # multicall list in the hypervisor's range
        mov     $1, %ecx
        hc      13
        mov     $s_wild_multicall, %edx
        call    report
        mov     $0x500000, %ebx         # an unmapped guest pointer (not in the bootstrap region)
        hc      0
        mov     $s_unmapped_traps, %edx
        call    report

        # 9. A GDT page with a segment over the hypervisor's 64 MB: set_gdt fails; a good one works.
        mov     $VIRT + 0x301000, %edi  # build it in pfn 0x301, then map that read-only
        movl    $0x0000ffff, 8(%edi)    # base 0, limit 0xfffff pages: all 4 GiB, DPL 1 data
        movl    $0x00cfb300, 12(%edi)
        mov     $0x301, %eax
        call    make_readonly
        mov     $0x301, %eax
        call    pfn_to_mfn
        mov     %eax, gdt_frames
        mov     $gdt_frames, %ebx
        mov     $2, %ecx
        hc      2
        mov     $s_gdt_4g, %edx
        call    report
        mov     $VIRT + 0x302000, %edi  # limit 0xfbfff pages: ends at 0xFC000000 exactly
        movl    $0x0000bfff, 8(%edi)
        movl    $0x00cfb300, 12(%edi)
        mov     $0x302, %eax
        call    make_readonly
        mov     $0x302, %eax
        call    pfn_to_mfn
        mov     %eax, gdt_frames
        mov     $gdt_frames, %ebx
        mov     $2, %ecx
        hc      2
        mov     $s_gdt_ok, %edx
        call    report
        mov     $0x9, %ax               # GDT entry 1, RPL 1: the new descriptor loads
        mov     %ax, %fs
        mov     %fs:(VIRT + 0x300000), %eax
        xor     %eax, %eax
        mov     $s_fs_loaded, %edx
        call    report

        # 10. update_descriptor: DPL 0 refused, a segment over the hypervisor refused, a good one taken.
        mov     gdt_frames, %ebx
        shl     $12, %ebx
        add     $16, %ebx               # entry 2
        mov     $0, %ecx
        mov     $0x0000bfff, %edx
        mov     $0x00cf9300, %esi       # DPL 0
        hc      10
        mov     $s_desc_dpl0, %edx
        call    report
        mov     gdt_frames, %ebx
        shl     $12, %ebx
        add     $16, %ebx
        mov     $0, %ecx
        mov     $0x0000ffff, %edx
        mov     $0x00cfb300, %esi       # 4 GiB
        hc      10
        mov     $s_desc_4g, %edx
        call    report
        mov     gdt_frames, %ebx
        shl     $12, %ebx
        add     $16, %ebx
        mov     $0, %ecx
        mov     $0x0000bfff, %edx
        mov     $0x00cfb300, %esi
        hc      10
        mov     $s_desc_ok, %edx
        call    report

        # 11. The guest's own mapping of its GDT page is read-only and stays so: mapping it writable fails.
        mov     $VIRT + 0x302000, %ebx
        mov     gdt_frames, %ecx
        shl     $12, %ecx
        or      $3, %ecx
        mov     $2, %edx                # UVMF_INVLPG
        hc      14
        mov     $s_gdt_writable, %edx
        call    report

        # 12. A privileged instruction in ring 1 that Xen 3.2 does not emulate (it does MOV to/from CR and
        # DR, CLTS and WBINVD): #GP, bounced.
        hlt                             # 1 byte; the handler skips 6, so pad
        nop
        nop
        nop
        nop
        nop

        mov     $s_end, %edx
        xor     %eax, %eax
        call    report
        mov     $2, %ebx                # sched_op(SCHEDOP_shutdown, &poweroff)
        mov     $reason, %ecx
        hc      29
        ud2

# report: prints the NUL-terminated name at EDX, " rc=", EAX in signed decimal, newline.
report:
        push    %eax
        mov     %edx, %esi
        mov     $line, %edi
1:      lodsb
        test    %al, %al
        jz      2f
        stosb
        jmp     1b
2:      mov     $0x3d637220, %eax       # " rc="
        stosl
        pop     %eax
        test    %eax, %eax
        jns     3f
        movb    $'-', (%edi)
        inc     %edi
        neg     %eax
3:      mov     $digits + 12, %esi
        movb    $0, (%esi)
        mov     $10, %ecx
4:      xor     %edx, %edx
        div     %ecx
        add     $'0', %dl
        dec     %esi
        mov     %dl, (%esi)
        test    %eax, %eax
        jnz     4b
5:      lodsb
        test    %al, %al
        jz      6f
        stosb
        jmp     5b
6:      movb    $'\n', %al
        stosb
        mov     %edi, %ecx
        sub     $line, %ecx
        mov     $0, %ebx
        mov     $line, %edx
        hc      18
        ret

# va_to_mfn: EAX = a kernel virtual address -> its machine frame.
va_to_mfn:
        sub     $VIRT, %eax
        shr     $12, %eax
# pfn_to_mfn: EAX = pfn -> mfn, through start_info.mfn_list.
pfn_to_mfn:
        push    %ebx
        mov     mfn_list, %ebx
        mov     (%ebx,%eax,4), %eax
        pop     %ebx
        ret

# make_readonly: EAX = pfn; remaps VIRT + pfn * 4096 read-only (update_va_mapping with UVMF_INVLPG).
make_readonly:
        push    %eax
        call    pfn_to_mfn
        shl     $12, %eax
        or      $0x21, %eax
        mov     %eax, %ecx
        pop     %ebx
        shl     $12, %ebx
        add     $VIRT, %ebx
        mov     $2, %edx
        hc      14
        ret

# Trap handlers: report the vector and error code, then skip the 6-byte instruction that faulted.
pf_handler:
        push    %eax
        push    %edx
        mov     8(%esp), %eax           # error code
        mov     $s_pf, %edx
        call    report
        pop     %edx
        pop     %eax
        add     $4, %esp
        addl    $6, (%esp)
        iret
gp_handler:
        push    %eax
        push    %edx
        mov     8(%esp), %eax
        mov     $s_gp, %edx
        call    report
        pop     %edx
        pop     %eax
        add     $4, %esp
        addl    $6, (%esp)
        iret

        .data
        .balign 8
traps:  .byte 14, 0
        .word 0xe019
        .long pf_handler
        .byte 13, 0
        .word 0xe019
        .long gp_handler
        .long 0, 0
si_ptr:   .long 0
mfn_list: .long 0
pd_va:    .long 0
pd_mfn:   .long 0
l1_mfn:   .long 0
hv_mfn:   .long 0
done:     .long 0
reason:   .long 0
gdt_frames: .long 0
req:      .long 0, 0, 0, 0       # struct mmu_update { u64 ptr; u64 val; }
batch:    .fill 12, 4, 0         # three struct mmu_update
op:       .long 0, 0, 0
line:     .fill 80, 1, 0
digits:   .fill 16, 1, 0
s_pf:            .asciz "#PF bounced, error code"
s_gp:            .asciz "#GP bounced, error code"
s_pt_writable:   .asciz "map the page directory writable"
s_hv_slot:       .asciz "write a hypervisor slot of the page directory"
s_uvm_hv:        .asciz "update_va_mapping in the hypervisor's range"
s_hv_frame:      .asciz "map a hypervisor frame"
s_batch:         .asciz "a batch with a bad second request"
s_batch_done:    .asciz "  requests done"
s_double_pin:    .asciz "pin the pinned page directory again"
s_wild_reqs:     .asciz "mmu_update with a request list in the hypervisor"
s_huge_count:    .asciz "mmu_update with a huge count"
s_wild_console:  .asciz "console_io from hypervisor memory"
s_wild_traps:    .asciz "set_trap_table with a wrapping pointer"
s_wild_multicall: .asciz "multicall with a list in the hypervisor"
s_unmapped_traps: .asciz "set_trap_table with an unmapped pointer"
s_gdt_4g:        .asciz "set_gdt with a 4 GiB segment"
s_gdt_ok:        .asciz "set_gdt with a segment that ends below the hypervisor"
s_fs_loaded:     .asciz "load FS from the guest's GDT"
s_desc_dpl0:     .asciz "update_descriptor with DPL 0"
s_desc_4g:       .asciz "update_descriptor with a 4 GiB segment"
s_desc_ok:       .asciz "update_descriptor with a good segment"
s_gdt_writable:  .asciz "map a GDT page writable"
s_end:           .asciz "still running at the end"

        .section .text.hypercall, "ax"
        .balign 4096
hypercall_page:
        .fill 4096, 1, 0xcc
