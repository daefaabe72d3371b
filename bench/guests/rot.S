# Issue 17's plain loop of seven instructions (add, xor, rotate, store, load, dec, jnz), as ring1-bench's
# BM_*_rot: 7 instructions per iteration. bench_loop is called by start.S with ECX = iterations.
        .intel_syntax noprefix
        .code32
        .globl bench_loop
bench_loop:
        mov     ebx, offset buf
        test    ecx, ecx
        jz      done
top:    add     eax, ecx
        xor     edx, eax
        rol     edx, 3
        mov     [ebx], edx
        mov     esi, [ebx + 4]
        dec     ecx
        jnz     top
done:   ret
