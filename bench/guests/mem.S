# ring1-bench's memory-bound loop (BM_*_mem): loads, stores and a read-modify-write over a 4 KiB buffer,
# 9 instructions per iteration.
        .intel_syntax noprefix
        .code32
        .globl bench_loop
bench_loop:
        mov     ebx, offset buf
        xor     edi, edi
        test    ecx, ecx
        jz      done
top:    mov     eax, [ebx + edi*4]
        add     eax, ecx
        mov     [ebx + edi*4 + 4], eax
        mov     edx, [ebx + 8]
        add     [ebx + 12], edx
        inc     edi
        and     edi, 1023
        dec     ecx
        jnz     top
done:   ret
