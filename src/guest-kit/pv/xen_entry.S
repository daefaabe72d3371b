/* xen_entry.S: the paravirtual entry of a kit kernel. Xen's ELF notes (xen/include/public/elfnote.h) tell a
 * domain builder this image is a non-PAE x86_32 PV kernel for the xen-3.0 interface, linked with virtual =
 * physical (VIRT_BASE 0, so PADDR_OFFSET 0 too), entered at pv_start, with a hypercall page to fill. The
 * same image keeps its multiboot header (native/multiboot.S), so a multiboot loader starts it at _start
 * instead; the notes live in their own PT_NOTE segment (kernel.ld) that a multiboot loader ignores.
 * Xen starts pv_start in ring 1 on the FLAT_RING1 segments with ESI = the virtual address of start_info,
 * ESP in its bootstrap region, paging on over its bootstrap page tables, and events masked (XEN-REFERENCE.md
 * 2.5; xen.h, "Start-of-day memory layout"). */
#include <xen/elfnote.h>

        .macro xen_note_str type, value
        .balign 4
        .long 4, 2f - 1f, \type              /* namesz ("Xen\0"), descsz, type */
        .asciz "Xen"
1:      .asciz "\value"
2:      .balign 4
        .endm
        .macro xen_note_addr type, value
        .balign 4
        .long 4, 4, \type
        .asciz "Xen"
        .long \value
        .endm

        .section .note.Xen, "a", @note
        xen_note_str  XEN_ELFNOTE_GUEST_OS, ring1-kit
        xen_note_str  XEN_ELFNOTE_XEN_VERSION, xen-3.0
        xen_note_str  XEN_ELFNOTE_LOADER, generic
        xen_note_addr XEN_ELFNOTE_VIRT_BASE, 0
        xen_note_addr XEN_ELFNOTE_ENTRY, pv_start
        xen_note_addr XEN_ELFNOTE_HYPERCALL_PAGE, hypercall_page
        xen_note_str  XEN_ELFNOTE_PAE_MODE, no

        .text
        .globl pv_start
pv_start:
        mov     $kit_boot_stack + 16384, %esp   /* platform.c; Xen's stack will be mapped read-only */
        xor     %ebp, %ebp
        push    %esi                      /* start_info */
        call    pv_start_of_day           /* sets up the kit, runs kmain, shuts the domain down */
1:      jmp     1b                        /* not reached: HLT is privileged in ring 1 */

        /* The domain builder writes 128 stubs of 32 bytes here (`mov $nr, %eax; int $0x82; ret`). Natively
         * the page stays filled with INT3, so a hypercall made by mistake traps at once. */
        .section .text.hypercall_page, "ax"
        .balign 4096
        .globl hypercall_page
hypercall_page:
        .fill 4096, 1, 0xcc

        .section .note.GNU-stack, "", @progbits   /* no executable stack (silences ld) */
