# ring1-bench's ALU-bound loop (BM_*_alu): 9 register-only instructions per iteration.
        .intel_syntax noprefix
        .code32
        .globl bench_loop
bench_loop:
        test    ecx, ecx
        jz      done
top:    add     eax, ebx
        xor     edx, eax
        sub     ebx, 3
        and     esi, edx
        or      edi, ecx
        lea     eax, [eax + ebx*2 + 1]
        shr     edx, 1
        dec     ecx
        jnz     top
done:   ret
