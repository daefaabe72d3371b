# sieve: counts the primes below 1,000,000 with the sieve of Eratosthenes, a byte per number, and halts
# with the count (78498) in EAX. A raw flat binary for `ring1 run --load-addr 0x100000`: it touches about
# 1 MB of memory with stores and loads, and runs some 12 million instructions.
        .intel_syntax noprefix
        .code32
        .set N, 1000000
        .set SIEVE, 0x200000          # the byte array lives 1 MiB above the image

        .globl _start
_start:
        mov     edi, SIEVE
        mov     ecx, N
        mov     al, 1
        rep stosb                     # every number starts as a candidate
        mov     byte ptr [SIEVE], 0
        mov     byte ptr [SIEVE + 1], 0

        mov     ebx, 2                # ebx = p
outer:
        mov     eax, ebx
        imul    eax, ebx              # p*p
        cmp     eax, N
        jae     count
        cmp     byte ptr [SIEVE + ebx], 0
        je      next
strike:
        mov     byte ptr [SIEVE + eax], 0
        add     eax, ebx
        cmp     eax, N
        jb      strike
next:
        inc     ebx
        jmp     outer

count:
        xor     eax, eax
        xor     ecx, ecx
tally:
        movzx   edx, byte ptr [SIEVE + ecx]
        add     eax, edx
        inc     ecx
        cmp     ecx, N
        jb      tally
        hlt
