# pv_rings: a small Xen PV kernel for the debugger and tracer tests, modelled on
# tests/hypervisor/guests/pv_hello.S. In ring 1 it registers a trap table (#PF to a ring-1 handler, and a
# DPL-3 int 0x80 that the hypervisor installs as a direct gate), a kernel stack (stack_switch) and its
# callbacks; maps the shared-info page and clears its event mask; unmaps a page and touches it (a page
# fault in ring 1: the hypervisor bounces it to pf_handler, which maps the page back with update_va_mapping);
# makes two pages user-accessible with one mmu_update of two requests and flushes them with one mmuext_op of
# two; drops to ring 3 by IRET, where the task makes two system calls (count, then exit); then runs a
# multicall of two entries and shuts the domain down. Every hypercall is a plain `int $0x82` (EAX = number,
# arguments in EBX, ECX, EDX, ESI), so gdb can step across it. If anything is wrong it asks to be crashed.
        .section .note.Xen, "", @note
        .macro xen_note_str type, value
        .balign 4
        .long 4, 2f - 1f, \type
        .asciz "Xen"
1:      .asciz "\value"
2:      .balign 4
        .endm
        .macro xen_note_long type, value
        .balign 4
        .long 4, 4, \type
        .asciz "Xen"
        .long \value
        .endm
        xen_note_str 6, ring1-test              # GUEST_OS
        xen_note_str 5, xen-3.0                 # XEN_VERSION
        xen_note_str 8, generic                 # LOADER
        xen_note_long 3, 0xC0000000             # VIRT_BASE
        xen_note_long 4, 0xC0000000             # PADDR_OFFSET: p_paddr are virtual addresses
        xen_note_long 1, _start                 # ENTRY
        xen_note_str 9, no                      # PAE_MODE

        .set VIRT_BASE, 0xC0000000
        .set RING1_CS, 0xe019
        .set RING1_DS, 0xe021
        .set RING3_CS, 0xe02b
        .set RING3_DS, 0xe033
        .set DOMID_SELF, 0x7ff0
        .set UVMF_INVLPG, 2
        .set MMUEXT_INVLPG_LOCAL, 7
        .set PTE_KERNEL, 0x63                   # present, writable, accessed, dirty
        .set PTE_USER, 0x04

        .macro hypercall nr
        mov     $\nr, %eax
        int     $0x82
        .endm

        .text
        .globl _start
_start:
        mov     %esi, start_info
        # set_trap_table(trap_table)
        mov     $trap_table, %ebx
        hypercall 0
        test    %eax, %eax
        jnz     fail
        # stack_switch(RING1_DS, kstack_top): the stack for entries from ring 3 (TSS.SS1:ESP1)
        mov     $RING1_DS, %ebx
        mov     $kstack_top, %ecx
        hypercall 3
        # set_callbacks(event, failsafe): nothing raises events here, but a kernel names them
        mov     $RING1_CS, %ebx
        mov     $event_callback, %ecx
        mov     $RING1_CS, %edx
        mov     $failsafe_callback, %esi
        hypercall 4

        # Map shared info (start_info.shared_info is its machine address) and clear vcpu_info[0]'s
        # evtchn_upcall_mask, which the domain starts with set.
        mov     $shinfo_page, %ebx
        mov     start_info, %ecx
        mov     36(%ecx), %ecx
        or      $PTE_KERNEL, %ecx
        mov     $UVMF_INVLPG, %edx
        hypercall 14
        test    %eax, %eax
        jnz     fail
        movb    $0, shinfo_page + 1

        # A page fault in ring 1: remember pf_page's mapping, unmap it, and write to it.
        mov     $pf_page, %eax
        call    pte_of
        mov     %eax, pf_pte
        mov     $pf_page, %ebx
        xor     %ecx, %ecx
        mov     $UVMF_INVLPG, %edx
        hypercall 14
        .globl touch_unmapped
touch_unmapped:
        movl    $0x5a5a5a5a, pf_page            # #PF; pf_handler maps the page back and this retries
        cmpl    $0x5a5a5a5a, pf_page
        jne     fail

        # The user task's code and stack pages become user-accessible: one mmu_update of two requests
        # (machine address of each PTE, new value), then one mmuext_op of two INVLPGs.
        mov     $user_page, %eax
        call    pte_ma
        mov     %eax, mmu_reqs
        mov     $user_page, %eax
        call    pte_of
        or      $PTE_USER, %eax
        mov     %eax, mmu_reqs + 8
        mov     $user_stack, %eax
        call    pte_ma
        mov     %eax, mmu_reqs + 16
        mov     $user_stack, %eax
        call    pte_of
        or      $PTE_USER, %eax
        mov     %eax, mmu_reqs + 24
        mov     $mmu_reqs, %ebx
        mov     $2, %ecx
        xor     %edx, %edx
        mov     $DOMID_SELF, %esi
        hypercall 1
        test    %eax, %eax
        jnz     fail
        mov     $ext_ops, %ebx
        mov     $2, %ecx
        xor     %edx, %edx
        mov     $DOMID_SELF, %esi
        hypercall 26
        test    %eax, %eax
        jnz     fail

        # Down to ring 3 by IRET. The ring-3 data selector serves ring 1 as well, so the system-call
        # handler needs no segment loads.
        mov     $RING3_DS, %ax
        mov     %ax, %ds
        mov     %ax, %es
        mov     %esp, saved_esp
        push    $RING3_DS
        push    $user_stack + 4096
        pushf
        push    $RING3_CS
        push    $user_entry
        .globl to_ring3
to_ring3:
        iret

        .globl back_in_kernel
back_in_kernel:
        cmpl    $2, syscall_count
        jne     fail
        cmpl    $1, pf_count
        jne     fail
        # multicall: xen_version(XENVER_version) and console_io(CONSOLEIO_write, len, msg) in one entry
        mov     $calls, %ebx
        mov     $2, %ecx
        hypercall 13
        test    %eax, %eax
        jnz     fail
        cmpl    $0x30000, calls + 4             # the first entry's result: version 3.0
        jne     fail
        # sched_op(SCHEDOP_shutdown, &reason)
        .globl shutdown
shutdown:
        mov     $2, %ebx
        mov     $reason, %ecx
        hypercall 29
        ud2

fail:   movl    $3, reason                      # SHUTDOWN_crash
        jmp     shutdown

# pte_of(EAX = a kernel virtual address) -> EAX: a kernel PTE for its frame (mfn_list[pfn] << 12 | flags).
pte_of:
        sub     $VIRT_BASE, %eax
        shr     $12, %eax
        mov     start_info, %edx
        mov     68(%edx), %edx                  # start_info.mfn_list
        mov     (%edx,%eax,4), %eax
        shl     $12, %eax
        or      $PTE_KERNEL, %eax
        ret

# pte_ma(EAX = a virtual address) -> EAX: the machine address of its PTE, from the page directory the
# domain builder left at start_info.pt_base (mapped read-only).
pte_ma:
        mov     %eax, %ecx
        shr     $22, %eax
        mov     start_info, %edx
        mov     60(%edx), %edx                  # start_info.pt_base
        mov     (%edx,%eax,4), %eax
        and     $0xfffff000, %eax
        shr     $12, %ecx
        and     $0x3ff, %ecx
        lea     (%eax,%ecx,4), %eax
        ret

# The page fault, bounced by the hypervisor: [error code, EIP, CS, EFLAGS] on this ring-1 stack, the
# faulting address in vcpu_info[0].arch.cr2. Map the page back and retry.
        .globl pf_handler
pf_handler:
        push    %eax
        push    %ebx
        push    %ecx
        push    %edx
        mov     shinfo_page + 8, %ebx
        and     $0xfffff000, %ebx
        mov     pf_pte, %ecx
        mov     $UVMF_INVLPG, %edx
        hypercall 14
        incl    pf_count
        pop     %edx
        pop     %ecx
        pop     %ebx
        pop     %eax
        add     $4, %esp                        # the error code
        iret

# int 0x80 from ring 3, straight through the IDT's DPL-3 trap gate on the stack_switch stack, or int 0x81
# bounced there by the hypervisor: [EIP, CS, EFLAGS, ESP, SS]. EAX 1 counts, EAX 2 leaves for the kernel.
        .globl syscall_handler
syscall_handler:
        cmp     $2, %eax
        je      1f
        incl    syscall_count
        iret
1:      mov     saved_esp, %esp
        jmp     back_in_kernel

event_callback:
failsafe_callback:
        ud2

# Ring 3: three system calls.
        .section .text.user, "ax"
        .balign 4096
user_page:
        .globl user_entry
user_entry:
        mov     $1, %eax
        mov     $0x1234, %ebx
        .globl do_syscall
do_syscall:
        int     $0x80
        .globl after_syscall
after_syscall:
        mov     $1, %eax
        int     $0x81                           # no direct gate: #GP, and the hypervisor bounces it
        mov     $2, %eax
        int     $0x80
        ud2
        .balign 4096

        .data
        .balign 4
start_info:     .long 0
reason:         .long 0                         # SHUTDOWN_poweroff
saved_esp:      .long 0
pf_pte:         .long 0
        .globl syscall_count, pf_count
syscall_count:  .long 0
pf_count:       .long 0
trap_table:                                     # struct trap_info: vector, flags (DPL), cs, address
        .byte 14, 0
        .word RING1_CS
        .long pf_handler
        .byte 0x80, 3
        .word RING1_CS
        .long syscall_handler
        .byte 0x81, 3                           # the same handler, reached through the hypervisor
        .word RING1_CS
        .long syscall_handler
        .long 0, 0
mmu_reqs:       .fill 4, 8, 0                   # two struct mmu_update {u64 ptr, val}
ext_ops:                                        # two struct mmuext_op {cmd, linear_addr, -}
        .long MMUEXT_INVLPG_LOCAL, user_page, 0
        .long MMUEXT_INVLPG_LOCAL, user_stack, 0
calls:                                          # two struct multicall_entry {op, result, args[6]}
        .long 17, 0, 0, 0, 0, 0, 0, 0
        .long 18, 0, 0, msg_len, msg, 0, 0, 0
msg:    .ascii "pv_rings: system calls by the direct gate and through the hypervisor, and a page fault, handled\n"
        .set msg_len, . - msg

        .bss
        .balign 4096
        .globl pf_page
pf_page:        .skip 4096
shinfo_page:    .skip 4096
user_stack:     .skip 4096
kstack:         .skip 4096
        .globl kstack_top
kstack_top:
