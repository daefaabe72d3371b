# The flush-heavy loop (ring1-bench's BM_*_paged_flush): CR3 reloaded (an untagged TLB drops every
# non-global entry), then 16 pages touched with 4 instructions each: 68 instructions per iteration.
# Meaningful with paging only.
        .intel_syntax noprefix
        .code32
        .globl bench_loop
bench_loop:
        mov     esi, 0x200000                 # 16 pages of RAM no image uses, identity-mapped by start.S
        test    ecx, ecx
        jz      done
top:    mov     eax, cr3
        mov     cr3, eax
        .irp    page, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15
        mov     edx, [esi + \page * 4096]
        add     ebx, edx
        xor     edi, ebx
        inc     ebp
        .endr
        dec     ecx
        jnz     top
done:   ret
