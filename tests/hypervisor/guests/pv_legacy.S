# pv_legacy: a PV kernel of the Xen 3.0-3.2 kind, with no ELF notes but the legacy __xen_guest string (its
# HYPERCALL_PAGE a page number counted from VIRT_BASE), that calls what real guests call first and prints one
# line per result ("name=0x%08x"): CPUID through the forced-emulation prefix, xen_version's capabilities, a
# grant-table frame set up and mapped writable, a request to its xenstore and the store's reply, port I/O
# under physdev_op's IOPL, then shuts its domain down.
        .section __xen_guest
        .ascii  "GUEST_OS=ring1-legacy,XEN_VER=xen-3.0,VIRT_BASE=0xC0000000"
        .ascii  ",HYPERCALL_PAGE=0x1,LOADER=generic"
        .ifdef PAE
        .ascii  ",PAE=yes"                      # variants the loader must refuse, naming the string
        .else
        .ascii  ",PAE=no"
        .endif
        .ifdef TRANSLATED
        .ascii  ",FEATURES=writable_page_tables|!auto_translated_physmap"
        .endif
        .byte   0

        .set    VIRT, 0xC0000000
        .set    M2P, 0xFC000000
        .set    GRANT_VA, 0xC03FF000            # a page of the bootstrap padding, remapped to the grant frame
        .macro  hc nr
        call    hypercall_page + \nr * 32
        .endm

        .text
        .globl  hypercall_page
hypercall_page:                                 # page 1 from VIRT_BASE: 0xC0001000
        .fill   4096, 1, 0xcc

        .globl  _start
_start:
        mov     %esi, start_info
        mov     $0, %ebx                        # console_io(CONSOLEIO_write, len, msg)
        mov     $hello_len, %ecx
        mov     $hello, %edx
        hc      18

        # CPUID leaf 0x40000000 through ud2a; "xen"; cpuid: EBX is "XenV".
        mov     $0x40000000, %eax
        .byte   0x0f, 0x0b, 0x78, 0x65, 0x6e, 0x0f, 0xa2
        mov     %ebx, %eax
        mov     $s_cpuid, %edx
        call    report

        # xen_version(XENVER_capabilities, buf): printed as it is.
        mov     $3, %ebx
        mov     $caps, %ecx
        hc      17
        mov     $s_caps, %edx
        call    report
        mov     $caps, %edi
        xor     %ecx, %ecx
1:      cmpb    $0, (%edi, %ecx)
        je      2f
        inc     %ecx
        jmp     1b
2:      movb    $'\n', (%edi, %ecx)
        inc     %ecx
        mov     $0, %ebx
        mov     %edi, %edx
        hc      18

        # grant_table_op(GNTTABOP_setup_table, &setup, 1) for one frame, then map it writable and use it.
        mov     $2, %ebx
        mov     $setup, %ecx
        mov     $1, %edx
        hc      20
        mov     $s_setup, %edx
        call    report
        movswl  setup + 8, %eax                 # status
        mov     $s_status, %edx
        call    report
        mov     gframe, %eax                    # update_va_mapping(GRANT_VA, frame << 12 | P|RW|A|D, 0, INVLPG)
        shl     $12, %eax
        or      $0x63, %eax
        mov     %eax, %ecx
        mov     $GRANT_VA, %ebx
        xor     %edx, %edx
        mov     $2, %esi
        hc      14
        mov     $s_map, %edx
        call    report
        movl    $0x00010001, GRANT_VA           # a grant entry: flags GTF_permit_access, domid 1
        mov     GRANT_VA, %eax
        mov     $s_entry, %edx
        call    report

        # The xenstore page: start_info.store_mfn -> pfn through the M2P -> its address.
        mov     start_info, %esi
        mov     44(%esi), %eax                  # store_mfn
        mov     M2P(,%eax,4), %eax
        shl     $12, %eax
        add     $VIRT, %eax
        mov     %eax, store
        # An XS_READ of "name" (struct xsd_sockmsg { type 2, req_id 42, tx_id 0, len 5 } + "name\0").
        lea     (%eax), %edi                    # req[] at offset 0, empty ring: write from index 0
        mov     $request, %esi
        mov     $request_len, %ecx
        rep movsb
        mov     store, %eax
        movl    $request_len, 2052(%eax)        # req_prod
        # Notify the store: EVTCHNOP_send on store_evtchn, then wait for the reply with cheap hypercalls.
        mov     start_info, %esi
        mov     48(%esi), %ecx
        mov     %ecx, send_port
        mov     $4, %ebx
        mov     $send_port, %ecx
        hc      32
        mov     $1000, %edi
3:      mov     store, %eax
        cmpl    $0, 2060(%eax)                  # rsp_prod
        jne     4f
        xor     %ebx, %ebx
        hc      17
        dec     %edi
        jnz     3b
4:      mov     store, %esi
        mov     1024(%esi), %eax                # reply type
        mov     $s_reply_type, %edx
        call    report
        mov     1028(%esi), %eax                # reply req_id
        mov     $s_reply_id, %edx
        call    report
        mov     1040(%esi), %eax                # the first four payload bytes: "doma" ("domain-1")
        mov     $s_reply_text, %edx
        call    report

        # physdev_op(PHYSDEVOP_set_iopl, {1}), then IN from a port no device is behind.
        mov     $33, %eax
        mov     $6, %ebx
        mov     $iopl, %ecx
        hc      33
        mov     $s_iopl, %edx
        call    report
        mov     $0x12345678, %eax
        in      $0x60, %al
        mov     $s_in, %edx
        call    report

        mov     $2, %ebx                        # sched_op(SCHEDOP_shutdown, &poweroff)
        mov     $reason, %ecx
        hc      29
        ud2

# report: prints the NUL-terminated name at EDX, "=0x", EAX in eight hex digits, newline.
report:
        pusha
        mov     %eax, %ebp
        mov     %edx, %esi
        mov     $line, %edi
1:      lodsb
        test    %al, %al
        jz      2f
        stosb
        jmp     1b
2:      mov     $0x78303d, %eax                 # "=0x"
        stosl
        dec     %edi
        mov     $8, %ecx
3:      rol     $4, %ebp
        mov     %ebp, %eax
        and     $15, %eax
        movb    hex(%eax), %al
        stosb
        loop    3b
        movb    $'\n', %al
        stosb
        mov     %edi, %ecx
        sub     $line, %ecx
        mov     $0, %ebx
        mov     $line, %edx
        hc      18
        popa
        ret

        .data
start_info:     .long 0
store:          .long 0
send_port:      .long 0
reason:         .long 0
iopl:           .long 1
setup:          .word 0x7ff0, 0                 # struct gnttab_setup_table: DOMID_SELF,
                .long 1                         #   nr_frames
                .word 0x7777, 0                 #   status (to be overwritten)
                .long gframe                    #   frame_list
gframe:         .long 0
hex:            .ascii "0123456789abcdef"
hello:          .ascii "pv_legacy: booted from its __xen_guest string\n"
                .set hello_len, . - hello
request:        .long 2, 42, 0, 5
                .asciz "name"
                .set request_len, . - request
s_cpuid:        .asciz "cpuid 0x40000000 ebx"
s_caps:         .asciz "xen_version capabilities"
s_setup:        .asciz "gnttab setup_table"
s_status:       .asciz "gnttab status"
s_map:          .asciz "map the grant frame writable"
s_entry:        .asciz "grant entry written and read back"
s_reply_type:   .asciz "xenstore reply type"
s_reply_id:     .asciz "xenstore reply req_id"
s_reply_text:   .asciz "xenstore reply text"
s_iopl:         .asciz "physdev set_iopl"
s_in:           .asciz "in al from port 0x60"
caps:           .fill 1024, 1, 0
line:           .fill 128, 1, 0
