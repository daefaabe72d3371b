// descriptors.c: the native platform's GDT, TSS and IDT. Flat 4 GiB segments for ring 0 and ring 3 (so that
// linear = offset and paging alone protects memory), one TSS whose SS0:ESP0 is the stack the CPU switches to
// when ring 3 traps into ring 0 (SDM vol. 3, 7.2.1 and 6.12.1), and 256 interrupt gates into the kit's entry
// stubs. Interrupt gates (not trap gates) clear IF on entry, so kit handlers never nest an IRQ inside a trap.
#include <stdbool.h>
#include <stdint.h>

#include "kit/platform.h"
#include "kit/trap.h"
#include "native/native.h"

// Selectors: index << 3 | RPL (SDM vol. 3, 3.4.2).
enum { SEL_KERNEL_CS = 0x08, SEL_KERNEL_DS = 0x10, SEL_USER_CS = 0x18 | 3, SEL_USER_DS = 0x20 | 3, SEL_TSS = 0x28 };

// The 32-bit TSS (SDM vol. 3, figure 7-2). Only SS0:ESP0 and the I/O map base matter without task switching.
static struct tss {
  uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2;
  uint32_t cr3, eip, eflags, eax, ecx, edx, ebx, esp, ebp, esi, edi;
  uint32_t es, cs, ss, ds, fs, gs, ldt;
  uint16_t trap, iomap_base;
} tss;

static uint64_t gdt[6];
static uint64_t idt[256];

// A segment descriptor (SDM vol. 3, figure 3-8): access is the byte holding P, DPL, S and the type, flags the
// nibble holding G and D/B.
static uint64_t segment(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags) {
  return (limit & 0xffffull) | (uint64_t)(base & 0xffffff) << 16 | (uint64_t)access << 40 |
         (uint64_t)((limit >> 16) & 0xf) << 48 | (uint64_t)(flags & 0xf) << 52 | (uint64_t)(base >> 24) << 56;
}

// A 32-bit interrupt gate (SDM vol. 3, figure 6-2): present, type 1110b, with the given DPL.
static uint64_t interrupt_gate(uint32_t offset, unsigned dpl) {
  return (offset & 0xffff) | (uint64_t)SEL_KERNEL_CS << 16 | (uint64_t)(0x8e | dpl << 5) << 40 |
         (uint64_t)(offset >> 16) << 48;
}

struct __attribute__((packed)) table_register {
  uint16_t limit;
  uint32_t base;
};

void descriptors_init(void) {
  plat_kernel_cs = SEL_KERNEL_CS;
  plat_kernel_ds = SEL_KERNEL_DS;
  plat_user_cs = SEL_USER_CS;
  plat_user_ds = SEL_USER_DS;
  gdt[1] = segment(0, 0xfffff, 0x9a, 0xc);  // ring 0 code: present, execute/read; 4 KiB granularity, 32-bit
  gdt[2] = segment(0, 0xfffff, 0x92, 0xc);  // ring 0 data: present, read/write
  gdt[3] = segment(0, 0xfffff, 0xfa, 0xc);  // ring 3 code
  gdt[4] = segment(0, 0xfffff, 0xf2, 0xc);  // ring 3 data
  gdt[5] = segment((uint32_t)&tss, sizeof tss - 1, 0x89, 0x0);  // available 32-bit TSS, byte granular
  tss.ss0 = SEL_KERNEL_DS;
  // An I/O map base at or past the TSS limit means no I/O bitmap: ring 3 (CPL > IOPL) may use no port
  // (SDM vol. 3, 19.5.2).
  tss.iomap_base = sizeof tss;

  for (unsigned v = 0; v < 256; v++) idt[v] = interrupt_gate(trap_entry_stubs[v], 0);

  struct table_register gdtr = {sizeof gdt - 1, (uint32_t)gdt}, idtr = {sizeof idt - 1, (uint32_t)idt};
  __asm__ volatile(
      "lgdt %0\n\t"
      "ljmp %2, $1f\n"  // reload CS from the new GDT
      "1:\n\t"
      "mov %w3, %%ds\n\t"
      "mov %w3, %%es\n\t"
      "mov %w3, %%fs\n\t"
      "mov %w3, %%gs\n\t"
      "mov %w3, %%ss\n\t"
      "lidt %1\n\t"
      "ltr %w4"
      :
      : "m"(gdtr), "m"(idtr), "i"(SEL_KERNEL_CS), "r"(SEL_KERNEL_DS), "r"(SEL_TSS)
      : "memory");
}

void descriptors_set_gate(unsigned vector, bool user_callable) {
  idt[vector & 0xff] = interrupt_gate(trap_entry_stubs[vector & 0xff], user_callable ? 3 : 0);
}

void descriptors_set_kernel_stack(uint32_t esp0) { tss.esp0 = esp0; }
