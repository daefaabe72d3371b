// x86.h: the privileged and timing instructions the kit needs, one static inline function each, so that C code
// names what it does (`write_cr3(pd)`) instead of repeating inline assembly. Usable from kernel and user code
// alike (nothing here is linked), though most of these fault outside ring 0 (SDM vol. 3, 2.8 and 5.9).
#pragma once
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) {
  uint8_t v;
  __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
  return v;
}

static inline uint32_t read_cr0(void) {
  uint32_t v;
  __asm__ volatile("mov %%cr0, %0" : "=r"(v));
  return v;
}
static inline void write_cr0(uint32_t v) { __asm__ volatile("mov %0, %%cr0" ::"r"(v) : "memory"); }
static inline uint32_t read_cr2(void) {
  uint32_t v;
  __asm__ volatile("mov %%cr2, %0" : "=r"(v));
  return v;
}
static inline uint32_t read_cr3(void) {
  uint32_t v;
  __asm__ volatile("mov %%cr3, %0" : "=r"(v));
  return v;
}
// A CR3 write flushes every non-global TLB entry on x86 (SDM vol. 3, 4.10.4.1), even with the same value.
static inline void write_cr3(uint32_t v) { __asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory"); }
static inline void invlpg(uint32_t va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }
static inline uint32_t read_cr4(void) {
  uint32_t v;
  __asm__ volatile("mov %%cr4, %0" : "=r"(v));
  return v;
}
static inline void write_cr4(uint32_t v) { __asm__ volatile("mov %0, %%cr4" ::"r"(v) : "memory"); }
#define CR4_PGE (1u << 7)
// Flushes every TLB entry, global ones and every address space's (PCID's, or ring1's tagged TLB's) included:
// a MOV to CR4 that changes PGE does (SDM vol. 3, 4.10.4.1), and the second write puts PGE back, as Linux's
// __native_flush_tlb_global does. A CR3 reload keeps global entries and, on a tagged TLB, other tags'.
static inline void flush_tlb_all(void) {
  uint32_t cr4 = read_cr4();
  write_cr4(cr4 ^ CR4_PGE);
  write_cr4(cr4);
}

// RDTSC: the time-stamp counter, which ring1 makes the modelled cycle count (usable in ring 3 unless CR4.TSD).
static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void sti(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline uint32_t read_eflags(void) {
  uint32_t v;
  __asm__ volatile("pushfl; popl %0" : "=r"(v));
  return v;
}
// The current privilege level is the low two bits of CS (SDM vol. 3, 5.5).
static inline unsigned current_ring(void) {
  uint16_t cs;
  __asm__ volatile("mov %%cs, %0" : "=r"(cs));
  return cs & 3;
}
