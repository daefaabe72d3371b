// syscall.h: the user side of system calls, for code built from USER_SOURCES. Everything here is inline,
// because ring 3 may only run code on user pages and the kit's library is on kernel pages. `int 0x80` enters
// the kernel through the DPL-3 gate syscalls_install opened (SDM vol. 3, 6.12.1.1); registers as in user.h.
#pragma once
#include <stdint.h>

static inline int32_t syscall0(uint32_t n) {
  int32_t r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n) : "memory");
  return r;
}
static inline int32_t syscall1(uint32_t n, uint32_t a1) {
  int32_t r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a1) : "memory");
  return r;
}
static inline int32_t syscall2(uint32_t n, uint32_t a1, uint32_t a2) {
  int32_t r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a1), "c"(a2) : "memory");
  return r;
}
static inline int32_t syscall3(uint32_t n, uint32_t a1, uint32_t a2, uint32_t a3) {
  int32_t r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a1), "c"(a2), "d"(a3) : "memory");
  return r;
}

// The length of a string, for user code (the kit's strlen is on a kernel page).
static inline uint32_t user_strlen(const char *s) {
  uint32_t n = 0;
  while (s[n]) n++;
  return n;
}
