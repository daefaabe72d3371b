// Task switches and virtual-8086 mode against a recording of QEMU's full-system emulator (qemu-system-i386,
// which, unlike Unicorn, delivers exceptions through the guest's IDT). The guest below was run as a multiboot
// kernel under QEMU with -debugcon; its console output is the expected string here. It covers what the Unicorn
// oracle cannot: INT n through an IDT task gate and the nested task's IRET (NT, back-link, busy bits, the saved
// EFLAGS with NT cleared), two interrupts from V86 mode to ring 0 (the nine-dword frame, nulled DS, ESP0 from
// the TSS) with IRETD back, CLI and PUSHF at IOPL 3, and a double fault through a task gate (error code 0 on
// the new task's stack, the old task's saved EIP and EAX, CR0.TS).
#include <string>

#include <gtest/gtest.h>

#include "support/test_machine.h"

namespace ring1::test {
namespace {

// The multiboot header QEMU's -kernel needed stays, so every address is as it was under QEMU; ring1 starts at
// _start, just after it.
constexpr const char* kProbe = R"(
        .long   0x1BADB002, 0, -0x1BADB002
        .set IDT, 0x180000
        .set TSS0, 0x181000
        .set TSS1, 0x182000
        .set TSS2, 0x183000
        .globl _start
_start:
        lgdt    [gdt_desc]
        lidt    [idt_desc]
        jmp     0x08:reload
reload:
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        mov esp, 0x90000
        mov dword ptr [TSS0+4], 0x88000
        mov dword ptr [TSS0+8], 0x10
        mov word ptr [TSS0+0x66], 0x68
        mov byte ptr [TSS0+0x68], 0xFF
        # TSS1 (#DF task) and TSS2 (INT 0x40 task)
        mov ebx, TSS1
        mov eax, offset df_task
        mov edx, 0x70000
        call init_tss
        mov ebx, TSS2
        mov eax, offset int40_task
        mov edx, 0x60000
        call init_tss
        mov ax, 0x18
        ltr ax
        # gates
        mov edi, IDT + 8*8
        mov dword ptr [edi], 0x00200000      # task gate -> TSS1 (0x20)
        mov dword ptr [edi+4], 0x00008500
        mov edi, IDT + 0x40*8
        mov dword ptr [edi], 0x00280000      # task gate DPL3 -> TSS2 (0x28)
        mov dword ptr [edi+4], 0x0000E500
        mov eax, offset gp_handler
        mov edi, IDT + 13*8
        mov dl, 0x8E
        call set_gate
        mov eax, offset v86_service
        mov edi, IDT + 0x30*8
        mov dl, 0xEE
        call set_gate

        # A: INT 0x40 through a task gate, from ring 0
        mov esi, offset msgA
        call puts
        mov eax, 0x11111111
        mov ebx, 0x22222222
        int 0x40
        call dumpregs
        mov eax, [TSS2 + 0x24]
        call hex
        mov eax, [TSS2 + 0x20]
        call hex
        movzx eax, word ptr [TSS2]
        call hex
        mov eax, [gdt + 0x2C]
        call hex
        pushfd
        pop eax
        call hex
        call nl

        # B: V86
        mov esi, offset msgB
        call puts
        mov esi, offset v86_start
        mov edi, 0x20000
        mov ecx, v86_end - v86_start
        rep movsb
        push 0x1234
        push 0x5678
        push 0x2000
        push 0x3000
        push 0x2800
        push 0xFFF0
        push 0x00023202
        push 0x2000
        push 0
        iretd
after_v86:
        mov esp, 0x90000
        mov ax, 0x10
        mov ds, ax
        mov es, ax
        call nl

        # C: #DF through a task gate: #GP's gate not present
        mov esi, offset msgC
        call puts
        mov byte ptr [IDT + 13*8 + 5], 0x0E
        mov eax, 0xCAFE0000
        mov ax, 0x7ff8
        mov ds, ax
        hlt

v86_service:
        push ds
        push eax
        mov ax, 0x10
        mov ds, ax
        pop eax
        cmp ah, 1
        je v86_exit
        push eax
        mov eax, esp
        call hex
        mov ecx, 0
1:      mov eax, [esp + 12 + ecx*4]
        call hex
        inc ecx
        cmp ecx, 9
        jb 1b
        mov eax, [esp+4]
        call hex
        pop eax
        pop ds
        iretd
v86_exit:
        mov eax, [esp + 4 + 8]
        call hex
        call nl
        jmp after_v86

gp_handler:
        mov esi, offset msgGP
        call puts
        hlt

df_task:
        pop eax
        call hex
        str ax
        call hex
        movzx eax, word ptr [TSS1]
        call hex
        mov eax, [TSS0 + 0x20]
        call hex
        mov eax, [TSS0 + 0x28]
        call hex
        pushfd
        pop eax
        call hex
        mov eax, cr0
        and eax, 8
        call hex
        call nl
        mov al, 0
        out 0xF4, al
        hlt

int40_task:
        mov esi, offset msgT
        call puts
        pushfd
        pop eax
        call hex
        str ax
        call hex
        movzx eax, word ptr [TSS2]
        call hex
        mov eax, [TSS0 + 0x28]
        call hex
        mov eax, [gdt + 0x1C]
        call hex
        mov eax, [gdt + 0x2C]
        call hex
        call nl
        mov eax, 0x33333333
        iretd
        jmp int40_task

# ebx = TSS, eax = eip, edx = esp
init_tss:
        mov [ebx+0x20], eax
        mov dword ptr [ebx+0x24], 2
        mov [ebx+0x38], edx
        mov dword ptr [ebx+0x48], 0x10
        mov dword ptr [ebx+0x4C], 0x08
        mov dword ptr [ebx+0x50], 0x10
        mov dword ptr [ebx+0x54], 0x10
        mov dword ptr [ebx+0x58], 0x10
        mov dword ptr [ebx+0x5C], 0x10
        ret
set_gate:
        mov word ptr [edi], ax
        mov word ptr [edi+2], 0x08
        mov byte ptr [edi+4], 0
        mov byte ptr [edi+5], dl
        shr eax, 16
        mov word ptr [edi+6], ax
        ret
dumpregs:
        push eax
        call hex
        mov eax, ebx
        call hex
        mov eax, esp
        call hex
        pop eax
        ret
nl:     push eax
        mov al, 10
        out 0xE9, al
        pop eax
        ret
# prints eax as 8 hex digits and a space
hex:    push ecx
        push eax
        push edx
        mov edx, eax
        mov ecx, 8
1:      rol edx, 4
        mov al, dl
        and al, 15
        add al, '0'
        cmp al, '9'
        jbe 2f
        add al, 7
2:      out 0xE9, al
        loop 1b
        mov al, ' '
        out 0xE9, al
        pop edx
        pop eax
        pop ecx
        ret
puts:   push eax
1:      lodsb
        test al, al
        jz 2f
        out 0xE9, al
        jmp 1b
2:      pop eax
        ret

        .p2align 3
gdt:
        .quad   0
        .quad   0x00CF9A000000FFFF
        .quad   0x00CF92000000FFFF
        .quad   0x0000891810000068
        .quad   0x0000891820000067
        .quad   0x0000891830000067
gdt_end:
gdt_desc:
        .word   gdt_end - gdt - 1
        .long   gdt
idt_desc:
        .word   0x7FF
        .long   IDT
msgA: .asciz "A: "
msgB: .asciz "B: "
msgC: .asciz "C: "
msgT: .asciz "task40: "
msgGP: .asciz "GP!\n"

        .code16
v86_start:
        mov ax, 0x4444
        int 0x30
        cli
        pushf
        pop bx
        mov ax, bx
        int 0x30
        mov ah, 1
        int 0x30
v86_end:
)";

// What qemu-system-i386 -kernel printed on the debug console for the same code (QEMU 7.2, TCG), loaded at 1 MiB
// as here. A: in the INT 0x40 task, its EFLAGS (NT), TR, back-link, the interrupted task's saved EAX and both
// TSS descriptors' high words (busy); after its IRET, EAX, EBX, ESP, the nested task's saved EFLAGS (NT clear)
// and EIP, its back-link, its descriptor (available again) and EFLAGS. B: for each INT 0x30 from V86 mode, the
// handler's ESP, the nine frame dwords (EIP CS EFLAGS ESP SS ES DS FS GS) and its DS (null), then the frame's
// EFLAGS at the exit call. C: in the #DF task, the error code, TR, back-link, the faulting task's saved EIP
// and EAX, EFLAGS (NT) and CR0.TS.
constexpr const char* kQemuOutput =
    "A: task40: 00004046 00000028 00000018 11111111 00008B18 00008B18 \n"
    "11111111 22222222 0008FFF8 00000097 0010027E 00000018 00008918 00000097 \n"
    "B: 00087FD4 00002000 00023202 0000FFF0 00002800 00003000 00002000 00005678 00001234 00000000 00000000 00087FD4 00002000 00023002 0000FFF0 00002800 00003000 00002000 00005678 00001234 00000000 00000000 00023002 \n"
    "\n"
    "C: 00000000 00000020 00000018 00100190 CAFE7FF8 00004097 00000008 \n";

TEST(TasksAndV86AgainstQemu, TheProbeGuestPrintsWhatQemuPrinted) {
  TestMachine m;
  std::string console;
  PortHandler e9{nullptr, [](void* s, u16, u8, u32 v) { static_cast<std::string*>(s)->push_back(char(v)); },
                 &console};
  ASSERT_TRUE(m.ports.attach(0xE9, 1, e9));
  m.cpu.exception_mode = Cpu::ExceptionMode::Deliver;
  m.load(assemble(kProbe, Bits::b32, 0x100000), 0x100000);
  m.cpu.eip = 0x10000C;  // _start
  EXPECT_EQ(m.run(200'000), StopReason::Halted) << m.cpu.host_error();
  EXPECT_EQ(console, kQemuOutput);
}

}  // namespace
}  // namespace ring1::test
